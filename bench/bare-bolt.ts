/**
 * The baseline of the ack-latency benchmark: a bare Bolt app with its default HTTPReceiver that
 * acknowledges the slash command and does nothing else. Run by the bench (fork, IPC) with the
 * same Node binary and flags as opsbot; it reports its port over IPC once listening.
 *
 * Env: SLACK_SIGNING_SECRET, SLACK_BOT_TOKEN, SLACK_API_URL, BOT_ID, BOT_USER_ID, OPS_COMMAND.
 */
import type { AddressInfo } from 'node:net';
import { App, LogLevel } from '@slack/bolt';

function env(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`bare-bolt: ${name} is required`);
  return value;
}

const app = new App({
  signingSecret: env('SLACK_SIGNING_SECRET'),
  token: env('SLACK_BOT_TOKEN'),
  // Known up front, as opsbot knows them from its start-up auth.test: no auth.test per request.
  botId: env('BOT_ID'),
  botUserId: env('BOT_USER_ID'),
  clientOptions: { slackApiUrl: env('SLACK_API_URL') },
  logLevel: LogLevel.WARN,
});

app.command(env('OPS_COMMAND'), async ({ ack }) => {
  await ack();
});

const server = await app.start({ port: 0, host: '127.0.0.1' });
process.send?.({ op: 'listening', port: (server.address() as AddressInfo).port });

// Never outlive the bench.
process.on('disconnect', () => process.exit(0));
process.on('SIGTERM', () => {
  void app.stop().finally(() => process.exit(0));
});
