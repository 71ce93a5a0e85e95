import { readFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isValidSlackRequest } from '@slack/bolt';
import { WebClient } from '@slack/web-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.ts';
import { createSlackEmulator, type SlackEmulator } from '../../src/local/emulator/index.ts';

/**
 * What the emulator sends an app has the shape of Slack's real payloads: every field of the
 * public samples in test/fixtures/slack-payloads (bolt-python's scenario tests) is present, and
 * every request carries a signature Bolt's own verifier accepts.
 */

const SECRET = 'payload-secret';
const BOT_TOKEN = 'xoxb-payloads';
const fixture = (name: string): string => readFileSync(new URL(`../fixtures/slack-payloads/${name}`, import.meta.url), 'utf8');
const json = (name: string) => JSON.parse(fixture(name)) as Record<string, unknown>;

/** Keys that only enterprise-grid installs or retired fields carry. */
const GRID_ONLY = new Set(['enterprise_id', 'enterprise_name', 'authed_users', 'is_enterprise_install']);

/** The fixture's keys (recursively into the named objects) that the emulator's payload lacks. */
function missingKeys(expected: unknown, actual: unknown, path = ''): string[] {
  if (typeof expected !== 'object' || expected === null || Array.isArray(expected)) return [];
  if (typeof actual !== 'object' || actual === null) return [path || '/'];
  const out: string[] = [];
  for (const [k, v] of Object.entries(expected)) {
    if (GRID_ONLY.has(k)) continue;
    const a = (actual as Record<string, unknown>)[k];
    if (!(k in (actual as object))) out.push(`${path}/${k}`);
    else if (['event', 'user', 'team', 'container', 'channel', 'view', 'item'].includes(k)) out.push(...missingKeys(v, a, `${path}/${k}`));
    else if (k === 'actions' && Array.isArray(v) && Array.isArray(a)) out.push(...missingKeys(v[0], a[0], `${path}/actions/0`));
  }
  return out;
}

interface Captured {
  headers: IncomingHttpHeaders;
  body: string;
}

let emulator: SlackEmulator;
let client: WebClient;
let stub: Server;
const captured: Captured[] = [];

beforeEach(async () => {
  captured.length = 0;
  emulator = createSlackEmulator({ clock: new ManualClock(), signingSecret: SECRET, botToken: BOT_TOKEN });
  await emulator.start();
  client = new WebClient(BOT_TOKEN, { slackApiUrl: emulator.apiUrl, retryConfig: { retries: 0 } });
  stub = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += String(c)));
    req.on('end', () => {
      captured.push({ headers: req.headers, body });
      res.end();
    });
  });
  await new Promise<void>((r) => stub.listen(0, '127.0.0.1', r));
  emulator.setEventsUrl(`http://127.0.0.1:${(stub.address() as AddressInfo).port}/slack/events`);
});

afterEach(async () => {
  await emulator.stop();
  await new Promise((r) => stub.close(r));
});

const last = () => captured[captured.length - 1]!;
const lastJson = () => JSON.parse(last().body) as Record<string, unknown>;
const lastPayload = () => JSON.parse(new URLSearchParams(last().body).get('payload')!) as Record<string, unknown>;

describe('payload shapes match the public fixtures', () => {
  it('signs every request so that Bolt’s verifier accepts it', async () => {
    await emulator.slashCommand({ user: 'U0ALICE', channel: 'C0GENERAL', text: 'x' });
    const { headers, body } = last();
    expect(headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(
      isValidSlackRequest({
        signingSecret: SECRET,
        body,
        headers: { 'x-slack-signature': String(headers['x-slack-signature']), 'x-slack-request-timestamp': Number(headers['x-slack-request-timestamp']) },
      }),
    ).toBe(true);
    // Wall-clock seconds: Bolt compares them with its own Date.now().
    expect(Math.abs(Number(headers['x-slack-request-timestamp']) - Date.now() / 1000)).toBeLessThan(5);
  });

  it('slash command form', async () => {
    await emulator.slashCommand({ user: 'U0ALICE', channel: 'C0GENERAL', text: 'deploy api' });
    const sample = Object.fromEntries(new URLSearchParams(fixture('test_slash_command__slash_command_body__L125.form.txt')));
    const ours = Object.fromEntries(new URLSearchParams(last().body));
    expect(missingKeys(sample, ours)).toEqual([]);
    expect(ours).toMatchObject({ command: '/ops', text: 'deploy api', channel_name: 'general', user_name: 'alice', team_domain: 'emulated' });
    expect(ours.trigger_id).toMatch(/^\d+\.\d+\.[0-9a-f]+$/);
  });

  it('app_mention and message events', async () => {
    await emulator.mention({ user: 'U0BOB', channel: 'C0GENERAL', text: 'hi' });
    const [mention, message] = captured.map((c) => JSON.parse(c.body) as Record<string, unknown>);
    expect(missingKeys(json('test_app__app_mention_event_body__L334.json'), mention)).toEqual([]);
    expect(missingKeys(json('test_message__message_body__L253.json'), message)).toEqual([]);
    expect(mention!.event_id).not.toBe(message!.event_id);
    expect(String(mention!.event_id)).toMatch(/^Ev/);
    expect(mention).toMatchObject({ type: 'event_callback', api_app_id: 'A0OPSBOT', team_id: 'T0EMULATE', authorizations: [{ user_id: 'U0OPSBOT', is_bot: true }] });
  });

  it('the bot’s own message echoed back, and a classic integration bot_message', async () => {
    await client.chat.postMessage({ channel: 'C0GENERAL', text: 'hello' });
    await emulator.settle();
    expect(missingKeys(json('test_message_bot__bot_message_event_payload__L128.json'), lastJson())).toEqual([]);
    await emulator.userMessage({ botId: 'B0GRAFANA', channel: 'C0ALERTS', text: 'alert', attachments: [{ text: 'cpu' }] });
    expect(missingKeys(json('test_message_bot__classic_bot_message_event_payload__L173.json'), lastJson())).toEqual([]);
  });

  it('a response_url in_channel post is echoed as bot_message', async () => {
    await emulator.slashCommand({ user: 'U0ALICE', channel: 'C0GENERAL', text: 'x' });
    const url = new URLSearchParams(last().body).get('response_url')!;
    await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ response_type: 'in_channel', text: 'done' }) });
    await emulator.settle();
    expect(missingKeys(json('test_events_ignore_self__response_url_message_event__L115.json'), lastJson())).toEqual([]);
    expect(lastJson().event).toMatchObject({ subtype: 'bot_message', bot_id: 'B0OPSBOT', text: 'done' });
  });

  it('reaction_added and app_home_opened', async () => {
    const { ts } = await emulator.userMessage({ user: 'U0ALICE', channel: 'C0GENERAL', text: 'react to me' });
    await emulator.addReaction({ user: 'U0BOB', channel: 'C0GENERAL', ts, name: 'eyes' });
    expect(missingKeys(json('test_events__valid_reaction_added_body__L112.json'), lastJson())).toEqual([]);
    await emulator.openHome('U0BOB');
    expect(missingKeys(json('test_events_org_apps__event_payload__L153.json'), lastJson())).toEqual([]);
  });

  it('block_actions from a button, in a thread and in an ephemeral', async () => {
    const blocks = [{ type: 'actions', elements: [{ type: 'button', action_id: 'approve', text: { type: 'plain_text', text: 'Approve' }, value: 'v1' }] }];
    const parent = await client.chat.postMessage({ channel: 'C0GENERAL', text: 'parent' });
    const reply = await client.chat.postMessage({ channel: 'C0GENERAL', text: 'approve?', blocks, thread_ts: parent.ts! });
    await emulator.settle();
    await emulator.clickButton({ user: 'U0BOB', channel: 'C0GENERAL', messageTs: reply.ts!, actionId: 'approve' });
    const payload = lastPayload();
    expect(missingKeys(json('test_block_actions__body__L161.json'), payload)).toEqual([]);
    expect(payload).toMatchObject({
      container: { type: 'message', message_ts: reply.ts, channel_id: 'C0GENERAL', is_ephemeral: false, thread_ts: parent.ts },
      message: { ts: reply.ts, thread_ts: parent.ts, text: 'approve?' },
      actions: [{ action_id: 'approve', block_id: 'blk0', value: 'v1', type: 'button' }],
      user: { id: 'U0BOB', name: 'bob' },
      channel: { id: 'C0GENERAL', name: 'general' },
    });
    expect(String(payload.response_url)).toContain('/response/');

    const eph = await client.chat.postEphemeral({ channel: 'C0GENERAL', user: 'U0CAROL', text: 'just you', blocks });
    await emulator.clickButton({ user: 'U0CAROL', channel: 'C0GENERAL', messageTs: eph.message_ts!, actionId: 'approve', value: 'override' });
    expect(lastPayload()).toMatchObject({ container: { is_ephemeral: true }, actions: [{ value: 'override' }] });
    expect(lastPayload().message).toBeUndefined();
    await expect(emulator.clickButton({ user: 'U0BOB', channel: 'C0GENERAL', messageTs: eph.message_ts!, actionId: 'approve' })).rejects.toThrow(/cannot see/);
  });

  it('view_submission with the values given and the view’s metadata', async () => {
    const opened = await client.views.open({
      trigger_id: emulator.issueTriggerId('U0ALICE'),
      view: {
        type: 'modal',
        callback_id: 'rollback',
        private_metadata: 'inc-7',
        title: { type: 'plain_text', text: 'Rollback' },
        submit: { type: 'plain_text', text: 'Go' },
        blocks: [{ type: 'input', block_id: 'why', label: { type: 'plain_text', text: 'Why' }, element: { type: 'plain_text_input', action_id: 'text' } }],
      },
    });
    const values = { why: { text: { type: 'plain_text_input', value: 'bad deploy' } } };
    await emulator.submitView({ user: 'U0ALICE', viewId: opened.view!.id!, values });
    const payload = lastPayload();
    expect(missingKeys(json('test_view_submission__body__L17.json'), payload)).toEqual([]);
    expect(payload.view).toMatchObject({ id: opened.view!.id, callback_id: 'rollback', private_metadata: 'inc-7', state: { values } });
    // An empty ack closes the modal.
    expect(emulator.views()).toEqual([]);
  });
});
