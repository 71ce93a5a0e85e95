import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createApp } from '../src/app.ts';
import { ManualClock } from '../src/clock.ts';
import { defineCommand } from '../src/commands/command.ts';
import { createDispatcher } from '../src/commands/dispatch.ts';
import { createRegistry } from '../src/commands/registry.ts';
import { createSlackEmulator } from '../src/local/emulator/index.ts';
import { createReplier } from '../src/slack/replier.ts';
import { RUN_COMMAND_ACTION } from '../src/slack/request-handlers.ts';
import { BOT_TOKEN, type RunningOpsbot, SIGNING_SECRET, type StartOptions, startOpsbot, testConfig, testEnv } from './support/opsbot.ts';
import { fixtureForm, fixtureJson, inboxRows, interactiveBody, intakeRowCounts, processedKeys } from './support/slack-fixtures.ts';
import { freePort } from './support/free-port.ts';

type Obj = Record<string, unknown>;

const GENERAL = 'C0GENERAL'; // the bot is a member
const RANDOM = 'C0RANDOM'; // public, the bot is not a member
const PRIVATE = 'G0PRIVATE'; // private, the bot is not a member
const ALERTS = 'C0ALERTS'; // the bot is a member
const ALICE = 'U0ALICE';
const BOB = 'U0BOB';
const ADMIN = { OPS_ADMINS: ALICE };

let opsbot: RunningOpsbot | undefined;
afterEach(async () => {
  await opsbot?.stop();
  opsbot = undefined;
});

async function start(options: StartOptions = {}): Promise<RunningOpsbot> {
  opsbot = await startOpsbot(options);
  return opsbot;
}

/**
 * test_slash_command__slash_command_body__L125.form.txt as this workspace would send it: the ids,
 * the command (`/ops`), the text, and a response_url and trigger_id the emulator issued. Every
 * other field is the fixture's.
 */
function slashCommandFromFixture(o: RunningOpsbot, args: { user: string; channel: string; text: string }): string {
  const form = fixtureForm('test_slash_command__slash_command_body__L125.form.txt');
  form.set('team_id', o.emulator.teamId);
  form.set('channel_id', args.channel);
  form.set('user_id', args.user);
  form.set('command', '/ops');
  form.set('text', args.text);
  form.set('response_url', o.emulator.issueResponseUrl({ user: args.user, channel: args.channel }));
  form.set('trigger_id', o.emulator.issueTriggerId(args.user));
  return form.toString();
}

const texts = (items: ReadonlyArray<{ text: string }>) => items.map((i) => i.text);

describe('a slash command', () => {
  it('is acknowledged and recorded: a received audit row, and an inbox entry that ends done', async () => {
    const o = await start();
    const body = slashCommandFromFixture(o, { user: ALICE, channel: GENERAL, text: 'help' });

    const ack = await o.emulator.sendRaw(body, 'application/x-www-form-urlencoded');
    await o.settle();

    expect(ack.status).toBe(200);
    const received = o.app.store.audit.list({ limit: 50 }).filter((a) => a.action === 'received');
    expect(received).toEqual([expect.objectContaining({ actor: ALICE, channel: GENERAL, command: 'command', outcome: 'accepted', args: JSON.stringify({ text: '/ops help' }) })]);
    expect(inboxRows(o.app.store)).toEqual([expect.objectContaining({ kind: 'command', status: 'done', attempts: 1 })]);
    expect(o.emulator.ephemerals({ user: ALICE })).toEqual([expect.objectContaining({ channel: GENERAL, via: 'response_url', text: expect.stringContaining('opsbot commands') })]);
  });

  it('with a bad signature gets 401 and writes nothing', async () => {
    const o = await start();
    const before = intakeRowCounts(o.app.store);

    const ack = await o.emulator.sendRaw(slashCommandFromFixture(o, { user: ALICE, channel: GENERAL, text: 'help' }), 'application/x-www-form-urlencoded', {
      signature: 'v0=0000000000000000000000000000000000000000000000000000000000000000',
    });
    await o.settle();

    expect(ack.status).toBe(401);
    expect(intakeRowCounts(o.app.store)).toEqual(before);
    expect(o.emulator.ephemerals()).toEqual([]);
  });

  it('signed correctly but five minutes and a second old gets 401 and writes nothing', async () => {
    const o = await start();
    const before = intakeRowCounts(o.app.store);

    const ack = await o.emulator.sendRaw(slashCommandFromFixture(o, { user: ALICE, channel: GENERAL, text: 'help' }), 'application/x-www-form-urlencoded', {
      timestamp: Math.floor(Date.now() / 1000) - 301,
    });
    await o.settle();

    expect(ack.status).toBe(401);
    expect(intakeRowCounts(o.app.store)).toEqual(before);
    expect(o.emulator.ephemerals()).toEqual([]);
  });

  it('for another app (a different command) is acknowledged and not recorded', async () => {
    const o = await start();
    const before = intakeRowCounts(o.app.store);

    const ack = await o.emulator.slashCommand({ user: ALICE, channel: GENERAL, text: 'help', command: '/deploy' });
    await o.settle();

    expect(ack.status).toBe(200);
    expect(intakeRowCounts(o.app.store)).toEqual(before);
    expect(o.emulator.ephemerals()).toEqual([]);
  });
});

describe('a renamed slash command (OPS_COMMAND)', () => {
  it('is the one opsbot answers; /ops then belongs to someone else', async () => {
    const o = await start({ env: { OPS_COMMAND: '/opsbot' } });

    await o.emulator.slashCommand({ user: ALICE, channel: GENERAL, text: 'help', command: '/opsbot' });
    await o.emulator.slashCommand({ user: BOB, channel: GENERAL, text: 'help', command: '/ops' });
    await o.settle();

    expect(texts(o.emulator.ephemerals({ user: ALICE }))).toEqual([expect.stringContaining('Type `/opsbot help &lt;command&gt;` for details')]);
    expect(o.emulator.ephemerals({ user: BOB })).toEqual([]);
    expect(inboxRows(o.app.store)).toHaveLength(1);
  });
});

describe('a Slack retry', () => {
  it('of a recorded event is acknowledged and handled once: one answer in the thread, one inbox entry, one key', async () => {
    const o = await start();
    const { ts, responses } = await o.emulator.mention({ user: ALICE, channel: GENERAL, text: 'help' });
    const mention = o.emulator.deliveries().find((d) => d.type === 'app_mention');
    await o.settle();

    const retry = await o.emulator.redeliver(mention, { num: 1, reason: 'http_timeout' });
    const again = await o.emulator.redeliver(mention, { num: 2, reason: 'http_timeout' });
    await o.settle();

    expect(responses.map((r) => r.status)).toEqual([200, 200]);
    expect([retry.status, again.status]).toEqual([200, 200]);
    expect(o.emulator.deliveries().filter((d) => d.eventId === mention?.eventId).map((d) => d.retry?.num ?? 0)).toEqual([0, 1, 2]);
    expect(o.emulator.ephemerals({ user: ALICE })).toEqual([expect.objectContaining({ threadTs: ts, text: expect.stringContaining('opsbot commands') })]);
    expect(inboxRows(o.app.store)).toEqual([expect.objectContaining({ kind: 'mention', status: 'done', attempts: 1 })]);
    expect(processedKeys(o.app.store)).toEqual([`event:${mention?.eventId}`]);
  });

  it('arriving while the first delivery is still being worked on is not run a second time', async () => {
    const o = await start();
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    o.emulator.intercept('users.info', () => held);
    await o.emulator.mention({ user: ALICE, channel: GENERAL, text: 'help' });
    const mention = o.emulator.deliveries().find((d) => d.type === 'app_mention');

    const retry = await o.emulator.redeliver(mention);
    release();
    await o.settle();

    expect(retry.status).toBe(200);
    expect(o.emulator.ephemerals({ user: ALICE })).toHaveLength(1);
    expect(o.emulator.callsTo('users.info')).toHaveLength(1);
    expect(inboxRows(o.app.store)).toEqual([expect.objectContaining({ status: 'done', attempts: 1 })]);
  });
});

describe('a button', () => {
  it('built from the block_actions fixture with ops.run and value help reaches its handler: the help answer arrives for that user', async () => {
    const o = await start();
    // test_block_actions__body__L161.json with the action switched to ops.run / help and the ids,
    // response_url and trigger_id switched to the emulator's.
    const payload = fixtureJson<Obj>('test_block_actions__body__L161.json');
    const user = payload.user as Obj;
    Object.assign(user, { id: BOB, team_id: o.emulator.teamId });
    Object.assign(payload.team as Obj, { id: o.emulator.teamId });
    Object.assign(payload.channel as Obj, { id: GENERAL, name: 'general' });
    Object.assign(payload.container as Obj, { channel_id: GENERAL });
    payload.api_app_id = o.emulator.appId;
    payload.response_url = o.emulator.issueResponseUrl({ user: BOB, channel: GENERAL });
    payload.trigger_id = o.emulator.issueTriggerId(BOB);
    const [action] = payload.actions as Obj[];
    Object.assign(action as Obj, { action_id: RUN_COMMAND_ACTION, value: 'help' });

    const ack = await o.emulator.sendRaw(interactiveBody(payload), 'application/x-www-form-urlencoded');
    await o.settle();

    expect(ack.status).toBe(200);
    expect(o.emulator.ephemerals({ user: BOB })).toEqual([expect.objectContaining({ channel: GENERAL, text: expect.stringContaining('opsbot commands') })]);
    expect(o.emulator.ephemerals({ user: ALICE })).toEqual([]);
    expect(inboxRows(o.app.store)).toEqual([expect.objectContaining({ kind: 'action', status: 'done' })]);
  });

  it('clicked on a message opsbot posted runs its command for the person who clicked', async () => {
    const o = await start();
    const posted = await o.app.chat.post(GENERAL, {
      text: 'Need a hand?',
      blocks: [
        { type: 'section', text: { type: 'mrkdwn', text: 'Need a hand?' } },
        { type: 'actions', elements: [{ type: 'button', action_id: RUN_COMMAND_ACTION, text: { type: 'plain_text', text: 'Show help' }, value: 'help' }] },
      ],
    });
    await o.settle();

    const ack = await o.emulator.clickButton({ user: BOB, channel: GENERAL, messageTs: posted.ts, actionId: RUN_COMMAND_ACTION });
    await o.settle();

    expect(ack.status).toBe(200);
    expect(o.emulator.ephemerals({ user: BOB })).toEqual([expect.objectContaining({ channel: GENERAL, text: expect.stringContaining('opsbot commands') })]);
    // The button's message is left as it was.
    expect(o.emulator.messages(GENERAL)).toEqual([expect.objectContaining({ ts: posted.ts, text: 'Need a hand?' })]);
  });
});

describe('a mention in a thread', () => {
  it('built from the app_mention fixture is answered in that thread', async () => {
    const o = await start();
    const parent = await o.emulator.userMessage({ user: BOB, channel: GENERAL, text: 'api is down?' });
    // test_events__valid_event_body__L51.json inside that thread: ids switched to the emulator's,
    // `thread_ts` added, the text addressed to this bot.
    const body = fixtureJson<Obj>('test_events__valid_event_body__L51.json');
    const event = body.event as Obj;
    Object.assign(body, { team_id: o.emulator.teamId, api_app_id: o.emulator.appId, event_id: 'Ev0THREADED1' });
    Object.assign(event, { user: ALICE, team: o.emulator.teamId, channel: GENERAL, text: `<@${o.emulator.botUserId}> help`, ts: '1700000000.000100', thread_ts: parent.ts });

    const ack = await o.emulator.sendRaw(JSON.stringify(body), 'application/json');
    await o.settle();

    expect(ack.status).toBe(200);
    expect(o.emulator.ephemerals({ user: ALICE })).toEqual([expect.objectContaining({ channel: GENERAL, threadTs: parent.ts, text: expect.stringContaining('opsbot commands') })]);
    expect(o.emulator.messages(GENERAL).map((m) => m.ts)).toEqual([parent.ts]);
  });

  it('`@opsbot role list` by an admin answers privately in the thread it was asked in, not in the channel', async () => {
    const o = await start({ env: ADMIN });
    const parent = await o.emulator.userMessage({ user: BOB, channel: GENERAL, text: 'who can deploy?' });

    const { ts } = await o.emulator.mention({ user: ALICE, channel: GENERAL, text: 'role list', threadTs: parent.ts });
    await o.settle();

    expect(o.emulator.ephemerals({ user: ALICE })).toEqual([
      expect.objectContaining({ channel: GENERAL, threadTs: parent.ts, via: 'chat.postEphemeral', text: expect.stringMatching(new RegExp(`^admin: .*<@${ALICE}>`)) }),
    ]);
    // No public reply: the thread holds only the mention itself.
    expect(o.emulator.replies(GENERAL, parent.ts).map((m) => m.ts)).toEqual([ts]);
    expect(o.emulator.messages(GENERAL).map((m) => m.ts)).toEqual([parent.ts]);
  });

  it('at the top of a channel is answered in a thread under the mention', async () => {
    const o = await start();
    const { ts } = await o.emulator.mention({ user: ALICE, channel: GENERAL, text: 'help' });
    await o.settle();

    expect(o.emulator.ephemerals({ user: ALICE })).toEqual([expect.objectContaining({ channel: GENERAL, threadTs: ts })]);
  });
});

describe('a direct message to opsbot', () => {
  const DM = 'D0ALICE';
  const withDm = (o: RunningOpsbot) => o.emulator.addChannel({ id: DM, name: ALICE, isIm: true, members: [ALICE, o.emulator.botUserId] });

  it('is a command even without a mention (Slack sends DMs as message.im only), answered privately in the DM', async () => {
    const o = await start();
    withDm(o);

    const { response } = await o.emulator.userMessage({ user: ALICE, channel: DM, text: 'help' });
    await o.settle();

    expect(response.status).toBe(200);
    expect(o.emulator.ephemerals({ user: ALICE })).toEqual([expect.objectContaining({ channel: DM, text: expect.stringContaining('opsbot commands') })]);
    expect(inboxRows(o.app.store)).toEqual([expect.objectContaining({ kind: 'mention', status: 'done' })]);
  });

  it('with a mention of opsbot in it is answered once', async () => {
    const o = await start();
    withDm(o);

    const { responses } = await o.emulator.mention({ user: ALICE, channel: DM, text: 'help' });
    await o.settle();

    expect(o.emulator.deliveries().map((d) => d.type)).toEqual(['message']);
    expect(responses.map((r) => r.status)).toEqual([200]);
    expect(o.emulator.ephemerals({ user: ALICE })).toEqual([expect.objectContaining({ channel: DM, text: expect.stringContaining('opsbot commands') })]);
  });

  it("opsbot's own DM, delivered back to it, is not a command", async () => {
    const o = await start();
    withDm(o);

    await o.app.chat.post(DM, { text: 'You were paged: api is down.' });
    await o.settle();

    expect(o.emulator.deliveries().map((d) => d.type)).toEqual(['message']);
    expect(inboxRows(o.app.store)).toEqual([]);
  });
});

describe('permissions', () => {
  it('a viewer running an admin command is told which role it needs, and the denial is audited', async () => {
    const o = await start({ env: ADMIN });

    await o.emulator.slashCommand({ user: BOB, channel: GENERAL, text: `role grant <@${BOB}|bob> admin` });
    await o.settle();

    expect(texts(o.emulator.ephemerals({ user: BOB }))).toEqual([expect.stringContaining('You need the *admin* role to run `role grant`')]);
    expect(o.app.store.roles.get(BOB)).toBeUndefined();
    expect(o.app.store.audit.list({ limit: 10, actor: BOB }).find((a) => a.action === 'command')).toMatchObject({
      command: 'role grant',
      outcome: 'denied',
      detail: 'permission_denied',
    });
  });

  it("a viewer's help does not list role grant or audit; an admin's (from OPS_ADMINS) does", async () => {
    const o = await start({ env: ADMIN });

    await o.emulator.slashCommand({ user: BOB, channel: GENERAL, text: 'help' });
    await o.emulator.slashCommand({ user: ALICE, channel: GENERAL, text: 'help' });
    await o.settle();

    const [viewerHelp] = texts(o.emulator.ephemerals({ user: BOB }));
    const [adminHelp] = texts(o.emulator.ephemerals({ user: ALICE }));
    expect(viewerHelp).toContain('help:');
    expect(viewerHelp).not.toContain('role grant');
    expect(viewerHelp).not.toMatch(/^audit:/m);
    expect(adminHelp).toContain('role grant:');
    expect(adminHelp).toMatch(/^audit:/m);
    expect(o.app.store.roles.get(ALICE)).toMatchObject({ role: 'admin', grantedBy: 'system' });
  });

  it("a member who hits Slack's users.info rate limit is answered once Slack allows, not told they have no access", async () => {
    const o = await start();
    o.emulator.setRateLimit('users.info', { perMinute: 1 });

    await o.emulator.slashCommand({ user: ALICE, channel: GENERAL, text: 'help' });
    await o.emulator.slashCommand({ user: BOB, channel: GENERAL, text: 'help' });
    await o.settle();

    expect(o.emulator.callsTo('users.info').map((c) => c.status)).toEqual([200, 429, 200]);
    for (const user of [ALICE, BOB]) expect(texts(o.emulator.ephemerals({ user }))).toEqual([expect.stringContaining('opsbot commands')]);
    expect(o.app.store.audit.list({ limit: 10 }).filter((a) => a.outcome === 'denied')).toEqual([]);
  });

  it("a guest's mention in a thread gets the no-access answer privately in that thread", async () => {
    const o = await start();
    o.emulator.addUser({ id: 'U0GUEST', name: 'gina', guest: true, singleChannelGuest: true });
    o.emulator.addChannel({ id: 'C0VENDOR', name: 'vendor', members: [ALICE, 'U0GUEST', o.emulator.botUserId] });
    const parent = await o.emulator.userMessage({ user: ALICE, channel: 'C0VENDOR', text: 'deploy?' });

    await o.emulator.mention({ user: 'U0GUEST', channel: 'C0VENDOR', text: 'help', threadTs: parent.ts });
    await o.settle();

    expect(o.emulator.ephemerals({ user: 'U0GUEST' })).toEqual([
      expect.objectContaining({ threadTs: parent.ts, text: "You don't have access to opsbot yet; ask an admin to grant you a role." }),
    ]);
  });

  for (const who of [
    { kind: 'a guest', user: { id: 'U0GUEST', name: 'gina', guest: true } },
    { kind: 'a Slack Connect user', user: { id: 'U0PARTNER', name: 'pat', teamId: 'T0PARTNER' } },
  ]) {
    it(`${who.kind} gets no access for /ops help until an admin grants a role`, async () => {
      const o = await start({ env: ADMIN });
      o.emulator.addUser(who.user);
      o.emulator.addChannel({ id: 'C0SHARED', name: 'shared', members: [ALICE, who.user.id, o.emulator.botUserId] });

      await o.emulator.slashCommand({ user: who.user.id, channel: 'C0SHARED', text: 'help' });
      await o.settle();
      expect(texts(o.emulator.ephemerals({ user: who.user.id }))).toEqual(["You don't have access to opsbot yet; ask an admin to grant you a role."]);
      expect(o.app.store.audit.list({ limit: 5, actor: who.user.id }).find((a) => a.action === 'command')).toMatchObject({ outcome: 'denied', detail: 'no_role' });

      await o.emulator.slashCommand({ user: ALICE, channel: 'C0SHARED', text: `role grant <@${who.user.id}|${who.user.name}> viewer` });
      await o.emulator.slashCommand({ user: who.user.id, channel: 'C0SHARED', text: 'help' });
      await o.settle();

      expect(texts(o.emulator.ephemerals({ user: who.user.id }))).toEqual([
        "You don't have access to opsbot yet; ask an admin to grant you a role.",
        expect.stringContaining('opsbot commands'),
      ]);
      expect(o.app.store.roles.get(who.user.id)).toMatchObject({ role: 'viewer', grantedBy: ALICE });
    });
  }
});

describe('messages opsbot ignores and records', () => {
  it('its own post, delivered back to it, creates no inbox entry', async () => {
    const o = await start();

    await o.app.chat.post(GENERAL, { text: 'Deploy finished.' });
    await o.settle();

    const echo = o.emulator.deliveries().filter((d) => d.type === 'message');
    expect(echo).toHaveLength(1);
    expect(echo[0]?.response?.status).toBe(200);
    expect(inboxRows(o.app.store)).toEqual([]);
  });

  it('its own post in an alert channel creates no inbox entry either', async () => {
    const o = await start({ env: { ALERT_CHANNELS: ALERTS } });

    await o.app.chat.post(ALERTS, { text: 'Triage: probably the deploy.' });
    await o.settle();

    expect(o.emulator.deliveries().filter((d) => d.type === 'message')).toHaveLength(1);
    expect(inboxRows(o.app.store)).toEqual([]);
  });

  it('a message from another bot outside the alert channels creates none', async () => {
    const o = await start({ env: { ALERT_CHANNELS: ALERTS } });

    const { response } = await o.emulator.userMessage({ botId: 'B0GRAFANA', channel: GENERAL, text: '[FIRING:1] HighLatency api' });
    await o.settle();

    expect(response.status).toBe(200);
    expect(inboxRows(o.app.store)).toEqual([]);
  });

  it('a message in an alert channel is recorded as a message', async () => {
    const o = await start({ env: { ALERT_CHANNELS: ALERTS } });

    const { response } = await o.emulator.userMessage({ botId: 'B0GRAFANA', channel: ALERTS, text: '[FIRING:1] HighLatency api' });
    await o.settle();

    expect(response.status).toBe(200);
    expect(inboxRows(o.app.store)).toEqual([expect.objectContaining({ kind: 'message' })]);
    expect(o.app.store.audit.list({ limit: 5 }).filter((a) => a.action === 'received')).toEqual([
      expect.objectContaining({ command: 'message', channel: ALERTS, args: JSON.stringify({ text: '[FIRING:1] HighLatency api' }) }),
    ]);
  });

  it('a mention in an alert channel, delivered as app_mention and as message, is recorded once', async () => {
    const o = await start({ env: { ALERT_CHANNELS: ALERTS } });

    const { responses } = await o.emulator.mention({ user: ALICE, channel: ALERTS, text: 'help' });
    await o.settle();

    expect(responses.map((r) => r.status)).toEqual([200, 200]);
    expect(o.emulator.deliveries().map((d) => d.type)).toEqual(['app_mention', 'message']);
    expect(inboxRows(o.app.store)).toEqual([expect.objectContaining({ kind: 'mention', status: 'done' })]);
    expect(o.emulator.ephemerals({ user: ALICE })).toHaveLength(1);
  });
});

describe('where opsbot is not a member', () => {
  it('/ops help in #random is answered through the response_url', async () => {
    const o = await start();

    await o.emulator.slashCommand({ user: ALICE, channel: RANDOM, text: 'help' });
    await o.settle();

    expect(o.emulator.ephemerals({ user: ALICE })).toEqual([expect.objectContaining({ channel: RANDOM, via: 'response_url', text: expect.stringContaining('opsbot commands') })]);
    expect(o.emulator.callsTo('conversations.join')).toEqual([]);
  });

  it('a public post into #random makes opsbot join it first', async () => {
    const o = await start();

    await o.app.chat.post(RANDOM, { text: 'Deploy finished.' });
    await o.settle();

    expect(o.emulator.messages(RANDOM).map((m) => m.text)).toEqual(['Deploy finished.']);
    expect(o.emulator.channels().find((c) => c.id === RANDOM)?.members).toContain(o.emulator.botUserId);
  });
});

describe('a command that answers publicly', () => {
  // No builtin command answers in the channel yet, so this drives the dispatcher (the one error
  // boundary) with a command that does, over opsbot's own chat port, store and the emulator; it
  // does not enter through /slack/events. Joining a public channel is in test/slack/replier.test.ts.
  const announce = defineCommand({
    name: 'announce',
    summary: 'Say something in the channel',
    args: z.object({ text: z.string() }),
    rest: 'text',
    role: 'viewer',
    async run({ reply }, args) {
      await reply.public(args.text);
    },
  });

  it('used in a private channel opsbot is not in tells the caller once, privately, how to invite it', async () => {
    const o = await start();
    const dispatcher = createDispatcher({ registry: createRegistry([announce]), store: o.app.store, clock: o.clock, commandPrefix: '/ops', deps: {} });
    const invocation = { source: 'slash' as const, text: 'announce Deploy finished.', userId: ALICE, channelId: PRIVATE, responseUrl: o.emulator.issueResponseUrl({ user: ALICE, channel: PRIVATE }) };
    const log = pino({ level: 'silent' });

    const result = await dispatcher.dispatch(invocation, { id: ALICE, role: 'viewer' }, createReplier({ chat: o.app.chat, invocation, log }), log);
    await o.settle();

    expect(result).toEqual({ outcome: 'error', command: 'announce' });
    expect(o.emulator.ephemerals({ user: ALICE })).toEqual([
      expect.objectContaining({ channel: PRIVATE, via: 'response_url', text: "I'm not in this private channel.\nInvite me with `/invite @opsbot`, then try again." }),
    ]);
    expect(o.emulator.messages(PRIVATE)).toEqual([]);
    expect(o.emulator.callsTo('conversations.join')).toEqual([]);
    expect(o.app.store.audit.list({ limit: 5, actor: ALICE })).toEqual([expect.objectContaining({ action: 'command', command: 'announce', outcome: 'error', detail: 'not_in_channel' })]);
  });
});

describe('Socket Mode', () => {
  it('acknowledges and answers a slash command over the WebSocket', async () => {
    const o = await start({ socketMode: true });
    expect(o.emulator.socketModeConnections).toBe(1);

    const ack = await o.emulator.slashCommand({ user: ALICE, channel: GENERAL, text: 'help' });
    await o.settle();

    expect(ack.status).toBe(200);
    expect(o.emulator.deliveries().map((d) => d.via)).toEqual(['socket']);
    expect(o.emulator.ephemerals({ user: ALICE })).toEqual([expect.objectContaining({ text: expect.stringContaining('opsbot commands') })]);
    expect(inboxRows(o.app.store)).toEqual([expect.objectContaining({ kind: 'command', status: 'done' })]);
  });

  it('answers a mention over the WebSocket in its thread, recorded once', async () => {
    const o = await start({ socketMode: true });

    const { ts, responses } = await o.emulator.mention({ user: ALICE, channel: GENERAL, text: 'help' });
    await o.settle();

    expect(responses.every((r) => r.status === 200)).toBe(true);
    expect(o.emulator.ephemerals({ user: ALICE })).toEqual([expect.objectContaining({ threadTs: ts, text: expect.stringContaining('opsbot commands') })]);
    expect(inboxRows(o.app.store)).toEqual([expect.objectContaining({ kind: 'mention', status: 'done' })]);
  });

  it('handles a retried envelope once', async () => {
    const o = await start({ socketMode: true });
    await o.emulator.mention({ user: ALICE, channel: GENERAL, text: 'help' });
    const mention = o.emulator.deliveries().find((d) => d.type === 'app_mention');
    await o.settle();

    await o.emulator.redeliver(mention);
    await o.settle();

    expect(o.emulator.ephemerals({ user: ALICE })).toHaveLength(1);
    expect(inboxRows(o.app.store)).toHaveLength(1);
  });
});

describe('App Home', () => {
  it('states the role of the person who opened it', async () => {
    const o = await start({ env: ADMIN });

    await o.emulator.openHome(ALICE);
    await o.emulator.openHome(BOB);
    await o.settle();

    expect(JSON.stringify(o.emulator.home(ALICE))).toContain('Your role: *admin*.');
    expect(JSON.stringify(o.emulator.home(BOB))).toContain('Your role: *viewer*.');
  });

  it('tells a guest they have no access yet', async () => {
    const o = await start();
    o.emulator.addUser({ id: 'U0GUEST', name: 'gina', guest: true });

    await o.emulator.openHome('U0GUEST');
    await o.settle();

    expect(JSON.stringify(o.emulator.home('U0GUEST'))).toContain("You don't have access to opsbot yet");
  });
});

describe('HTTP', () => {
  it('GET /healthz is 200', async () => {
    const o = await start();
    const res = await fetch(`${o.url}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true });
  });

  it('GET /readyz is 200 with the database, Slack and resumed-workflows checks passing', async () => {
    const o = await start();
    const res = await fetch(`${o.url}/readyz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true, checks: { database: true, slack: true, workflows: true } });
  });

  it('GET /metrics is Prometheus text counting commands, ack latency, Slack calls and the outbox', async () => {
    const o = await start();
    await o.emulator.slashCommand({ user: ALICE, channel: GENERAL, text: 'help' });
    await o.emulator.slashCommand({ user: BOB, channel: GENERAL, text: 'help' });
    await o.settle();

    const res = await fetch(`${o.url}/metrics`);
    const text = await res.text();

    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    expect(Number(/^opsbot_commands_total\{command="help",outcome="ok"\} (\d+)$/m.exec(text)?.[1])).toBeGreaterThanOrEqual(2);
    expect(Number(/^opsbot_ack_latency_seconds_count (\d+)$/m.exec(text)?.[1])).toBeGreaterThanOrEqual(2);
    expect(text).toMatch(/^opsbot_slack_api_calls_total\{method="[^"]+",outcome="ok"\} \d+$/m);
    expect(text).toMatch(/^opsbot_outbox_depth \d+$/m);
  });

  it('GET /metrics counts Slack requests by intake outcome: accepted, duplicate (a retry), ignored', async () => {
    const o = await start();
    await o.emulator.mention({ user: ALICE, channel: GENERAL, text: 'help' }); // app_mention accepted, its message twin ignored
    await o.emulator.redeliver(o.emulator.deliveries().find((d) => d.type === 'app_mention'));
    await o.settle();

    const text = await (await fetch(`${o.url}/metrics`)).text();

    const count = (outcome: string) => Number(new RegExp(`^opsbot_slack_requests_total\\{outcome="${outcome}"\\} (\\d+)$`, 'm').exec(text)?.[1]);
    expect([count('accepted'), count('duplicate'), count('ignored')]).toEqual([1, 1, 1]);
  });

  it('before Slack has confirmed the token, /readyz is 503 and Slack requests get 503 (Slack retries them)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'opsbot-ready-'));
    const clock = new ManualClock(Date.now());
    const emulator = createSlackEmulator({ clock, signingSecret: SIGNING_SECRET, botToken: BOT_TOKEN });
    await emulator.start();
    let confirm!: () => void;
    const confirmed = new Promise<void>((resolve) => (confirm = resolve));
    emulator.intercept('auth.test', () => confirmed);
    const port = await freePort();
    const config = { ...testConfig(testEnv({ apiUrl: emulator.apiUrl, dir })), http: { host: '127.0.0.1', port } };
    const app = createApp({ config, log: pino({ level: 'silent' }), clock, host: { hostname: 'test-host', pid: process.pid, isProcessAlive: () => false } });
    const url = `http://127.0.0.1:${port}`;
    try {
      const starting = app.start();
      const early = await retryUntilListening(() => fetch(`${url}/readyz`));
      emulator.setEventsUrl(`${url}/slack/events`);
      const command = await emulator.slashCommand({ user: ALICE, channel: GENERAL, text: 'help' });

      expect(early.status).toBe(503);
      expect(await early.json()).toEqual({ ok: false, checks: { database: true, slack: false, workflows: false } });
      expect(command.status).toBe(503);
      expect(intakeRowCounts(app.store)).toMatchObject({ inbox: 0, processed: 0 });

      confirm();
      await starting;
      expect((await fetch(`${url}/readyz`)).status).toBe(200);
    } finally {
      confirm();
      await app.stop();
      await emulator.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('an unknown path is 404', async () => {
    const o = await start();
    const res = await fetch(`${o.url}/nope`);
    expect(res.status).toBe(404);
  });
});

describe('retention', () => {
  it('the hourly sweep prunes processed keys older than the retention and keeps recent ones', async () => {
    const o = await start({ policy: 'retention:\n  processed_events: 1h\n' });
    await o.emulator.slashCommand({ user: ALICE, channel: GENERAL, text: 'help' });
    await o.settle();
    const [old] = processedKeys(o.app.store);

    // The sweep runs every hour of clock time from start-up; the one at 1h finds nothing over an hour old.
    await o.clock.advance(70 * 60_000);
    expect(processedKeys(o.app.store)).toEqual([old]);
    await o.emulator.slashCommand({ user: BOB, channel: GENERAL, text: 'help' });
    await o.settle();
    const recent = processedKeys(o.app.store).find((k) => k !== old);
    expect(recent).toBeDefined();

    // The sweep at 2h: the first key is two hours old, the second 50 minutes.
    await o.clock.advance(50 * 60_000);

    expect(processedKeys(o.app.store)).toEqual([recent]);
  });
});

describe('stopping', () => {
  it('finishes the work it acknowledged before it stops: the answer still arrives', async () => {
    const o = await startOpsbot();
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let working!: () => void;
    const underWay = new Promise<void>((resolve) => (working = resolve));
    o.emulator.intercept('users.info', async () => {
      working();
      await held;
    });
    try {
      await o.emulator.slashCommand({ user: ALICE, channel: GENERAL, text: 'help' });
      await underWay;

      const stopping = o.app.stop();
      release();
      await stopping;

      expect(o.emulator.ephemerals({ user: ALICE })).toEqual([expect.objectContaining({ text: expect.stringContaining('opsbot commands') })]);
      const db = new Database(join(o.dir, 'opsbot.db'), { readonly: true });
      try {
        expect(db.prepare('SELECT kind, status FROM inbox').all()).toEqual([{ kind: 'command', status: 'done' }]);
      } finally {
        db.close();
      }
    } finally {
      await o.emulator.stop();
      rmSync(o.dir, { recursive: true, force: true });
    }
  });
});

describe('a crash after the ack', () => {
  it('leaves the request recorded, and the next start-up on the same database answers it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'opsbot-crash-'));
    const clock = new ManualClock(Date.now());
    const emulator = createSlackEmulator({ clock, signingSecret: SIGNING_SECRET, botToken: BOT_TOKEN });
    await emulator.start();
    // The first opsbot runs in a worker thread so it can be stopped dead, as kill -9 would.
    const first = new Worker(new URL('./support/opsbot-thread.ts', import.meta.url), { workerData: { env: testEnv({ apiUrl: emulator.apiUrl, dir }) } });
    try {
      const { url } = await new Promise<{ url: string }>((resolve, reject) => first.once('message', resolve).once('error', reject));
      emulator.setEventsUrl(`${url}/slack/events`);
      // Slack holds the first opsbot's users.info: the work is under way when it dies.
      let working!: () => void;
      const underWay = new Promise<void>((resolve) => (working = resolve));
      emulator.intercept('users.info', () => {
        working();
        return new Promise(() => {});
      });

      const ack = await emulator.slashCommand({ user: ALICE, channel: GENERAL, text: 'help' });
      await underWay;
      await first.terminate();
      emulator.intercept('users.info', null);
      const db = new Database(join(dir, 'opsbot.db'), { readonly: true });
      try {
        expect(db.prepare('SELECT kind, status, attempts FROM inbox').all()).toEqual([{ kind: 'command', status: 'pending', attempts: 0 }]);
      } finally {
        db.close();
      }

      expect(ack.status).toBe(200);
      expect(emulator.ephemerals()).toEqual([]);

      const second = await startOpsbot({ dir, slack: emulator, clock });
      opsbot = second;
      await second.settle();

      expect(emulator.ephemerals({ user: ALICE })).toEqual([expect.objectContaining({ channel: GENERAL, via: 'response_url', text: expect.stringContaining('opsbot commands') })]);
      expect(inboxRows(second.app.store)).toEqual([expect.objectContaining({ kind: 'command', status: 'done', attempts: 1 })]);
      expect(second.app.store.audit.list({ limit: 10 }).filter((a) => a.action === 'received')).toHaveLength(1);
      expect(second.logs).toContainEqual(expect.objectContaining({ msg: 'resuming unfinished requests', count: 1 }));
    } finally {
      await first.terminate();
      await opsbot?.stop();
      opsbot = undefined;
      await emulator.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});


async function retryUntilListening(request: () => Promise<Response>): Promise<Response> {
  for (let i = 0; ; i++) {
    try {
      return await request();
    } catch (err) {
      if (i > 200) throw err;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }
}
