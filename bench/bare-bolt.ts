/**
 * The baseline of the ack-latency benchmark: a bare Bolt app with its default HTTPReceiver that
 * answers the slash command the way a plain Bolt app does — ack, then respond() with a help
 * message of the same size through the response_url — with no durability, registry or audit. Run by the bench (fork, IPC) with the
 * same Node binary and flags as opsbot; it reports its port over IPC once listening.
 *
 * Env: SLACK_SIGNING_SECRET, SLACK_BOT_TOKEN, SLACK_API_URL, BOT_ID, BOT_USER_ID, OPS_COMMAND.
 */
import type { AddressInfo } from 'node:net';
import { App, LogLevel } from '@slack/bolt';
import { BARE_ANSWER_MARK } from './lib/emulator-protocol.ts';

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

const HELP_TEXT = `${BARE_ANSWER_MARK} opsbot commands\n• help — List the commands you can run, or explain one`;
const HELP_BLOCKS = [
  { type: 'header', text: { type: 'plain_text', text: 'opsbot commands', emoji: true } },
  { type: 'section', text: { type: 'mrkdwn', text: '*help*\n• `help` — List the commands you can run, or explain one' } },
  { type: 'context', elements: [{ type: 'mrkdwn', text: 'Type `/ops help &lt;command&gt;` for details. In threads, mention me instead: `@opsbot &lt;command&gt;`' }] },
];

app.command(env('OPS_COMMAND'), async ({ ack, respond }) => {
  await ack();
  await respond({ response_type: 'ephemeral', replace_original: false, text: HELP_TEXT, blocks: HELP_BLOCKS });
});

const server = await app.start({ port: 0, host: '127.0.0.1' });
process.send?.({ op: 'listening', port: (server.address() as AddressInfo).port });

// Never outlive the bench.
process.on('disconnect', () => process.exit(0));
process.on('SIGTERM', () => {
  void app.stop().finally(() => process.exit(0));
});
