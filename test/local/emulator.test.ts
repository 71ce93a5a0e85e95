import { LogLevel, WebClient, type Logger, type WebAPIPlatformError, type WebAPIRateLimitedError } from '@slack/web-api';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.ts';
import { createSlackEmulator, type EmulatorOptions, type SlackEmulator } from '../../src/local/emulator/index.ts';

/**
 * The emulator's Web API, driven by the real @slack/web-api WebClient: what an app sees when it
 * talks to "Slack" — answers, errors, limits — must be what Slack would answer.
 */

const BOT_TOKEN = 'xoxb-emulated';
/** The WebClient logs every Slack [ERROR] message; these tests provoke them on purpose. */
const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {}, setLevel() {}, getLevel: () => LogLevel.ERROR, setName() {} };
const running: SlackEmulator[] = [];

async function setup(options: Partial<EmulatorOptions> = {}) {
  const clock = new ManualClock();
  const emulator = createSlackEmulator({ clock, signingSecret: 'secret', botToken: BOT_TOKEN, ...options });
  await emulator.start();
  running.push(emulator);
  const client = new WebClient(BOT_TOKEN, { slackApiUrl: emulator.apiUrl, retryConfig: { retries: 0 }, rejectRateLimitedCalls: true, logger: quiet });
  return { clock, emulator, client };
}

/** The Slack error a call failed with (WebClient throws WebAPIPlatformError for ok:false). */
async function slackError(call: Promise<unknown>): Promise<WebAPIPlatformError['data']> {
  try {
    await call;
  } catch (err) {
    const e = err as WebAPIPlatformError;
    if (e.code === 'slack_webapi_platform_error') return e.data;
    throw err;
  }
  throw new Error('expected the call to fail');
}

afterEach(async () => {
  await Promise.all(running.splice(0).map((e) => e.stop()));
});

describe('Web API basics', () => {
  it('answers auth.test with the default workspace and records calls without the token', async () => {
    const { client, emulator } = await setup();
    const res = await client.auth.test();
    expect(res).toMatchObject({ ok: true, user_id: 'U0OPSBOT', bot_id: 'B0OPSBOT', team_id: 'T0EMULATE', team: 'emulated', url: 'https://emulated.slack.com/' });
    expect(emulator.callsTo('auth.test')).toHaveLength(1);
    expect(JSON.stringify(emulator.calls)).not.toContain(BOT_TOKEN);
  });

  it('rejects unknown tokens, missing tokens and unknown methods as Slack does', async () => {
    const { emulator } = await setup();
    const stranger = new WebClient('xoxb-nope', { slackApiUrl: emulator.apiUrl, retryConfig: { retries: 0 } });
    expect((await slackError(stranger.auth.test())).error).toBe('invalid_auth');
    const nobody = new WebClient(undefined, { slackApiUrl: emulator.apiUrl, retryConfig: { retries: 0 } });
    expect((await slackError(nobody.auth.test())).error).toBe('not_authed');
    const { client } = await setup();
    expect((await slackError(client.apiCall('chat.frobnicate'))).error).toBe('unknown_method');
  });

  it('accepts JSON bodies with the token in the Authorization header', async () => {
    const { emulator } = await setup();
    const res = await fetch(`${emulator.apiUrl}chat.postMessage`, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8', authorization: `Bearer ${BOT_TOKEN}` },
      body: JSON.stringify({ channel: 'C0GENERAL', text: 'json', blocks: [{ type: 'section', text: { type: 'mrkdwn', text: '*json*' } }] }),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ ok: true, channel: 'C0GENERAL' });
    expect(emulator.messages('C0GENERAL')[0]).toMatchObject({ text: 'json', blocks: [{ type: 'section' }] });
    expect(emulator.callsTo('chat.postMessage')[0]!.args).toMatchObject({ channel: 'C0GENERAL', blocks: [{ type: 'section' }] });
  });
});

describe('chat', () => {
  it('posts, threads, updates and lists messages', async () => {
    const { client, emulator, clock } = await setup();
    const parent = await client.chat.postMessage({ channel: 'C0GENERAL', text: 'deploying api' });
    expect(parent).toMatchObject({ ok: true, channel: 'C0GENERAL', message: { text: 'deploying api', user: 'U0OPSBOT', bot_id: 'B0OPSBOT' } });
    await clock.advance(1000);
    const reply = await client.chat.postMessage({ channel: 'C0GENERAL', text: 'step 1 done', thread_ts: parent.ts! });
    expect(reply.message).toMatchObject({ thread_ts: parent.ts, parent_user_id: 'U0OPSBOT' });

    await client.chat.update({ channel: 'C0GENERAL', ts: parent.ts!, text: 'deployed api' });
    const top = emulator.messages('C0GENERAL');
    expect(top.map((m) => m.text)).toEqual(['deployed api']);
    expect(top[0]!.edited).toMatchObject({ count: 1 });
    expect(emulator.replies('C0GENERAL', parent.ts!).map((m) => m.text)).toEqual(['step 1 done']);

    // A reply to a reply lands in the same thread, as in Slack.
    await client.chat.postMessage({ channel: 'C0GENERAL', text: 'step 2 done', thread_ts: reply.ts! });
    expect(emulator.replies('C0GENERAL', parent.ts!).map((m) => m.text)).toEqual(['step 1 done', 'step 2 done']);

    const replies = await client.conversations.replies({ channel: 'C0GENERAL', ts: parent.ts! });
    expect(replies.messages?.map((m) => m.text)).toEqual(['deployed api', 'step 1 done', 'step 2 done']);
    expect(replies.messages?.[0]).toMatchObject({ reply_count: 2, latest_reply: expect.any(String) });
  });

  it('keeps blocks an update leaves out, as Slack does', async () => {
    const { client, emulator } = await setup();
    const blocks = [{ type: 'section', text: { type: 'mrkdwn', text: 'hi' } }];
    const posted = await client.chat.postMessage({ channel: 'C0GENERAL', text: 'hi', blocks });
    await client.chat.update({ channel: 'C0GENERAL', ts: posted.ts!, text: 'hello' });
    expect(emulator.messages('C0GENERAL')[0]).toMatchObject({ text: 'hello', blocks });
  });

  it('answers not_in_channel / channel_not_found by membership and visibility', async () => {
    const { client } = await setup();
    expect((await slackError(client.chat.postMessage({ channel: 'C0RANDOM', text: 'x' }))).error).toBe('not_in_channel');
    expect((await slackError(client.chat.postMessage({ channel: 'G0PRIVATE', text: 'x' }))).error).toBe('channel_not_found');
    expect((await slackError(client.chat.postMessage({ channel: 'C0NOPE', text: 'x' }))).error).toBe('channel_not_found');
    expect((await slackError(client.conversations.info({ channel: 'G0PRIVATE' }))).error).toBe('channel_not_found');
    expect((await slackError(client.conversations.join({ channel: 'G0PRIVATE' }))).error).toBe('method_not_supported_for_channel_type');

    await client.conversations.join({ channel: 'C0RANDOM' });
    await expect(client.chat.postMessage({ channel: 'C0RANDOM', text: 'now I can' })).resolves.toMatchObject({ ok: true });
  });

  it('refuses to update a message that is not the bot’s', async () => {
    const { client, emulator } = await setup();
    const { ts } = await emulator.userMessage({ user: 'U0ALICE', channel: 'C0GENERAL', text: 'mine' });
    expect((await slackError(client.chat.update({ channel: 'C0GENERAL', ts, text: 'hijack' }))).error).toBe('cant_update_message');
    expect((await slackError(client.chat.update({ channel: 'C0GENERAL', ts: '1.000001', text: 'x' }))).error).toBe('message_not_found');
  });

  it('posts ephemerals only to members, and opens DMs', async () => {
    const { client, emulator } = await setup();
    emulator.addUser({ id: 'U0DAVE', name: 'dave' });
    await client.chat.postEphemeral({ channel: 'C0GENERAL', user: 'U0BOB', text: 'only bob' });
    expect(emulator.ephemerals({ user: 'U0BOB' })).toMatchObject([{ channel: 'C0GENERAL', text: 'only bob', via: 'chat.postEphemeral' }]);
    expect((await slackError(client.chat.postEphemeral({ channel: 'C0GENERAL', user: 'U0DAVE', text: 'x' }))).error).toBe('user_not_in_channel');

    const dm = await client.conversations.open({ users: 'U0CAROL' });
    const dmId = dm.channel!.id!;
    expect(dmId).toMatch(/^D/);
    await client.chat.postMessage({ channel: dmId, text: 'psst' });
    expect(emulator.messages(dmId).map((m) => m.text)).toEqual(['psst']);
    // A user id as channel posts into the app's DM with them.
    await client.chat.postMessage({ channel: 'U0CAROL', text: 'again' });
    expect(emulator.messages(dmId).map((m) => m.text)).toEqual(['psst', 'again']);
  });

  it('answers msg_too_long over 40,000 characters', async () => {
    const { client } = await setup();
    await expect(client.chat.postMessage({ channel: 'C0GENERAL', text: 'x'.repeat(40_000) })).resolves.toMatchObject({ ok: true });
    expect((await slackError(client.chat.postMessage({ channel: 'C0GENERAL', text: 'x'.repeat(40_001) }))).error).toBe('msg_too_long');
  });

  it('gives permalinks, reactions and pins', async () => {
    const { client, emulator } = await setup();
    const { ts } = await client.chat.postMessage({ channel: 'C0GENERAL', text: 'pin me' });
    const link = await client.chat.getPermalink({ channel: 'C0GENERAL', message_ts: ts! });
    expect(link.permalink).toBe(`https://emulated.slack.com/archives/C0GENERAL/p${ts!.replace('.', '')}`);
    await client.reactions.add({ channel: 'C0GENERAL', timestamp: ts!, name: 'eyes' });
    expect((await slackError(client.reactions.add({ channel: 'C0GENERAL', timestamp: ts!, name: 'eyes' }))).error).toBe('already_reacted');
    await client.pins.add({ channel: 'C0GENERAL', timestamp: ts! });
    expect(emulator.messages('C0GENERAL')[0]).toMatchObject({ pinned: true, reactions: [{ name: 'eyes', users: ['U0OPSBOT'] }] });
  });
});

describe('Block Kit limits through the Web API', () => {
  const section = (text: string) => ({ type: 'section', text: { type: 'mrkdwn', text } });
  const button = (action_id: string, extra: Record<string, unknown> = {}) => ({ type: 'button', text: { type: 'plain_text', text: 'Go' }, action_id, ...extra });
  const x = (n: number) => 'x'.repeat(n);

  it.each([
    ['51 blocks', Array.from({ length: 51 }, (_, i) => section(`${i}`)), 'no more than 50 items allowed [json-pointer:/blocks]'],
    ['section text 3001', [section('a'), section('b'), section('c'), section(x(3001))], 'must be less than 3001 characters [json-pointer:/blocks/3/text/text]'],
    ['context text 3001', [{ type: 'context', elements: [{ type: 'mrkdwn', text: x(3001) }] }], 'must be less than 3001 characters [json-pointer:/blocks/0/elements/0/text]'],
    ['header 151', [{ type: 'header', text: { type: 'plain_text', text: x(151) } }], 'must be less than 151 characters [json-pointer:/blocks/0/text/text]'],
    ['button text 76', [{ type: 'actions', elements: [button('a', { text: { type: 'plain_text', text: x(76) } })] }], 'must be less than 76 characters [json-pointer:/blocks/0/elements/0/text/text]'],
    ['button value 2001', [{ type: 'actions', elements: [button('a', { value: x(2001) })] }], 'must be less than 2001 characters [json-pointer:/blocks/0/elements/0/value]'],
    ['option value 151', [{ type: 'actions', elements: [{ type: 'static_select', action_id: 's', options: [{ text: { type: 'plain_text', text: 'o' }, value: x(151) }] }] }], 'must be less than 151 characters [json-pointer:/blocks/0/elements/0/options/0/value]'],
    ['action_id 256', [{ type: 'actions', elements: [button(x(256))] }], 'must be less than 256 characters [json-pointer:/blocks/0/elements/0/action_id]'],
    ['duplicate action_id', [{ type: 'actions', elements: [button('approve')] }, { type: 'actions', elements: [button('approve')] }], '`action_id` "approve" already exists [json-pointer:/blocks/1/elements/0/action_id]'],
    ['duplicate block_id', [{ ...section('a'), block_id: 'same' }, { ...section('b'), block_id: 'same' }], '`block_id` "same" already exists [json-pointer:/blocks/1/block_id]'],
    ['empty section', [{ type: 'section' }], 'must provide either text or fields [json-pointer:/blocks/0]'],
    ['11 fields', [{ type: 'section', fields: Array.from({ length: 11 }, () => ({ type: 'mrkdwn', text: 'f' })) }], 'no more than 10 items allowed [json-pointer:/blocks/0/fields]'],
    ['field 2001', [{ type: 'section', fields: [{ type: 'mrkdwn', text: x(2001) }] }], 'must be less than 2001 characters [json-pointer:/blocks/0/fields/0/text]'],
    ['26 actions', [{ type: 'actions', elements: Array.from({ length: 26 }, (_, i) => button(`a${i}`)) }], 'no more than 25 items allowed [json-pointer:/blocks/0/elements]'],
  ])('chat.postMessage with %s → invalid_blocks', async (_name, blocks, expected) => {
    const { client, emulator } = await setup();
    const data = await slackError(client.chat.postMessage({ channel: 'C0GENERAL', text: 'fallback', blocks: blocks as never }));
    expect(data.error).toBe('invalid_blocks');
    expect(data.response_metadata?.messages).toContain(`[ERROR] ${expected}`);
    expect(emulator.messages('C0GENERAL')).toEqual([]);
  });

  it('applies the same limits to chat.update', async () => {
    const { client } = await setup();
    const { ts } = await client.chat.postMessage({ channel: 'C0GENERAL', text: 'ok' });
    const data = await slackError(client.chat.update({ channel: 'C0GENERAL', ts: ts!, text: 'x', blocks: [{ type: 'section' }] as never }));
    expect(data.error).toBe('invalid_blocks');
  });

  it('allows 100 blocks in modals and App Home, and answers invalid_arguments for bad views', async () => {
    const { client, emulator } = await setup();
    const hundred = Array.from({ length: 100 }, (_, i) => section(`${i}`));
    await expect(client.views.publish({ user_id: 'U0ALICE', view: { type: 'home', blocks: hundred as never } })).resolves.toMatchObject({ ok: true });
    const data = await slackError(client.views.publish({ user_id: 'U0ALICE', view: { type: 'home', blocks: [...hundred, section('101')] as never } }));
    expect(data).toMatchObject({ error: 'invalid_arguments', response_metadata: { messages: ['[ERROR] no more than 100 items allowed [json-pointer:/view/blocks]'] } });
    const trigger = emulator.issueTriggerId('U0ALICE');
    const bad = await slackError(client.views.open({ trigger_id: trigger, view: { type: 'modal', title: { type: 'plain_text', text: 'x'.repeat(25) }, blocks: [] } }));
    expect(bad.response_metadata?.messages).toEqual(['[ERROR] must be less than 25 characters [json-pointer:/view/title/text]']);
  });
});

describe('rate limits on the injected clock', () => {
  it('answers 429 with Retry-After under a lowered tier, and frees the method after clock.advance', async () => {
    const { client, emulator, clock } = await setup();
    emulator.setRateLimit('users.info', { perMinute: 2 });
    await client.users.info({ user: 'U0ALICE' });
    await clock.advance(10_000);
    await client.users.info({ user: 'U0BOB' });
    const err = (await client.users.info({ user: 'U0CAROL' }).catch((e: unknown) => e)) as WebAPIRateLimitedError;
    expect(err.code).toBe('slack_webapi_rate_limited_error');
    expect(err.retryAfter).toBe(50); // the first call leaves the window 50 s from now
    expect(emulator.callsTo('users.info').at(-1)).toMatchObject({ status: 429, response: { ok: false, error: 'ratelimited' } });

    await clock.advance(50_000);
    await expect(client.users.info({ user: 'U0CAROL' })).resolves.toMatchObject({ ok: true });
  });

  it('sends the Retry-After header on the wire', async () => {
    const { emulator } = await setup();
    emulator.setRateLimit('auth.test', { perMinute: 1 });
    const call = () => fetch(`${emulator.apiUrl}auth.test`, { method: 'POST', headers: { authorization: `Bearer ${BOT_TOKEN}` } });
    expect((await call()).status).toBe(200);
    const limited = await call();
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('60');
    expect(await limited.json()).toEqual({ ok: false, error: 'ratelimited' });
  });

  it('limits chat.postMessage per channel: a short burst, then one per second', async () => {
    const { client, clock } = await setup();
    for (let i = 0; i < 5; i++) await client.chat.postMessage({ channel: 'C0GENERAL', text: `burst ${i}` });
    const err = (await client.chat.postMessage({ channel: 'C0GENERAL', text: 'one too many' }).catch((e: unknown) => e)) as WebAPIRateLimitedError;
    expect(err.retryAfter).toBe(1);
    // Another channel has its own allowance.
    await expect(client.chat.postMessage({ channel: 'C0ALERTS', text: 'elsewhere' })).resolves.toMatchObject({ ok: true });
    await clock.advance(1000);
    await expect(client.chat.postMessage({ channel: 'C0GENERAL', text: 'after a second' })).resolves.toMatchObject({ ok: true });
  });

  it('does not limit when enforceRateLimits is false', async () => {
    const { client } = await setup({ enforceRateLimits: false });
    for (let i = 0; i < 20; i++) await client.chat.postMessage({ channel: 'C0GENERAL', text: `${i}` });
  });
});

describe('conversations and users', () => {
  it('pages history newest first with oldest/latest/limit/cursor', async () => {
    const { client, clock } = await setup({ enforceRateLimits: false });
    const ts: string[] = [];
    for (let i = 0; i < 5; i++) {
      ts.push((await client.chat.postMessage({ channel: 'C0GENERAL', text: `m${i}` })).ts!);
      await clock.advance(1000);
    }
    const first = await client.conversations.history({ channel: 'C0GENERAL', limit: 2 });
    expect(first.messages?.map((m) => m.text)).toEqual(['m4', 'm3']);
    expect(first.has_more).toBe(true);
    const second = await client.conversations.history({ channel: 'C0GENERAL', limit: 2, cursor: first.response_metadata!.next_cursor! });
    expect(second.messages?.map((m) => m.text)).toEqual(['m2', 'm1']);
    const bounded = await client.conversations.history({ channel: 'C0GENERAL', oldest: ts[1]!, latest: ts[3]! });
    expect(bounded.messages?.map((m) => m.text)).toEqual(['m2']);
    const inclusive = await client.conversations.history({ channel: 'C0GENERAL', oldest: ts[1]!, latest: ts[3]!, inclusive: true });
    expect(inclusive.messages?.map((m) => m.text)).toEqual(['m3', 'm2', 'm1']);
    expect((await slackError(client.conversations.history({ channel: 'C0RANDOM' }))).error).toBe('not_in_channel');
  });

  it('creates channels, invites people and lists members', async () => {
    const { client, emulator } = await setup();
    const created = await client.conversations.create({ name: 'inc-42' });
    const id = created.channel!.id!;
    expect((await slackError(client.conversations.create({ name: 'inc-42' }))).error).toBe('name_taken');
    expect((await slackError(client.conversations.create({ name: 'Bad Name' }))).error).toBe('invalid_name_specials');
    await client.conversations.invite({ channel: id, users: 'U0ALICE,U0BOB' });
    expect((await slackError(client.conversations.invite({ channel: id, users: 'U0ALICE' }))).error).toBe('already_in_channel');
    const members = await client.conversations.members({ channel: id });
    expect(members.members).toEqual(['U0OPSBOT', 'U0ALICE', 'U0BOB']);
    expect(emulator.channels().find((c) => c.id === id)).toMatchObject({ name: 'inc-42' });
  });

  it('describes guests, Slack Connect users and bots in users.info, and lists user groups', async () => {
    const { client, emulator } = await setup();
    emulator.addUser({ id: 'U0GUEST', name: 'guest', guest: true, singleChannelGuest: true });
    emulator.addUser({ id: 'U0PARTNER', name: 'partner', teamId: 'T0OTHER' });
    expect((await client.users.info({ user: 'U0GUEST' })).user).toMatchObject({ is_restricted: true, is_ultra_restricted: true });
    expect((await client.users.info({ user: 'U0PARTNER' })).user).toMatchObject({ team_id: 'T0OTHER', is_restricted: false });
    expect((await client.users.info({ user: 'U0OPSBOT' })).user).toMatchObject({ is_bot: true });
    expect((await client.users.info({ user: 'U0ALICE' })).user).toMatchObject({ is_bot: false, is_restricted: false, team_id: 'T0EMULATE' });
    expect((await client.usergroups.users.list({ usergroup: 'S0ONCALL' })).users).toEqual(['U0ALICE', 'U0BOB']);
    expect((await slackError(client.usergroups.users.list({ usergroup: 'S0NOPE' }))).error).toBe('no_such_subteam');
  });
});

describe('views and trigger ids', () => {
  const modal = { type: 'modal' as const, title: { type: 'plain_text' as const, text: 'Deploy' }, blocks: [] };

  it('opens a modal with a fresh trigger_id, once, within 3 s of clock time', async () => {
    const { client, emulator, clock } = await setup();
    const trigger = emulator.issueTriggerId('U0ALICE');
    const opened = await client.views.open({ trigger_id: trigger, view: { ...modal, callback_id: 'deploy' } });
    expect(opened.view).toMatchObject({ id: expect.stringMatching(/^V/), callback_id: 'deploy', type: 'modal' });
    expect(emulator.views()).toMatchObject([{ id: opened.view!.id, user: 'U0ALICE' }]);
    expect((await slackError(client.views.open({ trigger_id: trigger, view: modal }))).error).toBe('exchanged_trigger_id');

    const late = emulator.issueTriggerId('U0ALICE');
    await clock.advance(3001);
    expect((await slackError(client.views.open({ trigger_id: late, view: modal }))).error).toBe('expired_trigger_id');
    expect((await slackError(client.views.open({ trigger_id: '1.2.made-up', view: modal }))).error).toBe('invalid_trigger_id');

    const updated = await client.views.update({ view_id: opened.view!.id!, view: { ...modal, title: { type: 'plain_text', text: 'Deploying' } } });
    expect(updated.view).toMatchObject({ id: opened.view!.id, title: { text: 'Deploying' } });
    expect((await slackError(client.views.update({ view_id: opened.view!.id!, hash: 'stale', view: modal }))).error).toBe('hash_conflict');
  });

  it('publishes App Home per user', async () => {
    const { client, emulator } = await setup();
    await client.views.publish({ user_id: 'U0BOB', view: { type: 'home', blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'hi bob' } }] } });
    expect(emulator.home('U0BOB')).toMatchObject({ type: 'home', blocks: [{ text: { text: 'hi bob' } }] });
    expect(emulator.home('U0ALICE')).toBeUndefined();
  });
});

describe('files', () => {
  it('runs files.uploadV2 end to end and lands a file message in the thread', async () => {
    const { client, emulator } = await setup();
    const parent = await client.chat.postMessage({ channel: 'C0GENERAL', text: 'logs follow' });
    const res = await client.files.uploadV2({
      channel_id: 'C0GENERAL',
      thread_ts: parent.ts!,
      filename: 'pod.log',
      title: 'pod logs',
      content: 'line 1\nline 2\n',
      initial_comment: 'here are the logs',
    });
    expect(res.ok).toBe(true);
    expect(emulator.callsTo('files.getUploadURLExternal')[0]!.args).toMatchObject({ filename: 'pod.log', length: '14' });
    const [reply] = emulator.replies('C0GENERAL', parent.ts!);
    expect(reply).toMatchObject({ text: 'here are the logs', files: [{ name: 'pod.log', title: 'pod logs', content: 'line 1\nline 2\n' }] });
    // The file can be downloaded from its url_private, like Slack's.
    const history = await client.conversations.replies({ channel: 'C0GENERAL', ts: parent.ts! });
    const file = (history.messages?.[1]?.files?.[0] ?? {}) as { url_private?: string };
    expect(await (await fetch(file.url_private!)).text()).toBe('line 1\nline 2\n');
  });

  it('refuses to share into a channel the bot is not in', async () => {
    const { client } = await setup();
    const err = await client.files.uploadV2({ channel_id: 'C0RANDOM', filename: 'a.txt', content: 'a' }).catch((e: unknown) => e as WebAPIPlatformError);
    expect((err as WebAPIPlatformError).data.error).toBe('not_in_channel');
  });
});

describe('response_url', () => {
  it('delivers ephemerals in a channel the bot is not in; 5 uses within 30 minutes', async () => {
    const { emulator, clock } = await setup();
    // No app needed to exercise the URL itself: take one from a slash command sent to a stub.
    const bodies: string[] = [];
    const { createServer } = await import('node:http');
    const stub = createServer((req, res) => {
      let b = '';
      req.on('data', (c: Buffer) => (b += String(c)));
      req.on('end', () => {
        bodies.push(b);
        res.end();
      });
    });
    await new Promise<void>((r) => stub.listen(0, '127.0.0.1', r));
    try {
      const port = (stub.address() as { port: number }).port;
      emulator.setEventsUrl(`http://127.0.0.1:${port}/slack/events`);
      await emulator.slashCommand({ user: 'U0ALICE', channel: 'C0RANDOM', text: 'status' });
      const responseUrl = new URLSearchParams(bodies[0]).get('response_url')!;
      expect(responseUrl).toMatch(new RegExp(`^${emulator.apiUrl.replace('/api/', '')}/response/`));

      const post = (body: object) => fetch(responseUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      expect((await post({ text: 'only you see this' })).status).toBe(200);
      expect(emulator.ephemerals({ channel: 'C0RANDOM' })).toMatchObject([{ user: 'U0ALICE', text: 'only you see this', via: 'response_url' }]);
      expect((await post({ text: 'for everyone', response_type: 'in_channel' })).status).toBe(200);
      expect(emulator.messages('C0RANDOM')).toMatchObject([{ text: 'for everyone', botId: 'B0OPSBOT', subtype: 'bot_message' }]);
      for (let i = 0; i < 3; i++) await post({ text: `more ${i}` });
      const sixth = await post({ text: 'too many' });
      expect(sixth.status).toBe(404);
      expect(await sixth.json()).toMatchObject({ error: 'used_url' });
      expect(emulator.callsTo('response_url')).toHaveLength(6);

      await emulator.slashCommand({ user: 'U0ALICE', channel: 'C0RANDOM', text: 'again' });
      const second = new URLSearchParams(bodies[1]).get('response_url')!;
      await clock.advance(30 * 60_000 + 1);
      const late = await fetch(second, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: 'late' }) });
      expect(late.status).toBe(404);
      expect(await late.json()).toMatchObject({ error: 'expired_url' });
    } finally {
      await new Promise((r) => stub.close(r));
    }
  });
});

describe('intercepting a method', () => {
  it('holds an answer until the hook resolves, and can answer in the method\'s place', async () => {
    const emulator = createSlackEmulator({ clock: new ManualClock(), signingSecret: 's3cret-signing', botToken: 'xoxb-intercept' });
    await emulator.start();
    try {
      const client = new WebClient('xoxb-intercept', { slackApiUrl: emulator.apiUrl, retryConfig: { retries: 0 } });
      let release: () => void = () => {};
      emulator.intercept('users.info', () => new Promise<void>((resolve) => (release = resolve)));
      let answered = false;
      const pending = client.users.info({ user: 'U0ALICE' }).then((r) => {
        answered = true;
        return r;
      });
      await new Promise((r) => setTimeout(r, 50));
      expect(answered).toBe(false);
      release();
      expect((await pending).user?.id).toBe('U0ALICE');

      emulator.intercept('users.info', () => ({ ok: false, error: 'user_not_found' }));
      await expect(client.users.info({ user: 'U0ALICE' })).rejects.toMatchObject({ data: { error: 'user_not_found' } });
      emulator.intercept('users.info', null);
      expect((await client.users.info({ user: 'U0ALICE' })).ok).toBe(true);
    } finally {
      await emulator.stop();
    }
  });
});
