import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { LogLevel, type Logger as SlackLogger } from '@slack/web-api';
import { pino } from 'pino';
import { ManualClock } from '../../src/clock.ts';
import { createSlackEmulator, type SlackEmulator } from '../../src/local/emulator/index.ts';
import type { ChatPort } from '../../src/slack/chat-port.ts';
import { createOutbox, type Outbox } from '../../src/slack/outbox.ts';
import { createSlackChat } from '../../src/slack/slack-chat.ts';
import { createWebClient } from '../../src/slack/web-client.ts';

export const silentLog = pino({ level: 'silent' });
export const quietSlackLogger: SlackLogger = { debug() {}, info() {}, warn() {}, error() {}, setLevel() {}, getLevel: () => LogLevel.ERROR, setName() {} };

export interface ChatRig {
  clock: ManualClock;
  emulator: SlackEmulator;
  outbox: Outbox;
  chat: ChatPort;
  stop(): Promise<void>;
}

/**
 * The chat port over a real WebClient and outbox, talking to the emulator. A tiny server stands
 * in for the app's /slack/events and acks everything, so the emulator hands out response_urls.
 */
export async function startChatRig(): Promise<ChatRig> {
  const clock = new ManualClock();
  const emulator = createSlackEmulator({ clock, signingSecret: 'secret', botToken: 'xoxb-test' });
  await emulator.start();
  const app: Server = createServer((req, res) => req.resume().on('end', () => res.end()));
  await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
  emulator.setEventsUrl(`http://127.0.0.1:${(app.address() as AddressInfo).port}/slack/events`);
  const client = createWebClient({ token: 'xoxb-test', apiUrl: emulator.apiUrl, logger: quietSlackLogger });
  const outbox = createOutbox({ client, clock, log: silentLog });
  const chat = createSlackChat({ outbox, client, log: silentLog });
  return {
    clock,
    emulator,
    outbox,
    chat,
    async stop() {
      outbox.stop();
      await emulator.stop();
      await new Promise((resolve) => app.close(resolve));
    },
  };
}

/** Lets the clock run while the outbox waits, and real loopback I/O finish in between. */
export async function runUntilSettled<T>(clock: ManualClock, promise: Promise<T>): Promise<T> {
  let settled = false;
  promise.then(
    () => (settled = true),
    () => (settled = true),
  );
  for (let i = 0; !settled; i++) {
    if (i > 100_000) throw new Error('never settled');
    if (clock.pendingTimers > 0) await clock.advance(250);
    else await new Promise((resolve) => setImmediate(resolve));
  }
  return promise;
}
