/**
 * The Slack emulator in a process of its own, for the ack-latency benchmark. Run by the bench
 * (fork, IPC); not a command-line tool.
 *
 * Why a separate process: opsbot calls the emulator after every ack (users.info, and a
 * response_url POST per command). In the load generator's process that work would sit on the
 * event loop that timestamps responses, and it arrives right after an opsbot ack — while the
 * bare Bolt request that follows is in flight — so it would inflate the baseline's latency more
 * than opsbot's. Here it costs CPU like any other process on the machine and nothing else.
 *
 * Commands are "harvested" here: emulator.slashCommand builds and signs the real form (with a
 * response_url the emulator issued, and a unique trigger_id); the events URL points at a capture
 * server in this process, which keeps the body. The bench re-signs the body at send time and
 * sends it over a keep-alive connection of its own.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { systemClock } from '../src/clock.ts';
import { createSlackEmulator, DEFAULT_BOT, DEFAULT_USERS, defaultChannels, type EmulatedUser } from '../src/local/emulator/index.ts';
import { BARE_ANSWER_MARK, type FromEmulator, SLOW_USER_PREFIX, type ToEmulator } from './lib/emulator-protocol.ts';

const HARVEST_PARALLELISM = 16;

function send(message: FromEmulator): void {
  process.send?.(message);
}

function env(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`emulator-child: ${name} is required`);
  return value;
}

async function main(): Promise<void> {
  const clock = systemClock();
  const slowMs = Number(env('BENCH_SLOW_MS'));
  const slowUsers: EmulatedUser[] = Array.from({ length: Number(env('BENCH_SLOW_USERS')) }, (_, i) => ({
    id: `${SLOW_USER_PREFIX}${i + 1}`,
    name: `slow${i + 1}`,
  }));
  const users = [...DEFAULT_USERS, ...slowUsers];
  const emulator = createSlackEmulator({
    clock,
    signingSecret: env('BENCH_SIGNING_SECRET'),
    botToken: env('BENCH_BOT_TOKEN'),
    users,
    channels: defaultChannels(DEFAULT_BOT.userId, users.map((u) => u.id)),
    enforceRateLimits: false,
  });

  let slowInFlight = 0;
  emulator.intercept('users.info', async (args) => {
    const user = String(args.user);
    if (!user.startsWith(SLOW_USER_PREFIX)) return;
    slowInFlight += 1;
    send({ op: 'slow', phase: 'start', user });
    try {
      await clock.sleep(slowMs);
    } finally {
      slowInFlight -= 1;
      send({ op: 'slow', phase: 'done', user });
    }
  });

  // The capture server stands in for the app while commands are harvested.
  const captured: string[] = [];
  const capture = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      captured.push(Buffer.concat(chunks).toString('utf8'));
      res.writeHead(200, { 'content-length': '0' });
      res.end();
    });
  });
  await new Promise<void>((resolve) => capture.listen(0, '127.0.0.1', resolve));
  emulator.setEventsUrl(`http://127.0.0.1:${(capture.address() as AddressInfo).port}/slack/events`);
  await emulator.start();

  const harvest = async (users: readonly string[], channel: string, text: string): Promise<string[]> => {
    captured.length = 0;
    const count = users.length;
    let next = 0;
    const worker = async () => {
      while (next < count) {
        const user = users[next++]!;
        const response = await emulator.slashCommand({ user, channel, text });
        if (response.status !== 200) throw new Error(`harvest: capture server answered ${response.status} ${response.error ?? ''}`);
      }
    };
    await Promise.all(Array.from({ length: Math.min(HARVEST_PARALLELISM, count) }, worker));
    if (captured.length !== count) throw new Error(`harvest: captured ${captured.length} of ${count} commands`);
    return captured.splice(0);
  };

  const stats = () => {
    const methods: Record<string, number> = {};
    let responseUrlOk = 0;
    let responseUrlFailed = 0;
    let bareAnswers = 0;
    for (const call of emulator.calls) {
      if (call.method === 'response_url') {
        if (call.status !== 200) responseUrlFailed += 1;
        else if (String(call.args.text ?? '').startsWith(BARE_ANSWER_MARK)) bareAnswers += 1;
        else responseUrlOk += 1;
      } else {
        methods[call.method] = (methods[call.method] ?? 0) + 1;
      }
    }
    return { responseUrlOk, responseUrlFailed, bareAnswers, methods, slowInFlight };
  };

  const stop = async () => {
    await emulator.stop();
    await new Promise<void>((resolve) => {
      capture.close(() => resolve());
      capture.closeAllConnections();
    });
  };

  process.on('message', (raw) => {
    const message = raw as ToEmulator;
    void (async () => {
      try {
        switch (message.op) {
          case 'harvest':
            send({ op: 'harvested', id: message.id, forms: await harvest(message.users, message.channel, message.text) });
            break;
          case 'stats':
            send({ op: 'stats', id: message.id, stats: stats() });
            break;
          case 'stop':
            await stop();
            send({ op: 'stopped', id: message.id });
            process.disconnect();
            break;
        }
      } catch (err) {
        send({ op: 'error', id: message.id, message: err instanceof Error ? err.message : String(err) });
      }
    })();
  });
  // Never outlive the bench.
  process.on('disconnect', () => process.exit(0));
  process.on('SIGTERM', () => void stop().finally(() => process.exit(0)));

  send({ op: 'started', apiUrl: emulator.apiUrl, botUserId: emulator.botUserId, botId: emulator.botId, teamId: emulator.teamId });
}

main().catch((err: unknown) => {
  send({ op: 'error', message: err instanceof Error ? (err.stack ?? err.message) : String(err) });
  process.exitCode = 1;
});
