import { describe, expect, it } from 'vitest';
import { bootstrapAdmins } from '../../src/commands/bootstrap-admins.ts';
import { useOpsbot } from './support.ts';

const ADMIN = 'U0ADMIN';
const T0 = Date.parse('2026-03-02T09:30:00Z');

describe('role commands', () => {
  const opsbot = useOpsbot();
  const withAdmin = () => {
    const bot = opsbot();
    bootstrapAdmins(bot.store, [ADMIN], T0 - 60_000);
    return bot;
  };

  it('grant stores the role and an audit row naming who granted what', async () => {
    const { as, store } = withAdmin();

    const { outcome, text } = await as(ADMIN, 'role grant <@U0ALICE|alice> deployer', { channelId: 'C0OPS' });

    expect(outcome).toBe('ok');
    expect(text).toBe('<@U0ALICE> now has the *deployer* role (was the default).');
    expect(store.roles.get('U0ALICE')).toEqual({ userId: 'U0ALICE', role: 'deployer', grantedBy: ADMIN, grantedAt: T0 });
    const [commandRow, grantRow] = store.audit.list({ limit: 2 });
    expect(commandRow).toMatchObject({ actor: ADMIN, action: 'command', command: 'role grant', outcome: 'ok', args: '{"user":"U0ALICE","role":"deployer"}' });
    expect(grantRow).toMatchObject({ actor: ADMIN, channel: 'C0OPS', action: 'role.grant', outcome: 'ok', args: '{"user":"U0ALICE","role":"deployer","previous":null}', at: T0 });
  });

  it('grant, list and revoke round-trip through the store', async () => {
    const { as, store } = withAdmin();
    await as(ADMIN, 'role grant <@U0ALICE> responder');
    await as(ADMIN, 'role grant <@U0BOB> deployer');
    const changed = await as(ADMIN, 'role grant <@U0ALICE> deployer');
    expect(changed.text).toBe('<@U0ALICE> now has the *deployer* role (was *responder*).');

    const list = await as('U0ALICE', 'role list');
    expect(list.outcome).toBe('ok');
    expect(list.text).toBe(
      [
        'admin: <@U0ADMIN> — granted by OPS_ADMINS, 2026-03-02 09:29:00Z',
        'deployer: <@U0ALICE> — granted by <@U0ADMIN>, 2026-03-02 09:30:00Z',
        'deployer: <@U0BOB> — granted by <@U0ADMIN>, 2026-03-02 09:30:00Z',
      ].join('\n'),
    );

    const revoked = await as(ADMIN, 'role revoke <@U0BOB>');
    expect(revoked.text).toBe("Revoked <@U0BOB>'s *deployer* role; they're back to the default (viewer for workspace members, nothing for guests).");
    expect(store.roles.get('U0BOB')).toBeUndefined();
    expect(store.audit.list({ limit: 2 }).map((e) => [e.action, e.outcome])).toEqual([
      ['command', 'ok'],
      ['role.revoke', 'ok'],
    ]);
  });

  it('says nothing changed when the user already has the role', async () => {
    const { as, store } = withAdmin();
    await as(ADMIN, 'role grant <@U0ALICE> deployer');

    const again = await as(ADMIN, 'role grant <@U0ALICE> deployer');

    expect(again.text).toBe('<@U0ALICE> already has the *deployer* role; nothing changed.');
    expect(store.audit.list({ limit: 10 }).filter((e) => e.action === 'role.grant')).toHaveLength(2); // bootstrap + first grant
  });

  it('refuses to revoke the last admin, even themself', async () => {
    const { as, store } = withAdmin();

    const { outcome, text } = await as(ADMIN, 'role revoke <@U0ADMIN>');

    expect(outcome).toBe('error');
    expect(text).toBe("<@U0ADMIN> is the last admin, so you can't revoke it: opsbot needs at least one admin.\nGrant admin to someone else first.");
    expect(store.roles.get(ADMIN)?.role).toBe('admin');
    expect(store.audit.list({ limit: 1 })[0]).toMatchObject({ command: 'role revoke', outcome: 'error', detail: 'last_admin' });
  });

  it('refuses to demote the last admin by granting a lower role', async () => {
    const { as, store } = withAdmin();

    const { text } = await as(ADMIN, 'role grant <@U0ADMIN> viewer');

    expect(text).toContain("<@U0ADMIN> is the last admin, so you can't change their role");
    expect(store.roles.get(ADMIN)?.role).toBe('admin');
  });

  it('lets an admin step down once another admin exists', async () => {
    const { as, store } = withAdmin();
    await as(ADMIN, 'role grant <@U0ALICE> admin');

    const { outcome } = await as(ADMIN, 'role revoke <@U0ADMIN>');

    expect(outcome).toBe('ok');
    expect(store.roles.list().map((g) => [g.userId, g.role])).toEqual([['U0ALICE', 'admin']]);
  });

  it('says so when revoking someone who has no granted role', async () => {
    const { as } = withAdmin();

    const { text } = await as(ADMIN, 'role revoke <@U0NOBODY>');

    expect(text).toBe('<@U0NOBODY> has no granted role to revoke.\nSee who has which role with `role list`.');
  });

  it('shows the default when nobody has a role', async () => {
    const { as } = opsbot();

    const { text } = await as('U0RESP', 'role list', { role: 'responder' });

    expect(text).toBe('No roles granted yet: every workspace member is a *viewer*.');
  });
});

describe('bootstrapping admins from OPS_ADMINS', () => {
  const opsbot = useOpsbot();

  it('grants admin to listed users who lack it, audited as system, and is idempotent', () => {
    const { store } = opsbot();
    store.roles.grant('U0ALICE', 'deployer', 'U0SOMEONE', 1);
    store.roles.grant('U0ROOT', 'admin', 'U0SOMEONE', 2);

    expect(bootstrapAdmins(store, ['U0ALICE', 'U0ROOT', 'U0NEW', 'U0NEW'], T0)).toEqual(['U0ALICE', 'U0NEW']);
    expect(bootstrapAdmins(store, ['U0ALICE', 'U0ROOT', 'U0NEW'], T0 + 1)).toEqual([]);

    expect(store.roles.get('U0ROOT')).toMatchObject({ role: 'admin', grantedBy: 'U0SOMEONE' });
    expect(store.roles.get('U0ALICE')).toMatchObject({ role: 'admin', grantedBy: 'system', grantedAt: T0 });
    expect(store.audit.list({ limit: 10 }).map((e) => [e.actor, e.action, e.args])).toEqual([
      ['system', 'role.grant', '{"user":"U0NEW","role":"admin","previous":null}'],
      ['system', 'role.grant', '{"user":"U0ALICE","role":"admin","previous":"deployer"}'],
    ]);
  });
});
