import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { intentCandidates } from '../../../src/agents/offline/intent-candidates.ts';
import { slackChannelId } from '../../../src/commands/arg-types.ts';
import { defineCommand } from '../../../src/commands/command.ts';
import { builtinCommands, featureCommands } from '../../../src/commands/index.ts';
import type { WorkflowDefinition } from '../../../src/workflows/definition.ts';
import { loadDefinitions } from '../../../src/workflows/load-definitions.ts';

const shipped = loadDefinitions({ dir: join(import.meta.dirname, '../../../workflows'), source: 'workflow' }).definitions;
const registry = [...builtinCommands, ...featureCommands];
const find = (candidates: ReturnType<typeof intentCandidates>, command: string) => candidates.find((c) => c.command === command);

function workflow(name: string, extra: Partial<WorkflowDefinition>): WorkflowDefinition {
  return { name, description: name, params: {}, run: { role: 'viewer' }, triggers: { command: true, schedules: [] }, steps: [], file: `workflows/${name}.yaml`, source: 'workflow', ...extra };
}

describe('intentCandidates', () => {
  it('offers every registry command, and each shipped workflow in place of the bare workflow run', () => {
    const commands = intentCandidates(registry, shipped.values()).map((c) => c.command);

    expect(commands).toEqual([
      ...registry.map((c) => c.name).filter((name) => name !== 'workflow run'),
      ...[...shipped.keys()].map((name) => `workflow run ${name}`),
    ]);
    expect(commands).toContain('workflow run deploy');
    expect(commands).not.toContain('workflow run');
  });

  it('reads positional, required and enum args from a command definition', () => {
    const grant = find(intentCandidates(registry, []), 'role grant');

    expect(grant).toEqual({
      command: 'role grant',
      summary: 'Give someone a role (viewer, responder, deployer, admin)',
      params: [
        { name: 'user', positional: true, required: true, type: 'user' },
        { name: 'role', positional: true, required: true, type: 'string', enum: ['viewer', 'responder', 'deployer', 'admin'] },
      ],
    });
  });

  it('tells numbers, switches and users apart and keeps a run id’s pattern', () => {
    const candidates = intentCandidates(registry, []);

    expect(find(candidates, 'audit')?.params).toEqual([
      { name: 'n', positional: true, required: false, type: 'number' },
      { name: 'user', positional: false, required: false, type: 'user' },
      { name: 'all', positional: false, required: false, type: 'boolean' },
    ]);
    expect(find(candidates, 'workflow approve')?.params[0]).toEqual({ name: 'run', positional: true, required: true, type: 'other', pattern: '^(?:wf-)?\\d+$' });
  });

  it('reads a channel arg and a described arg from a command declared elsewhere', () => {
    const page = defineCommand({
      name: 'incident page',
      summary: 'Page the on-call for a channel',
      args: z.object({ channel: slackChannelId, note: z.string().describe('what to tell them').optional() }),
      positional: ['channel'],
      rest: 'note',
      role: 'responder',
      run: async () => {},
    });

    expect(intentCandidates([page], [])[0]?.params).toEqual([
      { name: 'channel', positional: true, required: true, type: 'channel' },
      { name: 'note', positional: true, required: false, type: 'string', description: 'what to tell them' },
    ]);
  });

  it('takes a workflow’s params from its definition, a default making a param optional', () => {
    const deploy = find(intentCandidates(registry, shipped.values()), 'workflow run deploy');

    expect(deploy?.summary).toBe(shipped.get('deploy')?.description);
    expect(deploy?.params).toEqual([
      { name: 'service', positional: false, required: true, type: 'string', pattern: '[a-z][a-z0-9-]{1,40}', description: 'service name' },
      { name: 'version', positional: false, required: true, type: 'string', pattern: 'v\\d+\\.\\d+\\.\\d+', description: 'release tag, e.g. v2.3.0' },
      { name: 'container', positional: false, required: false, type: 'string', pattern: '([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)?', description: 'the container to update (default: named like the service)' },
      { name: 'health_url', positional: false, required: false, type: 'string', description: 'URL that must answer 2xx after each rollout (optional)' },
    ]);
  });

  it('leaves out playbooks, workflows not started by command, and all workflows when nothing can run them', () => {
    const defs = [
      workflow('nightly', { triggers: { command: false, schedules: [{ cron: '0 3 * * *', params: {} }] } }),
      workflow('restart-pod', { source: 'playbook' }),
      workflow('rotate-logs', {}),
    ];

    expect(intentCandidates(registry, defs).filter((c) => c.command.startsWith('workflow run')).map((c) => c.command)).toEqual(['workflow run rotate-logs']);
    expect(intentCandidates(builtinCommands, defs).map((c) => c.command)).toEqual(builtinCommands.map((c) => c.name));
  });
});
