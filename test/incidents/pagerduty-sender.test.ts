import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.ts';
import { createPagerDutyClient } from '../../src/incidents/pagerduty-client.ts';
import { createPagerDutySender, pagerDutyBackoff } from '../../src/incidents/pagerduty-sender.ts';
import { openDatabase } from '../../src/store/open-database.ts';
import { createPagerDutyEventRepo, type PagerDutyEvent } from '../../src/store/pagerduty-event-repo.ts';
import { capturingLogger } from '../commands/support.ts';
import { createFakePagerDuty } from '../support/fake-pagerduty.ts';

/** The PagerDuty queue against a loopback Events API v2: order, retries by the clock, giving up. */

const KEY = 'R0UTINGKEY0123456789abcdef012345';
const pagerduty = createFakePagerDuty();
beforeAll(() => pagerduty.start());
afterAll(() => pagerduty.stop());

let dir: string;
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function setup(options: { maxAttempts?: number; routingKey?: string } = {}) {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'opsbot-pd-'));
  const db = openDatabase(path.join(dir, 'opsbot.db'));
  // Events belong to incidents (a foreign key): two to send for.
  for (const n of [1, 2]) {
    db.prepare(
      `INSERT INTO incidents (number, title, severity, status, commander, declared_by, mode, declared_at, last_update_at, updated_at) VALUES (?, 't', 'P1', 'investigating', 'U1', 'U1', 'channel', 0, 0, 0)`,
    ).run(n);
  }
  const repo = createPagerDutyEventRepo(db);
  const clock = new ManualClock(Date.parse('2026-03-02T09:00:00Z'));
  const done: Array<{ event: PagerDutyEvent; sent: boolean; error?: string }> = [];
  const sender = createPagerDutySender({
    repo,
    client: createPagerDutyClient({ url: pagerduty.url, routingKey: options.routingKey ?? KEY }),
    clock,
    log: capturingLogger().log,
    ...(options.maxAttempts ? { maxAttempts: options.maxAttempts } : {}),
    onDone: (event, result) => done.push({ event, sent: result.sent, ...(result.sent ? {} : { error: result.error }) }),
  });
  const trigger = (incident: number) => ({ event_action: 'trigger', dedup_key: `INC-${incident}`, payload: { summary: `INC-${incident} down`, source: 'api', severity: 'critical' } });
  return { repo, clock, sender, done, trigger, close: () => db.close() };
}

describe('the PagerDuty sender', () => {
  it('sends an incident’s events in order: a resolve waits while its trigger is being retried', async () => {
    const t = setup();
    const before = pagerduty.arrivals().length;
    pagerduty.script(429);
    t.sender.enqueue(1, 'trigger', t.trigger(1), t.clock.now());
    t.sender.enqueue(1, 'resolve', { event_action: 'resolve', dedup_key: 'INC-1' }, t.clock.now());
    t.sender.enqueue(2, 'trigger', t.trigger(2), t.clock.now());
    await t.sender.process();
    expect(pagerduty.arrivals().slice(before).map((a) => [a.body.dedup_key, a.body.event_action, a.status])).toEqual([
      ['INC-1', 'trigger', 429],
      ['INC-2', 'trigger', 202],
    ]);
    expect(t.sender.nextDue()).toBe(t.clock.now() + 60_000);

    await t.clock.advance(60_000);
    await t.sender.process();
    expect(pagerduty.arrivals().slice(before + 2).map((a) => [a.body.dedup_key, a.body.event_action, a.status])).toEqual([
      ['INC-1', 'trigger', 202],
      ['INC-1', 'resolve', 202],
    ]);
    expect(t.repo.forIncident(1).map((e) => [e.action, e.status, e.attempts])).toEqual([
      ['trigger', 'sent', 2],
      ['resolve', 'sent', 1],
    ]);
    expect(t.sender.nextDue()).toBeUndefined();
    t.close();
  });

  it('gives up at once on an event PagerDuty calls invalid (400), and after the last attempt on errors', async () => {
    const t = setup({ maxAttempts: 3 });
    t.sender.enqueue(1, 'trigger', { event_action: 'trigger', dedup_key: 'INC-1', payload: { summary: 'x', source: 'api', severity: 'urgent' } }, t.clock.now());
    await t.sender.process();
    expect(t.done).toEqual([expect.objectContaining({ sent: false, error: expect.stringContaining("HTTP 400 invalid event: Event object is invalid: 'payload.severity' is invalid") })]);

    pagerduty.script(500, 500, 500);
    t.sender.enqueue(2, 'trigger', t.trigger(2), t.clock.now());
    await t.sender.process();
    await t.clock.advance(5_000);
    await t.sender.process();
    await t.clock.advance(10_000);
    await t.sender.process();
    expect(t.repo.forIncident(2)).toEqual([expect.objectContaining({ status: 'failed', attempts: 3, error: 'HTTP 500 error: Internal server error' })]);
    expect(t.done.at(-1)).toMatchObject({ sent: false });
    t.close();
  });

  it('backs off by doubling, minutes after a 429, and follows Retry-After', () => {
    expect([1, 2, 3, 7, 20].map((n) => pagerDutyBackoff('unavailable', n))).toEqual([5_000, 10_000, 20_000, 300_000, 300_000]);
    expect([1, 2, 5].map((n) => pagerDutyBackoff('throttled', n))).toEqual([60_000, 120_000, 600_000]);
    expect(pagerDutyBackoff('throttled', 1, 30_000)).toBe(30_000);
  });

  it('treats a connection that fails as worth retrying', async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'opsbot-pd-'));
    const client = createPagerDutyClient({ url: 'http://127.0.0.1:1/v2/enqueue', routingKey: KEY, timeoutMs: 2_000 });
    expect(await client.send({ event_action: 'resolve', dedup_key: 'INC-1' })).toMatchObject({ outcome: 'unavailable', error: expect.stringMatching(/^network: /) });
  });
});
