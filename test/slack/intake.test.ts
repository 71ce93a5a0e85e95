import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.ts';
import { createIntake } from '../../src/slack/intake.ts';
import { createStore } from '../../src/store/store.ts';
import { fixtureJson, inboxRows, intakeRowCounts, processedKeys } from '../support/slack-fixtures.ts';
import { useTempFiles } from '../store/temp-files.ts';

type Obj = Record<string, unknown>;

const OPSBOT = { userId: 'U0OPSBOT', botId: 'B0OPSBOT' };

describe('the intake', () => {
  const files = useTempFiles();

  function setup(alertChannels: string[] = []) {
    const store = createStore(files.open(), { isProcessAlive: () => false });
    const clock = new ManualClock(1_700_000_000_000);
    const intake = createIntake({ store, clock, log: pino({ level: 'silent' }), command: '/ops', alertChannels });
    intake.setBot(OPSBOT);
    return { store, clock, intake };
  }

  const mention = () => fixtureJson('test_app__app_mention_event_body__L334.json');
  const message = (channel: string, changes: Obj = {}) => {
    const body = fixtureJson('test_message__message_body__L253.json');
    return { ...body, event: { ...(body.event as Obj), channel, ...changes } };
  };

  it('records a request in one go, synchronously: its key, an inbox entry holding the body, and a received audit row', () => {
    const { store, intake } = setup();
    const body = mention();

    const result = intake.accept(body);

    expect(result).not.toBeInstanceOf(Promise);
    expect(result).toEqual({ outcome: 'accepted', inboxId: expect.any(Number), kind: 'mention' });
    expect(processedKeys(store)).toEqual(['event:Ev111']);
    expect(inboxRows(store)).toEqual([{ id: (result as { inboxId: number }).inboxId, key: 'event:Ev111', kind: 'mention', status: 'pending', attempts: 0 }]);
    expect(JSON.parse(store.inbox.get((result as { inboxId: number }).inboxId)?.payload ?? '')).toEqual(body);
    expect(store.audit.list({ limit: 5 })).toEqual([
      expect.objectContaining({ at: 1_700_000_000_000, actor: 'W222', channel: 'C111', action: 'received', command: 'mention', outcome: 'accepted', args: JSON.stringify({ text: '<@W111> Hi there!' }) }),
    ]);
  });

  it('acknowledges a retry of a recorded request as a duplicate and writes nothing more', () => {
    const { store, intake } = setup();
    intake.accept(mention());
    const before = intakeRowCounts(store);

    expect(intake.accept(mention())).toEqual({ outcome: 'duplicate', key: 'event:Ev111' });
    expect(intakeRowCounts(store)).toEqual(before);
  });

  it('treats a late retry as a duplicate even after its processed key was pruned, while the finished entry is kept', () => {
    const { store, clock, intake } = setup();
    const first = intake.accept(mention()) as { inboxId: number };
    store.inbox.start(first.inboxId, clock.now());
    store.inbox.finish(first.inboxId, clock.now());
    store.events.prune(clock.now() + 1);

    expect(intake.accept(mention())).toEqual({ outcome: 'duplicate', key: 'event:Ev111' });
    expect(inboxRows(store)).toHaveLength(1);
  });

  it('writes nothing at all when part of the record fails', () => {
    const { store, intake } = setup();
    store.db.exec(`CREATE TRIGGER audit_full BEFORE INSERT ON audit_log BEGIN SELECT RAISE(ABORT, 'disk full'); END`);

    expect(() => intake.accept(mention())).toThrow('disk full');
    expect(intakeRowCounts(store)).toEqual({ audit: 0, inbox: 0, processed: 0 });

    // Slack retries a request that got no ack; once the store works again it is recorded.
    store.db.exec('DROP TRIGGER audit_full');
    expect(intake.accept(mention())).toMatchObject({ outcome: 'accepted' });
  });

  it('records channel messages only in alert channels', () => {
    const { store, intake } = setup(['C0ALERTS']);

    expect(intake.accept(message('C111'))).toEqual({ outcome: 'ignored', reason: 'message outside alert channels' });
    expect(intakeRowCounts(store)).toEqual({ audit: 0, inbox: 0, processed: 0 });
    expect(intake.accept(message('C0ALERTS'))).toMatchObject({ outcome: 'accepted', kind: 'message' });
  });

  it('records a direct message to opsbot wherever the alert channels are', () => {
    const { intake } = setup(['C0ALERTS']);
    expect(intake.accept(message('D111', { channel_type: 'im', text: 'help' }))).toMatchObject({ outcome: 'accepted', kind: 'mention' });
  });

  it('ignores opsbot’s own messages, even in an alert channel', () => {
    const { store, intake } = setup(['C0ALERTS']);
    expect(intake.accept(message('C0ALERTS', { user: OPSBOT.userId, bot_id: OPSBOT.botId }))).toEqual({ outcome: 'ignored', reason: 'own message' });
    expect(intakeRowCounts(store)).toEqual({ audit: 0, inbox: 0, processed: 0 });
  });

  it('records a mention in an alert channel once: the message twin is ignored', () => {
    const { store, intake } = setup(['C0ALERTS']);
    const appMention: Obj = { ...mention(), event_id: 'Ev0MENTION' };
    (appMention.event as Obj).channel = 'C0ALERTS';
    (appMention.event as Obj).text = '<@U0OPSBOT> help';

    intake.accept(appMention);
    intake.accept({ ...message('C0ALERTS', { text: '<@U0OPSBOT> help' }), event_id: 'Ev0TWIN' });

    expect(inboxRows(store)).toEqual([expect.objectContaining({ kind: 'mention' })]);
  });

  it('ignores slash commands of other apps', () => {
    const { store, intake } = setup();
    expect(intake.accept({ command: '/deploy', text: 'api', user_id: 'U1', channel_id: 'C1', trigger_id: '1.2.3' })).toEqual({
      outcome: 'ignored',
      reason: 'slash command /deploy is not ours',
    });
    expect(intakeRowCounts(store)).toEqual({ audit: 0, inbox: 0, processed: 0 });
  });
});
