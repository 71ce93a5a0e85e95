import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.ts';
import { createSlackEmulator, type SlackEmulator } from '../../src/local/emulator/index.ts';
import { boltLogger } from '../../src/logger.ts';
import { type BoltSlack, createBoltSlack } from '../../src/slack/bolt-app.ts';
import { createIntake, type Intake } from '../../src/slack/intake.ts';
import { createWebClient, webClientOptions } from '../../src/slack/web-client.ts';
import { createStore } from '../../src/store/store.ts';
import type { Store } from '../../src/store/types.ts';
import { useTempFiles } from '../store/temp-files.ts';
import { fixtureJson, intakeRowCounts } from '../support/slack-fixtures.ts';

const SECRET = 'bolt-app-test-secret';
const TOKEN = 'xoxb-bolt-app-test';

/**
 * Bolt with opsbot's durable processEvent, behind a plain HTTP server, fed by the emulator. The
 * steps are logged in the order they happen: recorded (the intake's transaction), acked (the
 * response is written), scheduled (the work is handed to the inbox worker).
 */
describe('the durable Bolt app', () => {
  const files = useTempFiles();
  let emulator: SlackEmulator;
  let server: Server;
  let slack: BoltSlack;
  let store: Store;
  let steps: string[];

  beforeEach(async () => {
    const clock = new ManualClock(Date.now());
    emulator = createSlackEmulator({ clock, signingSecret: SECRET, botToken: TOKEN });
    await emulator.start();
    store = createStore(files.open(), { isProcessAlive: () => false });
    const log = pino({ level: 'silent' });
    const intake = createIntake({ store, clock, log, command: '/ops', alertChannels: [] });
    intake.setBot({ userId: emulator.botUserId, botId: emulator.botId });
    steps = [];
    const logged: Intake = {
      setBot: intake.setBot,
      accept(body) {
        const result = intake.accept(body);
        steps.push(result.outcome === 'accepted' ? 'recorded' : result.outcome);
        return result;
      },
    };
    slack = createBoltSlack({
      mode: 'http',
      botToken: TOKEN,
      signingSecret: SECRET,
      appToken: undefined,
      command: '/ops',
      bot: { userId: emulator.botUserId, botId: emulator.botId },
      clientOptions: webClientOptions({ apiUrl: emulator.apiUrl }),
      logger: boltLogger(log),
      intake: logged,
      onAccepted: () => steps.push('scheduled'),
      onAck: () => steps.push('acked'),
    });
    await slack.start();
    server = createServer(slack.requestListener);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    emulator.setEventsUrl(`http://127.0.0.1:${(server.address() as AddressInfo).port}/slack/events`);
  });

  afterEach(async () => {
    await slack.stop();
    await new Promise((resolve) => {
      server.close(resolve);
      server.closeAllConnections();
    });
    await emulator.stop();
  });

  it('records a slash command, then acknowledges it, then schedules its work', async () => {
    const ack = await emulator.slashCommand({ user: 'U0ALICE', channel: 'C0GENERAL', text: 'help' });
    await emulator.settle();

    expect(ack).toMatchObject({ status: 200, body: '' });
    expect(steps).toEqual(['recorded', 'acked', 'scheduled']);
  });

  it('records an event, then acknowledges it, then schedules its work', async () => {
    const { responses } = await emulator.mention({ user: 'U0ALICE', channel: 'C0GENERAL', text: 'help' });
    await emulator.settle();

    expect(responses.map((r) => r.status)).toEqual([200, 200]);
    // The app_mention is work; its message twin is acknowledged only.
    expect(steps).toEqual(['recorded', 'acked', 'scheduled', 'ignored', 'acked']);
  });

  it('records a button click, then acknowledges it, then schedules its work', async () => {
    const posted = await createWebClient({ token: TOKEN, apiUrl: emulator.apiUrl }).chat.postMessage({
      channel: 'C0GENERAL',
      text: 'Go?',
      blocks: [{ type: 'actions', elements: [{ type: 'button', action_id: 'ops.run', text: { type: 'plain_text', text: 'Go' }, value: 'help' }] }],
    });
    await emulator.settle();
    steps.length = 0; // the echo of the post

    const ack = await emulator.clickButton({ user: 'U0ALICE', channel: 'C0GENERAL', messageTs: String(posted.ts), actionId: 'ops.run' });

    expect(ack.status).toBe(200);
    expect(steps).toEqual(['recorded', 'acked', 'scheduled']);
  });

  it('acknowledges a retry without scheduling it again', async () => {
    await emulator.mention({ user: 'U0ALICE', channel: 'C0GENERAL', text: 'help' });
    const mention = emulator.deliveries().find((d) => d.type === 'app_mention');
    steps.length = 0;

    const retry = await emulator.redeliver(mention);

    expect(retry.status).toBe(200);
    expect(steps).toEqual(['duplicate', 'acked']);
  });

  it('does not acknowledge what it could not record, so Slack retries it', async () => {
    store.db.exec(`CREATE TRIGGER audit_full BEFORE INSERT ON audit_log BEGIN SELECT RAISE(ABORT, 'disk full'); END`);

    const failed = await emulator.slashCommand({ user: 'U0ALICE', channel: 'C0GENERAL', text: 'help' });
    expect(failed.status).toBe(500);
    expect(steps).toEqual([]);
    expect(intakeRowCounts(store)).toEqual({ audit: 0, inbox: 0, processed: 0 });

    store.db.exec('DROP TRIGGER audit_full');
    const retried = await emulator.sendRaw(emulator.deliveries().at(-1)?.body ?? '', 'application/x-www-form-urlencoded');
    expect(retried.status).toBe(200);
    expect(steps).toEqual(['recorded', 'acked', 'scheduled']);
  });

  it('answers Slack’s URL verification with the challenge and records nothing', async () => {
    const body = fixtureJson('test_events_url_verification__event_body__L69.json');

    const res = await emulator.sendRaw(JSON.stringify(body), 'application/json');

    expect(res.status).toBe(200);
    expect(res.json).toEqual({ challenge: body.challenge });
    expect(steps).toEqual([]);
    expect(intakeRowCounts(store)).toEqual({ audit: 0, inbox: 0, processed: 0 });
  });

  it('answers Slack’s SSL check and records nothing', async () => {
    const res = await emulator.sendRaw('ssl_check=1&token=emulated-verification-token', 'application/x-www-form-urlencoded');

    expect(res.status).toBe(200);
    expect(steps).toEqual([]);
  });

  it('acknowledges interactive payloads it has no work for (view_closed) and records nothing', async () => {
    const payload = fixtureJson('test_view_closed__body__L140.json');

    const res = await emulator.sendRaw(new URLSearchParams([['payload', JSON.stringify(payload)]]).toString(), 'application/x-www-form-urlencoded');

    expect(res.status).toBe(200);
    expect(steps).toEqual(['ignored', 'acked']);
  });
});
