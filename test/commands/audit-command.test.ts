import { describe, expect, it } from 'vitest';
import { useOpsbot } from './support.ts';

const ADMIN = 'U0ADMIN';

describe('audit', () => {
  const opsbot = useOpsbot();
  const withHistory = (count: number) => {
    const bot = opsbot();
    bot.store.roles.grant(ADMIN, 'admin', 'system', 0);
    const start = Date.parse('2026-03-01T00:00:00Z');
    for (let i = 0; i < count; i++) {
      bot.store.audit.append({ at: start + i * 60_000, actor: i % 2 ? 'U0ALICE' : 'U0BOB', channel: 'C0OPS', action: 'command', command: `cmd${i}`, outcome: 'ok' });
    }
    return bot;
  };

  it('lists the newest 20 entries by default, newest first, one line each', async () => {
    const { as } = withHistory(25);

    const { outcome, text, files } = await as(ADMIN, 'audit');

    expect(outcome).toBe('ok');
    expect(files).toEqual([]);
    const lines = text.split('\n');
    expect(lines[0]).toBe('Audit log: 20 entries');
    expect(lines.slice(1, 3)).toEqual(['2026-03-01 00:24:00Z U0BOB in C0OPS `cmd24` → ok', '2026-03-01 00:23:00Z U0ALICE in C0OPS `cmd23` → ok']);
    expect(lines).toHaveLength(21);
  });

  it('filters by user', async () => {
    const { as } = withHistory(6);

    const { text } = await as(ADMIN, 'audit 2 user=<@U0ALICE>');

    expect(text).toBe(['Audit log: 2 entries for U0ALICE', '2026-03-01 00:05:00Z U0ALICE in C0OPS `cmd5` → ok', '2026-03-01 00:03:00Z U0ALICE in C0OPS `cmd3` → ok'].join('\n'));
  });

  it('answers even 50 entries privately, never as a file the channel could see', async () => {
    const { as } = withHistory(60);

    const { privates, files, text } = await as(ADMIN, 'audit 50');

    expect(files).toEqual([]);
    expect(privates).toHaveLength(1);
    const lines = text.split('\n');
    expect(lines[0]).toBe('Audit log: 50 entries');
    expect(lines[1]).toBe('2026-03-01 00:59:00Z U0ALICE in C0OPS `cmd59` → ok');
    expect(lines).toHaveLength(51);
  });

  it('shows its own denial to a viewer who tries it, and that denial is then in the log', async () => {
    const { as } = withHistory(0);

    const denied = await as('U0VIEWER', 'audit');
    const { text } = await as(ADMIN, 'audit');

    expect(denied.text).toContain('You need the *admin* role to run `audit`.');
    expect(text).toBe('Audit log: 1 entry\n2026-03-02 09:30:00Z U0VIEWER in C0OPS `audit` → denied');
  });

  it('refuses more than 200 entries', async () => {
    const { as } = withHistory(0);

    expect((await as(ADMIN, 'audit 500')).text).toContain('`audit`: `n` must be at most 200 (got `500`).');
  });

  it('says when there is nothing for a user', async () => {
    const { as } = withHistory(3);

    expect((await as(ADMIN, 'audit user=<@U0NOBODY>')).text).toBe('No audit entries for <@U0NOBODY>.');
  });
});

describe('audit rows recorded at intake', () => {
  const opsbot = useOpsbot();

  it('hides each request as received unless --all asks for it', async () => {
    const bot = opsbot();
    bot.store.roles.grant(ADMIN, 'admin', 'system', 0);
    bot.store.audit.append({ at: 1, actor: 'U0BOB', channel: 'C0OPS', action: 'received', command: 'command', outcome: 'accepted' });
    bot.store.audit.append({ at: 2, actor: 'U0BOB', channel: 'C0OPS', action: 'command', command: 'help', outcome: 'ok' });

    const plain = await bot.as(ADMIN, 'audit user=<@U0BOB>');
    const all = await bot.as(ADMIN, 'audit user=<@U0BOB> --all');

    expect(plain.text.split('\n').slice(1)).toEqual(['1970-01-01 00:00:00Z U0BOB in C0OPS `help` → ok']);
    expect(all.text.split('\n').slice(1)).toEqual(['1970-01-01 00:00:00Z U0BOB in C0OPS `help` → ok', '1970-01-01 00:00:00Z U0BOB in C0OPS `received` → accepted']);
  });
});
