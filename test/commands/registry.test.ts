import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { bool, duration, positiveInt, role, slackChannelId, slackUserId } from '../../src/commands/arg-types.ts';
import { defineCommand } from '../../src/commands/command.ts';
import { builtinCommands } from '../../src/commands/index.ts';
import { parseArgs, tokenize } from '../../src/commands/parser.ts';
import { bindArgs, createRegistry, damerauLevenshtein, usage } from '../../src/commands/registry.ts';

const noop = async () => {};
const incidentDeclare = defineCommand({
  name: 'incident declare',
  summary: 'Declare an incident',
  args: z.object({ title: z.string(), severity: z.enum(['sev1', 'sev2', 'sev3']).default('sev2'), channel: slackChannelId.optional() }),
  rest: 'title',
  role: 'responder',
  run: noop,
});
const incidentList = defineCommand({ name: 'incident list', summary: 'List incidents', args: z.object({}), role: 'viewer', run: noop });
const deploy = defineCommand({
  name: 'deploy',
  summary: 'Deploy',
  args: z.object({ service: z.string(), version: z.string().optional(), wait: duration.optional(), force: bool.optional() }),
  positional: ['service', 'version'],
  role: 'deployer',
  run: noop,
});
const registry = createRegistry([...builtinCommands, incidentDeclare, incidentList, deploy]);

const bind = (command: Parameters<typeof usage>[0], text: string) => bindArgs(command, parseArgs(tokenize(text)));
const roleGrant = registry.get('role grant')!;
const audit = registry.get('audit')!;

describe('matching commands', () => {
  it('prefers the longest command name and returns the remaining words', () => {
    const found = registry.match(tokenize('incident declare db is down'));
    expect(found.kind === 'command' && found.command.name).toBe('incident declare');
    expect(found.kind === 'command' && found.rest.map((t) => t.text)).toEqual(['db', 'is', 'down']);
  });

  it('matches command words in any letter case', () => {
    expect(registry.match(['Role', 'LIST'])).toMatchObject({ kind: 'command', command: { name: 'role list' } });
  });

  it('suggests help for a transposed typo', () => {
    expect(registry.match(['hlep'])).toEqual({ kind: 'unknown', input: 'hlep', suggestions: ['help'] });
  });

  it('suggests the two-word command when its first word is misspelt', () => {
    expect(registry.match(tokenize('incidnt declare db down'))).toMatchObject({ kind: 'unknown', input: 'incidnt', suggestions: ['incident declare'] });
  });

  it('offers a group’s commands for a bare group word', () => {
    expect(registry.match(['role'])).toEqual({ kind: 'unknown', input: 'role', suggestions: ['role grant', 'role list', 'role revoke'] });
  });

  it('names the group and the unknown word when the group exists', () => {
    expect(registry.match(['role', 'gramt', 'U1'])).toEqual({ kind: 'unknown', input: 'role gramt', suggestions: ['role grant'] });
  });

  it('suggests nothing for words far from every command', () => {
    expect(registry.match(['kubectl'])).toEqual({ kind: 'unknown', input: 'kubectl', suggestions: [] });
  });

  it('counts a swap of neighbours as one edit', () => {
    expect(damerauLevenshtein('hlep', 'help')).toBe(1);
    expect(damerauLevenshtein('incidnt', 'incident')).toBe(1);
    expect(damerauLevenshtein('', 'abc')).toBe(3);
    expect(damerauLevenshtein('kitten', 'sitting')).toBe(3);
  });

  it('groups commands by their first word for help', () => {
    expect([...registry.groups()].map(([g, cs]) => [g, cs.map((c) => c.name)])).toEqual([
      ['audit', ['audit']],
      ['deploy', ['deploy']],
      ['help', ['help']],
      ['incident', ['incident declare', 'incident list']],
      ['role', ['role grant', 'role list', 'role revoke']],
    ]);
  });
});

describe('checking definitions at start-up', () => {
  it('refuses two commands with the same name', () => {
    expect(() => createRegistry([incidentList, incidentList])).toThrow('Command `incident list` is defined twice');
  });

  it('refuses a command taking words that a longer command would shadow', () => {
    const show = defineCommand({ name: 'incident', summary: 's', args: z.object({ id: z.string() }), positional: ['id'], role: 'viewer', run: noop });
    expect(() => createRegistry([show, incidentList])).toThrow('Command `incident` takes arguments, so `incident list` would shadow them; rename one of them');
  });

  it('refuses positional names that are not keys of the args', () => {
    const bad = defineCommand({ name: 'x', summary: 's', args: z.object({ a: z.string() }), positional: ['b'], role: 'viewer', run: noop });
    expect(() => createRegistry([bad])).toThrow('Command `x`: `b` is not a key of its args');
  });

  it('refuses option keys nobody could type as key=value', () => {
    const bad = defineCommand({ name: 'x', summary: 's', args: z.object({ dryRun: bool }), role: 'viewer', run: noop });
    expect(() => createRegistry([bad])).toThrow("Command `x`: option `dryRun` can't be typed as key=value; use lower case");
  });
});

describe('usage lines', () => {
  it('shows required positionals in <> and optional ones in []', () => {
    expect(usage(roleGrant)).toBe('/ops role grant <user> <role>');
    expect(usage(audit)).toBe('/ops audit [n] [user=<user>] [--all]');
  });

  it('shows rest words, enum options, and yes/no switches', () => {
    expect(usage(incidentDeclare, '/opsbot')).toBe('/opsbot incident declare <title…> [severity=sev1|sev2|sev3] [channel=<channel>]');
    expect(usage(deploy)).toBe('/ops deploy <service> [version] [wait=<wait>] [--force]');
  });
});

describe('binding arguments', () => {
  it('maps positional words to names in order and validates them', () => {
    expect(bind(roleGrant, 'U012AB3CD deployer')).toEqual({ user: 'U012AB3CD', role: 'deployer' });
  });

  it('collects leftover words into the rest argument and merges named ones', () => {
    expect(bind(incidentDeclare, 'db is down severity=sev1')).toEqual({ title: 'db is down', severity: 'sev1' });
  });

  it('accepts a positional argument given by name', () => {
    expect(bind(roleGrant, 'role=admin user=U1X')).toEqual({ user: 'U1X', role: 'admin' });
  });

  it('converts durations, numbers and switches', () => {
    expect(bind(deploy, 'web v1.2 wait=1h30m --force')).toEqual({ service: 'web', version: 'v1.2', wait: 5_400_000, force: true });
    expect(bind(audit, '50')).toEqual({ n: 50, all: false });
  });

  it('names an invalid enum value with the allowed values and the usage line', () => {
    expect(() => bind(roleGrant, 'U1X boss')).toThrow(
      '`role grant`: `role` must be one of viewer, responder, deployer, admin (got `boss`). Usage: `/ops role grant &lt;user&gt; &lt;role&gt;`',
    );
  });

  it('explains a user argument that is not a mention', () => {
    expect(() => bind(roleGrant, 'alice admin')).toThrow('`role grant`: `user` must be a user: mention them like @alice (got `alice`).');
  });

  it('says which argument is missing', () => {
    expect(() => bind(roleGrant, 'U1X')).toThrow('`role grant`: `role` is required. Usage: `/ops role grant &lt;user&gt; &lt;role&gt;`');
  });

  it('refuses an unexpected extra word', () => {
    expect(() => bind(roleGrant, 'U1X admin now')).toThrow('`role grant`: unexpected argument `now`.');
  });

  it('refuses an unknown option, listing the known ones', () => {
    expect(() => bind(audit, 'usr=U1X')).toThrow('`audit`: unknown option `usr` (options: `user`, `all`).');
  });

  it('refuses the same argument given positionally and by name', () => {
    expect(() => bind(roleGrant, 'U1X admin role=viewer')).toThrow('`role grant`: `role` is given twice.');
  });

  it('words number limits and bad durations readably', () => {
    expect(() => bind(audit, '500')).toThrow('`audit`: `n` must be at most 200 (got `500`).');
    expect(() => bind(audit, 'lots')).toThrow('`audit`: `n` must be a whole number above 0 (got `lots`).');
    expect(() => bind(deploy, 'web wait=soon')).toThrow('`deploy`: `wait` must be a duration like 30s, 5m, 4h, 7d or 1h30m (got `soon`).');
    expect(() => bind(deploy, 'web --force=maybe')).toThrow('`deploy`: `force` must be yes or no (got `maybe`).');
  });

  it('reports invalid arguments as a UserError coded invalid_args with a pointer to help', () => {
    try {
      bind(roleGrant, 'U1X boss');
      expect.unreachable();
    } catch (err) {
      expect(err).toMatchObject({ code: 'invalid_args', hint: 'Type `/ops help role grant` for examples.' });
    }
  });
});

describe('argument types', () => {
  it('accept Slack ids and reject names', () => {
    expect(slackUserId.safeParse('W0123ABC').success).toBe(true);
    expect(slackUserId.safeParse('@alice').success).toBe(false);
    expect(role.safeParse('admin').success).toBe(true);
    expect(positiveInt.safeParse('0').success).toBe(false);
    expect(bool.parse('Yes')).toBe(true);
    expect(bool.parse('off')).toBe(false);
  });
});
