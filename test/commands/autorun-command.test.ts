import { describe, expect, it } from 'vitest';
import { createAutorunSwitch } from '../../src/autorun-switch.ts';
import { autorunCommand } from '../../src/commands/autorun-command.ts';
import { useOpsbot } from './support.ts';

const ALICE = 'U0ALICE';

describe('autorun', () => {
  const opsbot = useOpsbot([autorunCommand]);

  it('is on until someone switches it off, and says who did and when', async () => {
    const bot = opsbot();
    bot.store.roles.grant(ALICE, 'responder', 'system', 0);
    expect((await bot.as(ALICE, 'autorun')).text).toBe('Automatic actions are *on*.');

    const off = await bot.as(ALICE, 'autorun off');
    expect(off.publics.map((m) => m.text)).toEqual([`⏸️ <@${ALICE}> turned automatic actions *off*: playbooks and CI re-runs now wait for a click.`]);
    expect(createAutorunSwitch(bot.store).isOn()).toBe(false);
    expect((await bot.as(ALICE, 'autorun status')).text).toBe(`Automatic actions are *off* since 2026-03-02 09:30:00Z, switched by <@${ALICE}>.`);
    expect(bot.store.audit.list({ limit: 5 }).find((e) => e.action === 'autorun')).toMatchObject({ actor: ALICE, args: '{"on":false,"was":true}' });
  });

  it('keeps its state in the database, where a new process reads it', async () => {
    const bot = opsbot();
    bot.store.roles.grant(ALICE, 'responder', 'system', 0);
    await bot.as(ALICE, 'autorun off');
    expect(createAutorunSwitch(bot.store).state()).toMatchObject({ on: false, by: ALICE });
  });

  it('is not for viewers', async () => {
    const bot = opsbot();
    const { outcome } = await bot.as('U0VIEWER', 'autorun off');
    expect(outcome).toBe('denied');
    expect(createAutorunSwitch(bot.store).isOn()).toBe(true);
  });
});
