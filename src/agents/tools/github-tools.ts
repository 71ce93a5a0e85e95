import { z } from 'zod';
import type { Clock } from '../../clock.ts';
import type { GitHubOps, RepoRef } from '../../integrations/github/github-types.ts';
import { parseRepoRef } from '../../integrations/github/github-types.ts';
import { defineTool, type ReadOnlyTool } from '../read-only-tool.ts';

/**
 * Read-only GitHub tools for the agents: recent commits, deployments and workflow runs, the
 * checks of a ref, a file's lines and code search, so a diagnosis or a proposed patch is grounded
 * in the real code and history. The model names the repository; GitHubOps refuses any outside
 * github.repositories (when set) before a request is made, and that refusal is the tool's answer.
 * Every list is capped here; the tool session caps the characters on top.
 */

const AGENTS = ['triage', 'fix', 'pr-review'] as const;
const MAX_LIST = 20;
const MAX_FILE_LINES = 200;
const MAX_LINE_CHARS = 300;

const repository = z
  .string()
  .regex(/^[A-Za-z0-9-]+\/[A-Za-z0-9._-]+$/, { error: 'owner/repo' })
  .describe('The repository as owner/repo');
const limit = z.number().int().min(1).max(MAX_LIST).default(10).describe(`How many, newest first (1-${MAX_LIST}, default 10)`);
const ref = z.string().min(1).max(200).regex(/^[^\s~^:?*[\\]+$/, { error: 'a branch, tag or commit sha' });

const repo = (text: string): RepoRef => parseRepoRef(text)!;
const firstLine = (text: string) => text.split('\n')[0] ?? '';

export function githubTools(options: { github: GitHubOps; clock: Clock }): ReadOnlyTool[] {
  const { github, clock } = options;
  return [
    defineTool({
      name: 'github_recent_commits',
      description: 'List recent commits of a GitHub repository (sha, date, author, first line of the message), optionally of a branch and only since some hours ago. Read-only.',
      input: z.object({
        repository,
        ref: ref.optional().describe('Branch, tag or sha to list from (default: the default branch)'),
        since_hours: z.number().int().min(1).max(24 * 30).optional().describe('Only commits from the last N hours'),
        limit,
      }),
      agents: AGENTS,
      async run(args) {
        const since = args.since_hours ? new Date(clock.now() - args.since_hours * 3_600_000).toISOString() : undefined;
        const commits = await github.recentCommits(repo(args.repository), { ...(args.ref ? { sha: args.ref } : {}), ...(since ? { since } : {}), limit: args.limit });
        if (commits.length === 0) return `No commits in ${args.repository}${since ? ` since ${since}` : ''}.`;
        return commits.map((c) => `${c.sha.slice(0, 12)} ${c.date} ${c.author}: ${firstLine(c.message).slice(0, MAX_LINE_CHARS)}`).join('\n');
      },
    }),
    defineTool({
      name: 'github_recent_deployments',
      description: 'List recent GitHub deployments of a repository (ref, sha, environment, who, when), optionally of one environment. Read-only.',
      input: z.object({ repository, environment: z.string().min(1).max(100).optional().describe('e.g. production'), limit }),
      agents: AGENTS,
      async run(args) {
        const list = await github.recentDeployments(repo(args.repository), { ...(args.environment ? { environment: args.environment } : {}), limit: args.limit });
        if (list.length === 0) return `No deployments in ${args.repository}${args.environment ? ` to ${args.environment}` : ''}.`;
        return list.map((d) => `#${d.id} ${d.createdAt} ${d.environment}: ${d.ref} (${d.sha.slice(0, 12)}) by ${d.creator}${d.description ? ` — ${d.description.slice(0, MAX_LINE_CHARS)}` : ''}`).join('\n');
      },
    }),
    defineTool({
      name: 'github_recent_workflow_runs',
      description: 'List recent GitHub Actions workflow runs of a repository (workflow, branch, event, status, conclusion), optionally of one branch. Read-only.',
      input: z.object({ repository, branch: ref.optional().describe('Only runs of this branch'), limit }),
      agents: AGENTS,
      async run(args) {
        const runs = await github.recentRuns(repo(args.repository), { ...(args.branch ? { branch: args.branch } : {}), limit: args.limit });
        if (runs.length === 0) return `No workflow runs in ${args.repository}${args.branch ? ` on ${args.branch}` : ''}.`;
        return runs.map((r) => `run ${r.id} attempt ${r.attempt} "${r.name}" on ${r.headBranch} (${r.headSha.slice(0, 12)}, ${r.event}): ${r.status}${r.conclusion ? `/${r.conclusion}` : ''} ${r.url}`).join('\n');
      },
    }),
    defineTool({
      name: 'github_checks',
      description: 'The check runs and commit statuses of a ref (sha, branch or tag) in a GitHub repository: which passed, failed or are still running. Read-only.',
      input: z.object({ repository, ref: ref.describe('A commit sha, branch or tag') }),
      agents: AGENTS,
      async run(args) {
        const checks = await github.checks(repo(args.repository), args.ref);
        const line = (label: string, list: Array<{ name: string; conclusion: string | null; status: string }>) =>
          `${label} (${list.length}): ${list.slice(0, MAX_LIST * 2).map((c) => `${c.name}${c.conclusion ? `=${c.conclusion}` : ` (${c.status})`}`).join(', ') || 'none'}`;
        return [line('failing', checks.failing), line('pending', checks.pending), line('passed', checks.passed)].join('\n');
      },
    }),
    defineTool({
      name: 'github_file',
      description: `Read lines of a file in a GitHub repository at a ref (default branch when none), with line numbers; at most ${MAX_FILE_LINES} lines per call. Read-only.`,
      input: z.object({
        repository,
        path: z.string().min(1).max(500).regex(/^[^\s].*$/).refine((p) => !p.split('/').includes('..'), { error: 'a path inside the repository' }).describe('Path from the repository root'),
        ref: ref.optional(),
        start_line: z.number().int().min(1).default(1).describe('First line to show (default 1)'),
        end_line: z.number().int().min(1).optional().describe(`Last line to show (default start_line + ${MAX_FILE_LINES - 1})`),
      }),
      agents: AGENTS,
      async run(args) {
        const text = await github.fileContents(repo(args.repository), args.path, args.ref);
        const lines = text.split('\n');
        const end = Math.min(lines.length, args.end_line ?? args.start_line + MAX_FILE_LINES - 1, args.start_line + MAX_FILE_LINES - 1);
        if (args.start_line > lines.length) return `${args.path} has ${lines.length} lines.`;
        const shown = lines.slice(args.start_line - 1, end).map((l, i) => `${args.start_line + i}: ${l.length > MAX_LINE_CHARS ? `${l.slice(0, MAX_LINE_CHARS)}…` : l}`);
        const more = end < lines.length ? `\n(${lines.length - end} more lines; ask for start_line ${end + 1})` : '';
        return `${args.path}${args.ref ? ` at ${args.ref}` : ''}, lines ${args.start_line}-${end} of ${lines.length}:\n${shown.join('\n')}${more}`;
      },
    }),
    defineTool({
      name: 'github_search_code',
      description: 'Search the code of one GitHub repository for words or an identifier; answers the matching file paths. Read-only.',
      input: z.object({ repository, query: z.string().min(1).max(200).describe('Words or an identifier to look for') }),
      agents: AGENTS,
      async run(args) {
        const hits = await github.searchCode(repo(args.repository), args.query);
        if (hits.length === 0) return `No files in ${args.repository} match ${JSON.stringify(args.query)}.`;
        return hits.slice(0, MAX_LIST).map((h) => `${h.path} ${h.url}`).join('\n');
      },
    }),
  ];
}
