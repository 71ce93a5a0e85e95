import { readFileSync } from 'node:fs';
import { once } from 'node:events';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.ts';
import { createSlackEmulator } from '../../src/local/emulator/index.ts';

/** The emulator's message shortcut: a message_action shaped like Slack's own sample. */

const SAMPLE = JSON.parse(readFileSync(new URL('../fixtures/slack-payloads/test_shortcut__message_shortcut_body__L202.json', import.meta.url), 'utf8')) as Record<string, unknown>;

describe('a message shortcut in the emulator', () => {
  it('delivers message_action with the message, a trigger_id and a response_url, keyed like Slack’s sample', async () => {
    const bodies: string[] = [];
    const app = createServer((req: IncomingMessage, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        bodies.push(Buffer.concat(chunks).toString('utf8'));
        res.writeHead(200).end();
      });
    });
    app.listen(0, '127.0.0.1');
    await once(app, 'listening');
    const emulator = createSlackEmulator({ clock: new ManualClock(Date.now()), signingSecret: 's', botToken: 'xoxb-1' });
    await emulator.start();
    try {
      emulator.setEventsUrl(`http://127.0.0.1:${(app.address() as AddressInfo).port}/slack/events`);
      const { ts } = await emulator.userMessage({ user: 'U0BOB', channel: 'C0RANDOM', text: 'db is on fire' });
      const response = await emulator.messageShortcut({ user: 'U0ALICE', channel: 'C0RANDOM', messageTs: ts, callbackId: 'incident_declare_from_message' });
      expect(response.status).toBe(200);
      const payload = JSON.parse(new URLSearchParams(bodies.at(-1)!).get('payload')!) as Record<string, unknown>;
      for (const key of Object.keys(SAMPLE)) expect(payload).toHaveProperty(key);
      expect(payload).toMatchObject({ type: 'message_action', callback_id: 'incident_declare_from_message', message_ts: ts, channel: { id: 'C0RANDOM', name: 'random' }, user: { id: 'U0ALICE' }, message: { ts, text: 'db is on fire', user: 'U0BOB' } });
      expect(String(payload.trigger_id)).not.toBe('');
      await expect(emulator.messageShortcut({ user: 'U0ALICE', channel: 'C0RANDOM', messageTs: '1.000000', callbackId: 'x' })).rejects.toThrow('no message 1.000000 in C0RANDOM');
    } finally {
      await emulator.stop();
      app.close();
    }
  });
});
