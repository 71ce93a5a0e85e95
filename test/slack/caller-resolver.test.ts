import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.ts';
import { createSlackEmulator, type SlackEmulator } from '../../src/local/emulator/index.ts';
import { createCallerResolver } from '../../src/slack/caller-resolver.ts';
import { createWebClient } from '../../src/slack/web-client.ts';
import { createStore } from '../../src/store/store.ts';
import type { Store } from '../../src/store/types.ts';
import { useTempFiles } from '../store/temp-files.ts';

const TOKEN = 'xoxb-caller-test';

describe('the caller resolver', () => {
  const files = useTempFiles();
  let clock: ManualClock;
  let emulator: SlackEmulator;
  let store: Store;
  let callers: ReturnType<typeof createCallerResolver>;

  beforeEach(async () => {
    clock = new ManualClock(1_700_000_000_000);
    emulator = createSlackEmulator({ clock, signingSecret: 'secret', botToken: TOKEN });
    await emulator.start();
    emulator.addUser({ id: 'U0GUEST', name: 'gina', guest: true });
    emulator.addUser({ id: 'U0SINGLE', name: 'sam', guest: true, singleChannelGuest: true });
    emulator.addUser({ id: 'U0PARTNER', name: 'pat', teamId: 'T0PARTNER' });
    store = createStore(files.open(), { isProcessAlive: () => false });
    callers = createCallerResolver({
      roles: store.roles,
      client: createWebClient({ token: TOKEN, apiUrl: emulator.apiUrl }),
      clock,
      log: pino({ level: 'silent' }),
      policy: { memberRole: 'viewer', guestRole: null },
      teamId: () => emulator.teamId,
    });
  });

  afterEach(async () => {
    await emulator.stop();
  });

  it('makes a workspace member a viewer', async () => {
    expect(await callers.resolve('U0ALICE')).toEqual({ id: 'U0ALICE', role: 'viewer' });
  });

  it('gives guests (multi- and single-channel) and Slack Connect users nothing', async () => {
    for (const id of ['U0GUEST', 'U0SINGLE', 'U0PARTNER']) expect(await callers.resolve(id)).toEqual({ id, role: null });
  });

  it('lets a granted role win without asking Slack', async () => {
    store.roles.grant('U0GUEST', 'responder', 'U0ALICE', clock.now());

    expect(await callers.resolve('U0GUEST')).toEqual({ id: 'U0GUEST', role: 'responder' });
    expect(emulator.callsTo('users.info')).toEqual([]);
  });

  it('asks Slack about a person once per ten minutes', async () => {
    await callers.resolve('U0ALICE');
    await callers.resolve('U0ALICE');
    await clock.advance(10 * 60_000);
    await callers.resolve('U0ALICE');

    expect(emulator.callsTo('users.info')).toHaveLength(2);
  });

  it('grants nothing when Slack cannot say who someone is', async () => {
    expect(await callers.resolve('U0NOBODY')).toEqual({ id: 'U0NOBODY', role: null });
  });

  it('waits out a users.info rate limit on the clock instead of refusing a member', async () => {
    emulator.setRateLimit('users.info', { perMinute: 1 });
    await callers.resolve('U0ALICE');

    const bob = callers.resolve('U0BOB');
    while (clock.pendingTimers === 0) await new Promise((resolve) => setTimeout(resolve, 1)); // asleep until Slack allows
    await clock.advance(60_000);

    expect(await bob).toEqual({ id: 'U0BOB', role: 'viewer' });
    expect(emulator.callsTo('users.info').map((c) => c.status)).toEqual([200, 429, 200]);
  });
});
