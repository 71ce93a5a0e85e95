import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineCommand } from '../../src/commands/command.ts';
import { PermissionDeniedError, UserError } from '../../src/errors.ts';
import { useOpsbot } from './support.ts';

const explode = defineCommand({
  name: 'explode',
  summary: 'Fails the way a bug would',
  args: z.object({ target: z.string() }),
  positional: ['target'],
  role: 'viewer',
  async run() {
    throw new Error('connect ECONNREFUSED 10.0.0.7:5432 password=hunter2');
  },
});
const refuse = defineCommand({
  name: 'refuse',
  summary: 'Refuses the way a command should',
  args: z.object({}),
  role: 'viewer',
  async run() {
    throw new UserError('frozen', 'Deploys are frozen until Monday.', 'Ask in #releases.');
  },
});
const prodOnly = defineCommand({
  name: 'prod logs',
  summary: 'Checks a finer permission itself',
  args: z.object({}),
  role: 'viewer',
  async run() {
    throw new PermissionDeniedError('deployer', 'read production logs');
  },
});
const echo = defineCommand({
  name: 'echo',
  summary: 'Says it back',
  args: z.object({ words: z.string().optional() }),
  rest: 'words',
  role: 'viewer',
  async run({ reply, commandPrefix, invocation }, { words }) {
    await reply.public(`${words ?? ''} (via ${commandPrefix} from ${invocation.source})`);
  },
});

describe('dispatching a request', () => {
  const opsbot = useOpsbot([explode, refuse, prodOnly, echo]);

  it('runs the command and records an ok audit row with the bound args', async () => {
    const { as, store } = opsbot();

    const result = await as('U0VIEWER', 'echo hello "big world"', { channelId: 'C0DEV' });

    expect(result).toMatchObject({ outcome: 'ok', command: 'echo' });
    expect(result.publics.map((m) => m.text)).toEqual(['hello big world (via /ops from slash)']);
    expect(store.audit.list({ limit: 5 })).toEqual([
      { id: 1, at: Date.parse('2026-03-02T09:30:00Z'), actor: 'U0VIEWER', channel: 'C0DEV', action: 'command', command: 'echo', args: '{"words":"hello big world"}', outcome: 'ok', detail: null },
    ]);
  });

  it('denies a viewer running role grant, names the role needed, and audits the denial', async () => {
    const { as, store } = opsbot();

    const { outcome, text } = await as('U0VIEWER', 'role grant <@U0ME> admin');

    expect(outcome).toBe('denied');
    expect(text).toBe('You need the *admin* role to run `role grant`.\nAsk an admin: `/ops role grant @you admin`.');
    expect(store.roles.get('U0ME')).toBeUndefined();
    expect(store.audit.list({ limit: 5 })).toMatchObject([
      { actor: 'U0VIEWER', action: 'command', command: 'role grant', args: '{"user":"U0ME","role":"admin"}', outcome: 'denied', detail: 'permission_denied' },
    ]);
  });

  it('tells a caller with no role that they have no access yet, whatever they ask', async () => {
    const { as, store } = opsbot();

    const help = await as('U0GUEST', 'help', { role: null });
    const nonsense = await as('U0GUEST', 'xyzzy "unclosed', { role: null });

    expect(help.outcome).toBe('denied');
    expect(help.text).toBe("You don't have access to opsbot yet; ask an admin to grant you a role.");
    expect(nonsense.text).toBe(help.text);
    expect(store.audit.list({ limit: 5 }).map((e) => [e.command, e.outcome, e.detail])).toEqual([
      [null, 'denied', 'no_role'],
      ['help', 'denied', 'no_role'],
    ]);
  });

  it('answers an unknown command with a suggestion and audits it', async () => {
    const { as, store } = opsbot();

    const { outcome, text } = await as('U0VIEWER', 'hlep me');

    expect(outcome).toBe('unknown');
    expect(text).toBe("I don't know `hlep`. Did you mean `help`? Type `/ops help` for the list.");
    expect(store.audit.list({ limit: 1 })[0]).toMatchObject({ command: null, outcome: 'unknown', detail: 'hlep' });
  });

  it('answers unknown words without a suggestion when nothing is close', async () => {
    const { as } = opsbot();

    expect((await as('U0VIEWER', 'kubectl get pods')).text).toBe("I don't know `kubectl`. Type `/ops help` for the list.");
  });

  it('answers invalid arguments with a message naming the argument and the usage', async () => {
    const { as, store } = opsbot();
    store.roles.grant('U0ADMIN', 'admin', 'system', 0);

    const { outcome, text } = await as('U0ADMIN', 'role grant <@U0BOB> boss');

    expect(outcome).toBe('invalid');
    expect(text).toBe(
      '`role grant`: `role` must be one of viewer, responder, deployer, admin (got `boss`). Usage: `/ops role grant &lt;user&gt; &lt;role&gt;`\n' +
        'Type `/ops help role grant` for examples.',
    );
    expect(store.roles.get('U0BOB')).toBeUndefined();
    expect(store.audit.list({ limit: 1 })[0]).toMatchObject({ command: 'role grant', outcome: 'invalid', detail: 'invalid_args' });
  });

  it('answers an unterminated quote as an invalid request', async () => {
    const { as, store } = opsbot();

    const { outcome, text } = await as('U0VIEWER', 'echo "never closed');

    expect(outcome).toBe('invalid');
    expect(text).toContain('The quote " that starts `"never closed` is never closed.');
    expect(store.audit.list({ limit: 1 })[0]).toMatchObject({ outcome: 'invalid', detail: 'unterminated_quote' });
  });

  it('shows a command’s own refusal with its hint and audits it as an error with the code', async () => {
    const { as, store } = opsbot();

    const { outcome, text } = await as('U0VIEWER', 'refuse');

    expect(outcome).toBe('error');
    expect(text).toBe('Deploys are frozen until Monday.\nAsk in #releases.');
    expect(store.audit.list({ limit: 1 })[0]).toMatchObject({ command: 'refuse', args: '{}', outcome: 'error', detail: 'frozen' });
  });

  it('records a permission check inside a command as a denial', async () => {
    const { as, store } = opsbot();

    const { outcome, text } = await as('U0VIEWER', 'prod logs');

    expect(outcome).toBe('denied');
    expect(text).toBe('You need the *deployer* role to read production logs.\nAsk an admin: `/ops role grant @you deployer`.');
    expect(store.audit.list({ limit: 1 })[0]).toMatchObject({ command: 'prod logs', outcome: 'denied' });
  });

  it('turns an unexpected exception into a safe reply with a reference, a log line and an error audit row', async () => {
    const { as, store, logLines } = opsbot();

    const { outcome, text } = await as('U0VIEWER', 'explode db');

    expect(outcome).toBe('error');
    const ref = /\(ref ([0-9a-f]{8})\)/.exec(text)?.[1];
    expect(text).toBe(`Something went wrong running \`explode\` (ref ${ref}); it's in the logs.`);
    expect(text).not.toContain('hunter2');
    expect(logLines).toContainEqual(expect.objectContaining({ level: 50, msg: 'command failed', ref, command: 'explode', err: expect.objectContaining({ message: expect.stringContaining('ECONNREFUSED') }) }));
    expect(store.audit.list({ limit: 1 })[0]).toMatchObject({ command: 'explode', args: '{"target":"db"}', outcome: 'error', detail: `internal error, ref ${ref}` });
  });
});
