import { ErrorCode, LogLevel, type ChatPostMessageResponse, type Logger as SlackLogger } from '@slack/web-api';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runUntilSettled as settleWith } from '../support/chat-rig.ts';
import { ManualClock } from '../../src/clock.ts';
import { createSlackEmulator, type SlackEmulator } from '../../src/local/emulator/index.ts';
import { createOutbox, type CallOutcome, type Outbox } from '../../src/slack/outbox.ts';
import { createWebClient } from '../../src/slack/web-client.ts';

const log = pino({ level: 'silent' });
const quiet: SlackLogger = { debug() {}, info() {}, warn() {}, error() {}, setLevel() {}, getLevel: () => LogLevel.ERROR, setName() {} };
const GENERAL = 'C0GENERAL';
const ALERTS = 'C0ALERTS';

let clock: ManualClock;
let emulator: SlackEmulator;
let outbox: Outbox;
let outcomes: Array<[string, CallOutcome]>;
let depths: number[];

beforeEach(async () => {
  clock = new ManualClock();
  emulator = createSlackEmulator({ clock, signingSecret: 'secret', botToken: 'xoxb-test' });
  await emulator.start();
  // Arrays of this test only: a call of an earlier test finishing late cannot show up here.
  const seenOutcomes: typeof outcomes = (outcomes = []);
  const seenDepths: number[] = (depths = []);
  outbox = createOutbox({
    client: createWebClient({ token: 'xoxb-test', apiUrl: emulator.apiUrl, logger: quiet }),
    clock,
    log,
    onCall: (method, outcome) => seenOutcomes.push([method, outcome]),
    onDepthChange: (depth) => seenDepths.push(depth),
  });
});

afterEach(async () => {
  outbox.stop();
  await emulator.stop();
});

const runUntilSettled = <T>(promise: Promise<T>) => settleWith(clock, promise);

/** Until the outbox sleeps on the clock (e.g. a 429 pause began). */
async function untilWaiting(): Promise<void> {
  for (let i = 0; clock.pendingTimers === 0; i++) {
    if (i > 100_000) throw new Error('the outbox never waited');
    await new Promise((resolve) => setImmediate(resolve));
  }
}

const post = (channel: string, text: string) => outbox.call('chat.postMessage', { channel, text });
const texts = (channel: string) => emulator.messages(channel).map((m) => m.text);
const statuses = (method: string) => emulator.callsTo(method).map((c) => c.status);

describe('the outbox', () => {
  it('delivers posts to one channel in the order they were queued, paced so Slack never refuses one', async () => {
    emulator.setRateLimit('chat.postMessage', { perSecond: 1, burst: 1, per: 'channel' });
    await runUntilSettled(Promise.all(['one', 'two', 'three', 'four', 'five'].map((t) => post(GENERAL, t))));
    expect(texts(GENERAL)).toEqual(['one', 'two', 'three', 'four', 'five']);
    expect(statuses('chat.postMessage')).toEqual([200, 200, 200, 200, 200]);
  });

  it('waits out a 429 from a lowered tier by the clock and delivers the message once', async () => {
    emulator.setRateLimit('chat.postMessage', { perMinute: 1 });
    await post(GENERAL, 'first');
    const second = post(GENERAL, 'second');
    await runUntilSettled(second);

    expect(texts(GENERAL)).toEqual(['first', 'second']);
    expect(statuses('chat.postMessage')).toEqual([200, 429, 200]);
    const [, limited, retried] = emulator.callsTo('chat.postMessage');
    expect(retried!.at - limited!.at).toBeGreaterThanOrEqual(59_000);
    expect(outcomes).toContainEqual(['chat.postMessage', 'rate_limited']);
  });

  it('keeps other channels moving while one channel waits out a 429', async () => {
    emulator.setRateLimit('chat.postMessage', { perSecond: 1 / 60, burst: 1, per: 'channel' });
    await post(GENERAL, 'first');
    const paused = post(GENERAL, 'second');
    await runUntilSettled(post(ALERTS, 'alert'));

    expect(texts(ALERTS)).toEqual(['alert']);
    expect(texts(GENERAL)).toEqual(['first']);
    await runUntilSettled(paused);
    expect(texts(GENERAL)).toEqual(['first', 'second']);
  });

  it('pauses a workspace-limited method everywhere on a 429, so other channels do not run into the same limit', async () => {
    emulator.setRateLimit('chat.update', { perMinute: 1 });
    const general = (await post(GENERAL, 'run 1')) as ChatPostMessageResponse & { ts: string };
    const alerts = (await post(ALERTS, 'run 2')) as ChatPostMessageResponse & { ts: string };
    await outbox.update({ channel: GENERAL, ts: general.ts, text: 'run 1: done' });
    const second = outbox.update({ channel: GENERAL, ts: general.ts, text: 'run 1: really done' });
    await untilWaiting();
    const third = outbox.update({ channel: ALERTS, ts: alerts.ts, text: 'run 2: done' });

    await runUntilSettled(Promise.all([second, third]));

    // After the first 429 nothing calls chat.update until Slack's Retry-After has passed, in
    // either channel: the other channel did not spend a call on a limit already hit.
    const calls = emulator.callsTo('chat.update');
    const firstLimited = calls.findIndex((c) => c.status === 429);
    expect(calls[firstLimited + 1]!.at - calls[firstLimited]!.at).toBeGreaterThanOrEqual(59_000);
    expect(emulator.messages(ALERTS)[0]?.text).toBe('run 2: done');
    expect(emulator.messages(GENERAL)[0]?.text).toBe('run 1: really done');
  });

  it('coalesces updates of one message queued during a rate-limit pause into one chat.update with the last content', async () => {
    emulator.setRateLimit('chat.update', { perMinute: 1 });
    const { ts } = (await post(GENERAL, 'deploying…')) as ChatPostMessageResponse & { ts: string };
    await outbox.update({ channel: GENERAL, ts, text: 'step 1/4' });
    const updates = [outbox.update({ channel: GENERAL, ts, text: 'step 2/4' })];
    // It waits (for chat.update's workspace pace, then for the 429's Retry-After): what is queued
    // meanwhile joins it.
    await untilWaiting();
    updates.push(...['step 3/4', 'step 4/4'].map((text) => outbox.update({ channel: GENERAL, ts, text })));
    expect(outbox.depth()).toBe(1);

    await runUntilSettled(Promise.all(updates));
    expect(statuses('chat.update')).toEqual([200, 429, 200]);
    expect(emulator.callsTo('chat.update').at(-1)?.args.text).toBe('step 4/4');
    expect(emulator.messages(GENERAL)[0]).toMatchObject({ text: 'step 4/4', edited: { count: 2 } });
  });

  it('spaces chat.update calls across channels under its workspace limit, so a burst of runs is not rate limited', async () => {
    const refs = [];
    for (const channel of [GENERAL, ALERTS]) {
      for (let i = 0; i < 3; i++) refs.push({ channel, ...((await runUntilSettled(post(channel, `run ${i}`))) as ChatPostMessageResponse & { ts: string }) });
    }
    const burst = refs.map((ref) => outbox.update({ channel: ref.channel, ts: ref.ts, text: `${ref.channel} done` }));

    await runUntilSettled(Promise.all(burst));

    const calls = emulator.callsTo('chat.update');
    expect(calls.map((c) => c.status)).toEqual([200, 200, 200, 200, 200, 200]);
    const gaps = calls.slice(1).map((c, i) => c.at - calls[i]!.at);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(1_250);
  });

  it('rejects a platform error at once, without retrying', async () => {
    await expect(post('C0NOSUCH', 'hello')).rejects.toMatchObject({ code: ErrorCode.PlatformError, data: { error: 'channel_not_found' } });
    expect(statuses('chat.postMessage')).toEqual([200]);
    expect(outcomes).toEqual([['chat.postMessage', 'failed']]);
  });

  it('retries an unreachable Slack with backoff by the clock, then gives up after five attempts', async () => {
    const down = createOutbox({
      client: createWebClient({ token: 'xoxb-test', apiUrl: 'http://127.0.0.1:1/api/', logger: quiet }),
      clock,
      log,
      onCall: (method, outcome) => outcomes.push([method, outcome]),
    });
    const started = clock.now();
    await expect(runUntilSettled(down.call('chat.postMessage', { channel: GENERAL, text: 'hello' }))).rejects.toMatchObject({
      code: ErrorCode.RequestError,
    });
    expect(outcomes.map(([, outcome]) => outcome)).toEqual(['retrying', 'retrying', 'retrying', 'retrying', 'failed']);
    // 1 + 2 + 4 + 8 seconds of backoff.
    expect(clock.now() - started).toBeGreaterThanOrEqual(15_000);
  });

  it('reports its depth and drains once everything queued is delivered', async () => {
    const posted = Promise.all([post(GENERAL, 'a'), post(GENERAL, 'b'), post(ALERTS, 'c')]);
    expect(outbox.depth()).toBe(3);
    await runUntilSettled(outbox.drain());
    await posted;
    expect(outbox.depth()).toBe(0);
    expect(depths).toEqual([1, 2, 3, 2, 1, 0]);
  });

  it('rejects what is still queued when stopped, and every call after', async () => {
    const first = post(GENERAL, 'a');
    const queued = post(GENERAL, 'b');
    outbox.stop();
    await expect(queued).rejects.toMatchObject({ code: 'outbox_stopped' });
    await expect(post(GENERAL, 'c')).rejects.toMatchObject({ code: 'outbox_stopped' });
    await first;
    expect(texts(GENERAL)).toEqual(['a']);
    await outbox.drain();
  });
});
