import { describe, expect, it } from 'vitest';
import { type BotIdentity, classifyRequest } from '../../src/slack/classify-request.ts';
import { fixtureForm, fixtureJson } from '../support/slack-fixtures.ts';

type Obj = Record<string, unknown>;

/** The bot of the fixtures' workspace is never one of their authors unless a test says so. */
const OPSBOT: BotIdentity = { userId: 'U0OPSBOT', botId: 'B0OPSBOT' };
const classify = (body: Obj, bot: BotIdentity | undefined = OPSBOT, command = '/ops') => classifyRequest(body, { command, bot });

/** Bolt hands a slash command's form to the app as an object of its fields. */
const slashFixture = () => Object.fromEntries(fixtureForm('test_slash_command__slash_command_body__L125.form.txt'));
const withEvent = (name: string, changes: Obj): Obj => {
  const body = fixtureJson(name);
  return { ...body, event: { ...(body.event as Obj), ...changes } };
};

describe('classifyRequest', () => {
  describe('slash commands', () => {
    it('the configured command is a command, keyed by its trigger_id', () => {
      expect(classify(slashFixture(), OPSBOT, '/hello-world')).toEqual({
        kind: 'command',
        key: 'command:111.111.xxx',
        userId: 'W111',
        channelId: 'C111',
        summary: '/hello-world Hi',
      });
    });

    it('another command (another app sharing the URL) is not ours', () => {
      expect(classify(slashFixture())).toEqual({ ignore: 'slash command /hello-world is not ours' });
    });
  });

  describe('events', () => {
    it('an app_mention is a mention, keyed by its event_id', () => {
      for (const name of ['test_app__app_mention_event_body__L334.json', 'test_events__valid_event_body__L51.json']) {
        expect(classify(fixtureJson(name))).toEqual({ kind: 'mention', key: 'event:Ev111', userId: 'W222', channelId: 'C111', summary: '<@W111> Hi there!' });
      }
    });

    it('a person’s channel message is a message (the intake keeps it only in alert channels)', () => {
      expect(classify(fixtureJson('test_message__message_body__L253.json'))).toEqual({ kind: 'message', key: 'event:Ev111', userId: 'W111', channelId: 'C111', summary: 'Hello World!' });
      expect(classify(fixtureJson('test_message_bot__user_message_event_payload__L79.json'))).toMatchObject({ kind: 'message', userId: 'W111' });
    });

    it('another bot’s message is a message: alert integrations post that way', () => {
      expect(classify(fixtureJson('test_message_bot__bot_message_event_payload__L128.json'))).toMatchObject({ kind: 'message', key: 'event:Ev222', channelId: 'C111' });
      expect(classify(fixtureJson('test_message_bot__classic_bot_message_event_payload__L173.json'))).toMatchObject({ kind: 'message', key: 'event:Ev333', userId: undefined });
      expect(classify(fixtureJson('test_events_ignore_self__different_app_response_url_message_event__L136.json'))).toMatchObject({ kind: 'message' });
    });

    it('file shares and thread broadcasts are new messages', () => {
      expect(classify(fixtureJson('test_message_file_share__event_payload__L74.json'))).toMatchObject({ kind: 'message', key: 'event:Ev03EGJQAVMM', summary: 'Hi there!' });
      expect(classify(fixtureJson('test_message_thread_broadcast__event_payload__L74.json'))).toMatchObject({ kind: 'message', summary: 'Hi there!' });
    });

    it('edits and deletions are not new messages', () => {
      expect(classify(fixtureJson('test_message_changed__event_payload__L68.json'))).toEqual({ ignore: 'message subtype message_changed' });
      expect(classify(fixtureJson('test_message_deleted__event_payload__L68.json'))).toEqual({ ignore: 'message subtype message_deleted' });
    });

    it('a channel message that mentions opsbot is left to its app_mention twin', () => {
      const twin = withEvent('test_message__message_body__L253.json', { text: '<@U0OPSBOT> help' });
      expect(classify(twin)).toEqual({ ignore: 'mention, handled as app_mention' });
    });

    it('a person’s direct message to opsbot is handled like a mention (Slack sends no app_mention in DMs)', () => {
      const dm = withEvent('test_message__message_body__L253.json', { channel: 'D111', channel_type: 'im', text: 'help' });
      expect(classify(dm)).toEqual({ kind: 'mention', key: 'event:Ev111', userId: 'W111', channelId: 'D111', summary: 'help' });
      const dmWithMention = withEvent('test_message__message_body__L253.json', { channel: 'D111', channel_type: 'im', text: '<@U0OPSBOT> help' });
      expect(classify(dmWithMention)).toMatchObject({ kind: 'mention' });
    });

    it('an edit in a direct message is not a new command', () => {
      const edit = withEvent('test_message_changed__event_payload__L68.json', { channel: 'D111', channel_type: 'im' });
      expect(classify(edit)).toEqual({ ignore: 'message subtype message_changed' });
    });

    it('App Home opened on the Home tab is home; the Messages tab is not work', () => {
      expect(classify(fixtureJson('test_events_org_apps__event_payload__L153.json'))).toEqual({ ignore: 'app home tab other than home' });
      const home = withEvent('test_events_org_apps__event_payload__L153.json', { tab: 'home' });
      expect(classify(home)).toEqual({ kind: 'home', key: 'event:Ev111', userId: 'W111', channelId: 'D111', summary: 'app home opened' });
    });

    it('a reaction is a reaction in the reacted message’s channel', () => {
      expect(classify(fixtureJson('test_events__valid_reaction_added_body__L112.json'))).toEqual({
        kind: 'reaction',
        key: 'event:Ev111',
        userId: 'W111',
        channelId: 'C111',
        summary: ':heart_eyes:',
      });
    });

    it('events opsbot does not handle are not work', () => {
      expect(classify(fixtureJson('test_events__join_event_body__L167.json'))).toEqual({ ignore: 'event member_joined_channel' });
      expect(classify(fixtureJson('test_events__app_uninstalled_body__L299.json'))).toEqual({ ignore: 'event app_uninstalled' });
    });
  });

  describe('opsbot’s own messages', () => {
    it('are recognised by user id, bot id or bot profile', () => {
      const otherBot = fixtureJson('test_message_bot__bot_message_event_payload__L128.json'); // user UB111, bot_id B999, bot_profile B999
      expect(classify(otherBot, { userId: 'UB111', botId: 'BNOTIT' })).toEqual({ ignore: 'own message' });
      expect(classify(otherBot, { userId: 'UNOTIT', botId: 'B999' })).toEqual({ ignore: 'own message' });
      const profileOnly = withEvent('test_message_bot__bot_message_event_payload__L128.json', { user: undefined, bot_id: undefined });
      expect(classify(profileOnly, { userId: 'UNOTIT', botId: 'B999' })).toEqual({ ignore: 'own message' });
    });

    it('include its response_url posts (bot_message with its bot id)', () => {
      expect(classify(fixtureJson('test_events_ignore_self__response_url_message_event__L115.json'), { userId: 'W111', botId: 'BZYBOTHED' })).toEqual({ ignore: 'own message' });
    });

    it('include its own reactions', () => {
      expect(classify(fixtureJson('test_events_ignore_self__event_body__L91.json'), { userId: 'W23456789', botId: 'B0OPSBOT' })).toEqual({ ignore: 'own message' });
    });

    it('include its own direct messages', () => {
      const ownDm = withEvent('test_message_bot__bot_message_event_payload__L128.json', { channel: 'D111', channel_type: 'im' });
      expect(classify(ownDm, { userId: 'UB111', botId: 'B999' })).toEqual({ ignore: 'own message' });
    });

    it('cannot be told apart before the bot identity is known (auth.test has not answered)', () => {
      expect(classify(fixtureJson('test_message_bot__bot_message_event_payload__L128.json'), undefined)).toMatchObject({ kind: 'message' });
    });
  });

  describe('interactive payloads', () => {
    it('block_actions is an action keyed by its trigger_id, in the container’s channel', () => {
      expect(classify(fixtureJson('test_block_actions__body__L161.json'))).toEqual({ kind: 'action', key: 'action:111.222.valid', userId: 'W111', channelId: 'C111', summary: 'a' });
    });

    it('view_submission is a view named by its callback_id', () => {
      expect(classify(fixtureJson('test_view_submission__body__L17.json'))).toEqual({ kind: 'view', key: 'view:111.222.valid', userId: 'W111', channelId: undefined, summary: 'view-id' });
    });

    it('global and message shortcuts are shortcuts', () => {
      expect(classify(fixtureJson('test_shortcut__global_shortcut_body__L187.json'))).toEqual({
        kind: 'shortcut',
        key: 'shortcut:111.111.xxxxxx',
        userId: 'W111',
        channelId: undefined,
        summary: 'test-shortcut',
      });
      expect(classify(fixtureJson('test_shortcut__message_shortcut_body__L202.json'))).toMatchObject({ kind: 'shortcut', key: 'shortcut:111.222.xxx', channelId: 'C111' });
    });

    it('view_closed and url_verification are not work', () => {
      expect(classify(fixtureJson('test_view_closed__body__L140.json'))).toEqual({ ignore: 'unhandled request type view_closed' });
      expect(classify(fixtureJson('test_events_url_verification__event_body__L69.json'))).toEqual({ ignore: 'unhandled request type url_verification' });
    });
  });

  describe('keys', () => {
    it('a retry of the same body has the same key', () => {
      const body = fixtureJson('test_app__app_mention_event_body__L334.json');
      expect(classify(structuredClone(body))).toEqual(classify(body));
    });

    it('a request without an id of its own is keyed by its content', () => {
      const first = withEvent('test_message__message_body__L253.json', {});
      delete first.event_id;
      const second = withEvent('test_message__message_body__L253.json', { text: 'Hello again' });
      delete second.event_id;
      const a = classify(first) as { key: string };
      expect(a.key).toMatch(/^event:[0-9a-f]{32}$/);
      expect(classify(structuredClone(first))).toMatchObject({ key: a.key });
      expect(classify(second)).not.toMatchObject({ key: a.key });
    });
  });
});
