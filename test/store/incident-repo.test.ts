import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createIncidentRepo, type NewIncident } from '../../src/store/incident-repo.ts';
import { openDatabase } from '../../src/store/open-database.ts';

let dir: string;
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function open() {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'opsbot-incident-repo-'));
  return createIncidentRepo(openDatabase(path.join(dir, 'opsbot.db')));
}

const incident = (overrides: Partial<NewIncident> = {}): NewIncident => ({
  title: 'API 500s',
  severity: 'P2',
  service: 'api',
  summary: null,
  commander: 'U0ALICE',
  declaredBy: 'U0ALICE',
  mode: 'channel',
  requestKey: null,
  declaredAt: 1_000,
  nextReminderAt: null,
  ...overrides,
});

describe('the incident repository', () => {
  it('numbers incidents INC-1, INC-2… and finds one by its request, channel or thread', () => {
    const repo = open();
    expect(repo.create(incident({ requestKey: 'trigger-1' }))).toBe(1);
    expect(repo.create(incident({ mode: 'thread' }))).toBe(2);
    repo.update(1, { channel: 'C0INC1' }, 2_000);
    repo.update(2, { channel: 'C0INCIDENTS', threadTs: '1.000100' }, 2_000);
    expect(repo.get(1)).toMatchObject({ id: 'INC-1', status: 'investigating', lastUpdateAt: 1_000, updatedAt: 2_000, responders: [] });
    expect(repo.byRequest('trigger-1')?.number).toBe(1);
    expect(repo.byLocation('C0INC1')?.number).toBe(1);
    expect(repo.byLocation('C0INC1', '9.000000')?.number).toBe(1);
    expect(repo.byLocation('C0INCIDENTS', '1.000100')?.number).toBe(2);
    expect(repo.byLocation('C0INCIDENTS')).toBeUndefined();
    expect(repo.usesChannel('C0INCIDENTS')).toBe(true);
    expect(repo.usesChannel('C0GENERAL')).toBe(false);
  });

  it('keeps an event with a ref once, and orders the timeline by when things happened', () => {
    const repo = open();
    repo.create(incident());
    const event = (at: number, text: string, ref: string | null = null) => ({ incident: 1, at, who: 'U0BOB', kind: 'note', text, ref });
    expect(repo.addEvent(event(5_000, 'later'), 5_000)).toMatchObject({ id: 1 });
    expect(repo.addEvent(event(2_000, 'pinned earlier', 'pin:C1/1.0'), 6_000)).toMatchObject({ id: 2 });
    expect(repo.addEvent(event(2_000, 'pinned earlier', 'pin:C1/1.0'), 7_000)).toBeUndefined();
    expect(repo.events(1).map((e) => e.text)).toEqual(['pinned earlier', 'later']);
  });

  it('knows the earliest timer of open incidents and which are due', () => {
    const repo = open();
    repo.create(incident());
    repo.create(incident());
    repo.create(incident());
    repo.update(1, { nextPageAt: 9_000, nextReminderAt: 50_000 }, 0);
    repo.update(2, { nextReminderAt: 7_000 }, 0);
    repo.update(3, { nextPageAt: 1_000, status: 'resolved' }, 0);
    expect(repo.nextTimer()).toBe(7_000);
    expect(repo.dueTimers(8_000).map((i) => i.number)).toEqual([2]);
    expect(repo.dueTimers(9_000).map((i) => i.number)).toEqual([1, 2]);
    expect(repo.openCounts()).toEqual({ P1: 0, P2: 2, P3: 0, P4: 0 });
  });

  it('lists newest first, open only or by severity, with responders', () => {
    const repo = open();
    repo.create(incident({ severity: 'P1' }));
    repo.create(incident());
    repo.update(1, { status: 'resolved' }, 0);
    expect(repo.addResponder(2, 'U0BOB', 'U0ALICE', 0)).toBe(true);
    expect(repo.addResponder(2, 'U0BOB', 'U0ALICE', 0)).toBe(false);
    expect(repo.list({ limit: 10 }).map((i) => i.number)).toEqual([2, 1]);
    expect(repo.list({ open: true, limit: 10 }).map((i) => [i.number, i.responders])).toEqual([[2, ['U0BOB']]]);
    expect(repo.list({ severity: 'P1', limit: 10 }).map((i) => i.number)).toEqual([1]);
    expect(() => repo.update(1, { number: 3 } as never, 0)).toThrow('incident field number cannot be updated');
  });
});
