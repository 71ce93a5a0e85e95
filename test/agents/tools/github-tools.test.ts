import { afterEach, describe, expect, it } from 'vitest';
import type { ReadOnlyTool } from '../../../src/agents/read-only-tool.ts';
import { githubTools } from '../../../src/agents/tools/github-tools.ts';
import { type GitHubRig, startGitHubRig } from '../../support/github-rig.ts';

let rig: GitHubRig;
afterEach(async () => {
  await rig?.stop();
});

function tool(name: string): ReadOnlyTool {
  const found = githubTools({ github: rig.ops, clock: rig.clock }).find((t) => t.name === name);
  if (!found) throw new Error(`no tool ${name}`);
  return found;
}

/** As the tool session calls a tool: the input validated by its schema first. */
async function call(name: string, input: unknown): Promise<string> {
  const t = tool(name);
  return t.run(t.input.parse(input), {});
}

const SERVER = Array.from({ length: 250 }, (_, i) => `// line ${i + 1}`).join('\n');

describe("the agents' GitHub tools", () => {
  it('read a window of a file with line numbers, and say how to read on', async () => {
    rig = await startGitHubRig();
    rig.fake.setFile('acme/api', 'src/server.ts', SERVER);
    const text = await call('github_file', { repository: 'acme/api', path: 'src/server.ts', start_line: 10, end_line: 12 });
    expect(text).toBe('src/server.ts, lines 10-12 of 250:\n10: // line 10\n11: // line 11\n12: // line 12\n(238 more lines; ask for start_line 13)');
    const capped = await call('github_file', { repository: 'acme/api', path: 'src/server.ts' });
    expect(capped.split('\n')).toHaveLength(1 + 200 + 1);
    expect(() => tool('github_file').input.parse({ repository: 'acme/api', path: '../../etc/passwd' })).toThrow('a path inside the repository');
  });

  it('list commits, deployments, runs and the checks of a ref, one line each', async () => {
    rig = await startGitHubRig();
    rig.fake.setCommits('acme/api', [{ sha: 'c'.repeat(40), author: { login: 'alice' }, commit: { message: 'Raise the pool size\n\nLong text', author: { name: 'Alice', date: '2026-01-01T10:00:00Z' } } }]);
    rig.fake.addDeployment('acme/api', { id: 31, ref: 'v1.2.3', sha: 'd'.repeat(40), environment: 'production', description: 'release', created_at: '2026-01-01T11:00:00Z' });
    rig.fake.addWorkflowRun({ repo: 'acme/api', run: { id: 77, name: 'CI', head_branch: 'main', head_sha: 'e'.repeat(40), event: 'push', status: 'completed', conclusion: 'failure' } });
    rig.fake.setCheckRuns('acme/api', 'main', [
      { name: 'test', status: 'completed', conclusion: 'failure' },
      { name: 'lint', status: 'completed', conclusion: 'success' },
    ]);

    expect(await call('github_recent_commits', { repository: 'acme/api' })).toBe(`${'c'.repeat(12)} 2026-01-01T10:00:00Z alice: Raise the pool size`);
    expect(await call('github_recent_deployments', { repository: 'acme/api', environment: 'production' })).toContain(`#31 2026-01-01T11:00:00Z production: v1.2.3 (${'d'.repeat(12)})`);
    expect(await call('github_recent_workflow_runs', { repository: 'acme/api' })).toBe(`run 77 attempt 1 "CI" on main (${'e'.repeat(12)}, push): completed/failure https://github.com/acme/api/actions/runs/77`);
    expect(await call('github_checks', { repository: 'acme/api', ref: 'main' })).toBe('failing (1): test=failure\npending (0): none\npassed (1): lint=success');
  });

  it('search code in the named repository only', async () => {
    rig = await startGitHubRig();
    rig.fake.setFile('acme/api', 'src/pool.ts', 'export const POOL_SIZE = 10;');
    rig.fake.setFile('acme/secrets', 'keys.ts', 'export const POOL_SIZE = 99;');
    expect(await call('github_search_code', { repository: 'acme/api', query: 'POOL_SIZE repo:acme/secrets' })).toBe('src/pool.ts https://github.com/acme/api/blob/main/src/pool.ts');
  });

  it('refuse a repository outside github.repositories without asking GitHub', async () => {
    rig = await startGitHubRig({ policy: { repositories: ['acme/api'] } });
    await expect(call('github_recent_commits', { repository: 'acme/payroll' })).rejects.toThrow('acme/payroll is not one of the repositories opsbot may use.');
    expect(rig.fake.requests()).toHaveLength(0);
  });
});
