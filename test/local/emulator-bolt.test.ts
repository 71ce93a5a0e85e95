import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { App, LogLevel, SocketModeReceiver, type SlashCommand } from '@slack/bolt';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.ts';
import { createSlackEmulator, type SlackEmulator } from '../../src/local/emulator/index.ts';

/**
 * "Through Slack": a real Bolt app, over signed HTTP and over Socket Mode, receiving what the
 * emulator's people do and answering through the real WebClient.
 */

const BOT_TOKEN = 'xoxb-emulated';
const APP_TOKEN = 'xapp-emulated';
const SECRET = 'emulated-signing-secret';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function emulator(): Promise<{ emulator: SlackEmulator; clock: ManualClock }> {
  const clock = new ManualClock();
  const e = createSlackEmulator({ clock, signingSecret: SECRET, botToken: BOT_TOKEN, appToken: APP_TOKEN });
  await e.start();
  cleanups.push(() => e.stop());
  return { emulator: e, clock };
}

/** A Bolt app in HTTP mode on a random port, its events URL given to the emulator. */
async function httpApp(e: SlackEmulator, register: (app: App) => void): Promise<App> {
  const app = new App({
    token: BOT_TOKEN,
    signingSecret: SECRET,
    logLevel: LogLevel.ERROR,
    clientOptions: { slackApiUrl: e.apiUrl, retryConfig: { retries: 0 } },
  });
  register(app);
  const server = (await app.start(0)) as Server;
  cleanups.push(() => app.stop());
  e.setEventsUrl(`http://127.0.0.1:${(server.address() as AddressInfo).port}/slack/events`);
  return app;
}

describe('Bolt over signed HTTP', () => {
  it('delivers a signed slash command whose ack the person sees', async () => {
    const { emulator: e } = await emulator();
    const seen: SlashCommand[] = [];
    await httpApp(e, (app) =>
      app.command('/ops', async ({ command, ack }) => {
        seen.push(command);
        await ack({ text: 'on it' });
      }),
    );
    const res = await e.slashCommand({ user: 'U0ALICE', channel: 'C0GENERAL', text: 'deploy api' });
    expect(res).toMatchObject({ status: 200, json: { text: 'on it' } });
    expect(seen[0]).toMatchObject({ command: '/ops', text: 'deploy api', user_id: 'U0ALICE', user_name: 'alice', channel_id: 'C0GENERAL', team_id: 'T0EMULATE', api_app_id: 'A0OPSBOT' });
    expect(e.ephemerals({ user: 'U0ALICE' })).toMatchObject([{ text: 'on it', via: 'ack', channel: 'C0GENERAL' }]);
  });

  it('gets 401 from Bolt for a tampered signature or a stale timestamp', async () => {
    const { emulator: e } = await emulator();
    let called = false;
    await httpApp(e, (app) =>
      app.command('/ops', async ({ ack }) => {
        called = true;
        await ack();
      }),
    );
    const body = 'command=%2Fops&text=hi&user_id=U0ALICE&channel_id=C0GENERAL&team_id=T0EMULATE';
    expect((await e.sendRaw(body, 'application/x-www-form-urlencoded', { signature: 'v0=deadbeef' })).status).toBe(401);
    const stale = Math.floor(Date.now() / 1000) - 6 * 60;
    expect((await e.sendRaw(body, 'application/x-www-form-urlencoded', { timestamp: stale })).status).toBe(401);
    expect(called).toBe(false);
    expect((await e.sendRaw(body, 'application/x-www-form-urlencoded')).status).toBe(200);
    expect(called).toBe(true);
  });

  it('delivers app_mention and message for a mention, echoes the bot’s reply, and Bolt ignores the echo', async () => {
    const { emulator: e } = await emulator();
    const messages: Array<{ text?: string; user?: string }> = [];
    await httpApp(e, (app) => {
      app.event('app_mention', async ({ event, say }) => {
        await say({ text: `hi <@${event.user}>`, thread_ts: event.thread_ts ?? event.ts });
      });
      app.message(async ({ message }) => {
        messages.push(message as { text?: string; user?: string });
      });
    });

    const { ts, responses } = await e.mention({ user: 'U0BOB', channel: 'C0GENERAL', text: 'status please' });
    expect(responses.map((r) => r.status)).toEqual([200, 200]);
    await e.settle();

    expect(e.replies('C0GENERAL', ts)).toMatchObject([{ text: 'hi <@U0BOB>', user: 'U0OPSBOT', botId: 'B0OPSBOT' }]);
    const kinds = e.deliveries().map((d) => d.type);
    expect(kinds).toEqual(['app_mention', 'message', 'message']);
    const ids = e.deliveries().map((d) => d.eventId);
    expect(new Set(ids).size).toBe(3);
    const echo = JSON.parse(e.deliveries()[2]!.body) as { event: Record<string, unknown> };
    expect(echo.event).toMatchObject({ type: 'message', bot_id: 'B0OPSBOT', user: 'U0OPSBOT', thread_ts: ts, channel: 'C0GENERAL' });
    // Bolt's ignoreSelf dropped the echo: the listener saw only Bob's message.
    expect(messages).toMatchObject([{ user: 'U0BOB', text: '<@U0OPSBOT> status please' }]);
  });

  it('carries thread_ts for a mention in a thread, and delivers nothing where the bot is not a member', async () => {
    const { emulator: e } = await emulator();
    const threads: Array<string | undefined> = [];
    await httpApp(e, (app) =>
      app.event('app_mention', async ({ event }) => {
        threads.push(event.thread_ts);
      }),
    );
    const { ts } = await e.userMessage({ user: 'U0ALICE', channel: 'C0GENERAL', text: 'pods are crashing' });
    await e.mention({ user: 'U0BOB', channel: 'C0GENERAL', text: 'look', threadTs: ts });
    expect(threads).toEqual([ts]);
    const elsewhere = await e.mention({ user: 'U0BOB', channel: 'C0RANDOM', text: 'anyone?' });
    expect(elsewhere.responses).toEqual([]);
  });

  it('passes an integration’s bot_message with attachments to the app', async () => {
    const { emulator: e } = await emulator();
    const seen: Array<Record<string, unknown>> = [];
    await httpApp(e, (app) =>
      app.event('message', async ({ event }) => {
        seen.push(event as unknown as Record<string, unknown>);
      }),
    );
    const attachments = [{ color: 'danger', title: '[FIRING:1] KubePodCrashLooping', text: 'pod api-1 is crash looping' }];
    const { response } = await e.userMessage({ botId: 'B0ALERTMGR', channel: 'C0ALERTS', text: '', attachments });
    expect(response.status).toBe(200);
    expect(seen).toMatchObject([{ subtype: 'bot_message', bot_id: 'B0ALERTMGR', attachments }]);
  });

  it('clicks a button and lets the app replace the original through response_url', async () => {
    const { emulator: e } = await emulator();
    const clicks: Array<{ value?: string; user: string }> = [];
    await httpApp(e, (app) => {
      app.command('/ops', async ({ ack, client, command }) => {
        await ack();
        await client.chat.postMessage({
          channel: command.channel_id,
          text: 'Approve deploy?',
          blocks: [
            { type: 'section', text: { type: 'mrkdwn', text: 'Approve deploy?' } },
            { type: 'actions', block_id: 'decide', elements: [{ type: 'button', action_id: 'approve', text: { type: 'plain_text', text: 'Approve' }, value: 'run-7' }] },
          ],
        });
      });
      app.action('approve', async ({ ack, body, action, respond }) => {
        await ack();
        clicks.push({ value: (action as { value?: string }).value, user: body.user.id });
        await respond({ replace_original: true, text: `Approved by <@${body.user.id}>` });
      });
    });
    await e.slashCommand({ user: 'U0ALICE', channel: 'C0GENERAL', text: 'deploy' });
    await e.settle();
    const [question] = e.messages('C0GENERAL');
    const res = await e.clickButton({ user: 'U0BOB', channel: 'C0GENERAL', messageTs: question!.ts, actionId: 'approve' });
    expect(res.status).toBe(200);
    await e.settle();
    expect(clicks).toEqual([{ value: 'run-7', user: 'U0BOB' }]);
    expect(e.messages('C0GENERAL')).toMatchObject([{ ts: question!.ts, text: 'Approved by <@U0BOB>', edited: { count: 1 } }]);
  });

  it('opens a modal from a command and keeps it open on response_action errors', async () => {
    const { emulator: e } = await emulator();
    await httpApp(e, (app) => {
      app.command('/ops', async ({ ack, client, command }) => {
        await ack();
        await client.views.open({
          trigger_id: command.trigger_id,
          view: {
            type: 'modal',
            callback_id: 'deploy',
            private_metadata: 'run-9',
            title: { type: 'plain_text', text: 'Deploy' },
            submit: { type: 'plain_text', text: 'Go' },
            blocks: [{ type: 'input', block_id: 'env', label: { type: 'plain_text', text: 'Env' }, element: { type: 'plain_text_input', action_id: 'value' } }],
          },
        });
      });
      app.view('deploy', async ({ ack, view }) => {
        const env = view.state.values.env?.value?.value;
        if (env !== 'staging' || view.private_metadata !== 'run-9') await ack({ response_action: 'errors', errors: { env: 'only staging' } });
        else await ack();
      });
    });
    await e.slashCommand({ user: 'U0CAROL', channel: 'C0GENERAL', text: 'deploy' });
    await e.settle();
    const [modal] = e.views();
    expect(modal).toMatchObject({ user: 'U0CAROL', view: { callback_id: 'deploy' } });

    await e.submitView({ user: 'U0CAROL', viewId: modal!.id, values: { env: { value: { type: 'plain_text_input', value: 'prod' } } } });
    expect(e.views()).toMatchObject([{ id: modal!.id, errors: { env: 'only staging' } }]);
    await e.submitView({ user: 'U0CAROL', viewId: modal!.id, values: { env: { value: { type: 'plain_text_input', value: 'staging' } } } });
    expect(e.views()).toEqual([]);
  });

  it('re-sends an event as a Slack retry with the same event_id and retry headers', async () => {
    const { emulator: e } = await emulator();
    const seen: Array<{ eventId: string; retryNum?: number; retryReason?: string }> = [];
    await httpApp(e, (app) =>
      app.event('app_mention', async ({ body, context }) => {
        seen.push({ eventId: body.event_id, retryNum: context.retryNum, retryReason: context.retryReason });
      }),
    );
    await e.mention({ user: 'U0ALICE', channel: 'C0GENERAL', text: 'hello' });
    const first = e.deliveries().find((d) => d.type === 'app_mention')!;
    expect((await e.redeliver(first)).status).toBe(200);
    expect(seen).toEqual([
      { eventId: first.eventId, retryNum: undefined, retryReason: undefined },
      { eventId: first.eventId, retryNum: 1, retryReason: 'http_timeout' },
    ]);
    expect(e.deliveries().at(-1)).toMatchObject({ body: first.body, retry: { num: 1, reason: 'http_timeout' } });
  });

  it('reports an ack that never comes as http_timeout', async () => {
    const clock = new ManualClock();
    const e = createSlackEmulator({ clock, signingSecret: SECRET, botToken: BOT_TOKEN, ackTimeoutMs: 200 });
    await e.start();
    cleanups.push(() => e.stop());
    let release: () => void = () => {};
    await httpApp(e, (app) =>
      app.command('/ops', async ({ ack }) => {
        await new Promise<void>((r) => (release = r));
        await ack();
      }),
    );
    const res = await e.slashCommand({ user: 'U0ALICE', channel: 'C0GENERAL', text: 'slow' });
    release();
    expect(res).toMatchObject({ status: 0, error: 'http_timeout' });
  });
});

describe('Bolt over Socket Mode', () => {
  it('receives a slash command over the WebSocket and the ack comes back', async () => {
    const { emulator: e } = await emulator();
    const receiver = new SocketModeReceiver({
      appToken: APP_TOKEN,
      logLevel: LogLevel.ERROR,
      installerOptions: { clientOptions: { slackApiUrl: e.apiUrl } },
    });
    const app = new App({ token: BOT_TOKEN, receiver, logLevel: LogLevel.ERROR, clientOptions: { slackApiUrl: e.apiUrl, retryConfig: { retries: 0 } } });
    const mentions: string[] = [];
    app.command('/ops', async ({ command, ack }) => {
      await ack({ text: `got ${command.text}` });
    });
    app.event('app_mention', async ({ event, say }) => {
      mentions.push(event.text);
      await say({ text: 'pong', thread_ts: event.ts });
    });
    await app.start();
    cleanups.push(() => app.stop());
    expect(e.socketModeConnections).toBe(1);
    expect(e.callsTo('apps.connections.open')).toHaveLength(1);

    const res = await e.slashCommand({ user: 'U0ALICE', channel: 'C0GENERAL', text: 'status' });
    expect(res).toMatchObject({ status: 200, json: { text: 'got status' } });
    expect(e.deliveries()[0]).toMatchObject({ via: 'socket', kind: 'slash_commands', type: '/ops' });
    expect(e.ephemerals({ user: 'U0ALICE' })).toMatchObject([{ text: 'got status', via: 'ack' }]);

    const { ts } = await e.mention({ user: 'U0BOB', channel: 'C0GENERAL', text: 'ping' });
    await e.settle();
    expect(mentions).toEqual(['<@U0OPSBOT> ping']);
    expect(e.replies('C0GENERAL', ts).map((m) => m.text)).toEqual(['pong']);
  });

  it('refuses apps.connections.open without an app-level token', async () => {
    const { emulator: e } = await emulator();
    const res = await fetch(`${e.apiUrl}apps.connections.open`, { method: 'POST', headers: { authorization: `Bearer ${BOT_TOKEN}` } });
    expect(await res.json()).toMatchObject({ ok: false, error: 'not_allowed_token_type' });
  });
});
