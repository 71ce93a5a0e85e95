import { ErrorCode, LogLevel, WebClient, type Logger as SlackLogger } from '@slack/web-api';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.ts';
import { createSlackEmulator, type SlackEmulator } from '../../src/local/emulator/index.ts';
import { createWebClient, webClientOptions } from '../../src/slack/web-client.ts';

const quiet: SlackLogger = { debug() {}, info() {}, warn() {}, error() {}, setLevel() {}, getLevel: () => LogLevel.ERROR, setName() {} };
let emulator: SlackEmulator;

beforeEach(async () => {
  emulator = createSlackEmulator({ clock: new ManualClock(), signingSecret: 'secret', botToken: 'xoxb-test' });
  await emulator.start();
});

afterEach(() => emulator.stop());

it('hands a 429 back at once with its Retry-After, so the outbox does the waiting', async () => {
  emulator.setRateLimit('chat.postMessage', { perMinute: 1 });
  const client = createWebClient({ token: 'xoxb-test', apiUrl: emulator.apiUrl, logger: quiet });
  await client.chat.postMessage({ channel: 'C0GENERAL', text: 'first' });
  await expect(client.chat.postMessage({ channel: 'C0GENERAL', text: 'second' })).rejects.toMatchObject({ code: ErrorCode.RateLimitedError, retryAfter: 60 });
  expect(emulator.callsTo('chat.postMessage').map((c) => c.status)).toEqual([200, 429]);
});

it('does not retry a failed call by itself', async () => {
  const client = createWebClient({ token: 'xoxb-test', apiUrl: 'http://127.0.0.1:1/api/', logger: quiet });
  await expect(client.auth.test()).rejects.toMatchObject({ code: ErrorCode.RequestError, attemptNumber: 1 });
});

it('gives Bolt the same client options', () => {
  const client = new WebClient('xoxb-test', webClientOptions({ apiUrl: emulator.apiUrl, logger: quiet }));
  expect(client.slackApiUrl).toBe(emulator.apiUrl);
  expect(webClientOptions()).toMatchObject({ retryConfig: { retries: 0 }, rejectRateLimitedCalls: true, timeout: 10_000 });
});
