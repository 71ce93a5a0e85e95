import { describe, expect, it } from 'vitest';
import { groupingPolicy, groupNotification, nextNotificationAt, type GroupAlertState, type GroupState } from '../../src/alerts/grouping-policy.ts';

/**
 * One group's life as Alertmanager's route timing would run it, with Alertmanager's default
 * windows (group_wait 30s, group_interval 5m, repeat_interval 4h) and explicit times.
 */

const windows = { groupWaitMs: 30_000, groupIntervalMs: 5 * 60_000, repeatIntervalMs: 4 * 3_600_000 };
const T0 = Date.parse('2026-01-01T09:00:00Z');
const s = (seconds: number) => T0 + seconds * 1000;
const m = (minutes: number) => s(minutes * 60);
const h = (hours: number) => m(hours * 60);
const firing = (...fingerprints: string[]): GroupAlertState[] => fingerprints.map((fingerprint) => ({ fingerprint, status: 'firing' }));
const resolved = (...fingerprints: string[]): GroupAlertState[] => fingerprints.map((fingerprint) => ({ fingerprint, status: 'resolved' }));

/** A group driven through alerts and notification timers, recording what each step decided. */
function lifeOf() {
  let group: GroupState | undefined;
  return {
    receive(at: number, incoming: GroupAlertState[]) {
      const decision = groupingPolicy({ group, incoming, now: at, windows });
      group = decision.state;
      return decision;
    },
    /** The notification timer firing at `at`. */
    tick(at: number) {
      if (group === undefined) throw new Error('no group');
      const decision = groupNotification({ group, now: at, windows });
      group = decision.state;
      return { notify: decision.notify, kind: decision.kind, triage: decision.triage, next: decision.notifyAt };
    },
    get state(): GroupState {
      if (group === undefined) throw new Error('no group');
      return group;
    },
  };
}

describe('grouping an alert group over time', () => {
  it('waits group_wait before the first notification, gathering what fires meanwhile, and triages once then', () => {
    const life = lifeOf();
    expect(life.receive(s(0), firing('a'))).toMatchObject({ change: 'new', created: true, notifyAt: s(30), added: ['a'] });
    expect(life.tick(s(10))).toEqual({ notify: false, kind: undefined, triage: false, next: s(30) });
    expect(life.receive(s(20), firing('b'))).toMatchObject({ change: 'changed', created: false, notifyAt: s(30), added: ['b'] });
    expect(life.tick(s(30))).toEqual({ notify: true, kind: 'first', triage: true, next: s(30) + windows.repeatIntervalMs });
    expect(life.state.notifiedFiring).toEqual(['a', 'b']);
  });

  it('notifies a change no sooner than group_interval after the last notification, without triaging again', () => {
    const life = lifeOf();
    life.receive(s(0), firing('a'));
    life.tick(s(30));
    expect(life.receive(m(2), firing('c'))).toMatchObject({ change: 'changed', notifyAt: s(30) + windows.groupIntervalMs, added: ['c'] });
    expect(life.tick(m(4))).toMatchObject({ notify: false });
    expect(life.tick(s(330))).toEqual({ notify: true, kind: 'update', triage: false, next: s(330) + windows.repeatIntervalMs });
  });

  it('notifies a change at once when the last notification is older than group_interval', () => {
    const life = lifeOf();
    life.receive(s(0), firing('a'));
    life.tick(s(30));
    expect(life.receive(h(1), firing('b')).notifyAt).toBe(h(1));
  });

  it('treats repeats as nothing new, and notifies an unchanged group again only after repeat_interval', () => {
    const life = lifeOf();
    life.receive(s(0), firing('a', 'b'));
    life.tick(s(30));
    expect(life.receive(m(1), firing('a', 'b', 'a'))).toMatchObject({ change: 'unchanged', added: [], refired: [], resolved: [], notifyAt: s(30) + windows.repeatIntervalMs });
    expect(life.tick(h(2))).toMatchObject({ notify: false });
    expect(life.tick(s(30) + windows.repeatIntervalMs)).toEqual({ notify: true, kind: 'repeat', triage: false, next: s(30) + 2 * windows.repeatIntervalMs });
  });

  it('shows an alert resolving, and one firing again (flapping), as changes that never triage again', () => {
    const life = lifeOf();
    life.receive(s(0), firing('a', 'b'));
    life.tick(s(30));
    expect(life.receive(m(10), resolved('a'))).toMatchObject({ change: 'changed', resolved: ['a'], notifyAt: m(10) });
    expect(life.tick(m(10))).toMatchObject({ notify: true, kind: 'update', triage: false });
    expect(life.receive(m(12), firing('a'))).toMatchObject({ change: 'changed', added: [], refired: ['a'], notifyAt: m(15) });
    expect(life.tick(m(15))).toMatchObject({ notify: true, kind: 'update', triage: false });
    expect(life.receive(m(16), resolved('a'))).toMatchObject({ change: 'changed', resolved: ['a'], notifyAt: m(20) });
  });

  it('resolves the group when all its alerts resolve, says so once, and then has nothing due', () => {
    const life = lifeOf();
    life.receive(s(0), firing('a', 'b'));
    life.tick(s(30));
    expect(life.receive(m(3), resolved('a'))).toMatchObject({ change: 'changed' });
    expect(life.receive(m(4), resolved('b'))).toMatchObject({ change: 'resolved', resolved: ['b'], notifyAt: s(330) });
    expect(life.state.resolvedAt).toBe(m(4));
    expect(life.tick(s(330))).toEqual({ notify: true, kind: 'resolved', triage: false, next: undefined });
    expect(life.receive(m(6), resolved('a', 'b'))).toMatchObject({ change: 'unchanged', notifyAt: undefined });
  });

  it('reopens a resolved group that fires again soon, without a new message or triage', () => {
    const life = lifeOf();
    life.receive(s(0), firing('a'));
    life.tick(s(30));
    life.receive(m(2), resolved('a'));
    life.tick(s(330));
    const again = life.receive(m(20), firing('a'));
    expect(again).toMatchObject({ change: 'changed', created: false, refired: ['a'], notifyAt: m(20) });
    expect(again.state.resolvedAt).toBeUndefined();
    expect(life.tick(m(20))).toMatchObject({ notify: true, kind: 'update', triage: false });
  });

  it('starts afresh — new message, new triage — when it fires again after repeat_interval fully resolved', () => {
    const life = lifeOf();
    life.receive(s(0), firing('a'));
    life.tick(s(30));
    life.receive(m(2), resolved('a'));
    life.tick(s(330));
    const fresh = life.receive(m(2) + windows.repeatIntervalMs, firing('a'));
    expect(fresh).toMatchObject({ change: 'new', created: true, added: ['a'], notifyAt: m(2) + windows.repeatIntervalMs + 30_000 });
    expect(fresh.state.lastNotifiedAt).toBeUndefined();
    expect(life.tick(m(2) + windows.repeatIntervalMs + 30_000)).toMatchObject({ notify: true, kind: 'first', triage: true });
  });

  it('stores a group that only ever saw resolved alerts without notifying it', () => {
    const life = lifeOf();
    expect(life.receive(s(0), resolved('a'))).toMatchObject({ change: 'resolved', created: true, notifyAt: undefined });
    expect(life.tick(m(1))).toMatchObject({ notify: false });
  });

  it('does not notify a group whose alerts fired and resolved within group_wait, and triages it if it fires again', () => {
    const life = lifeOf();
    life.receive(s(0), firing('a'));
    expect(life.receive(s(10), resolved('a'))).toMatchObject({ change: 'resolved', notifyAt: undefined });
    expect(life.tick(s(30))).toMatchObject({ notify: false });
    expect(life.receive(m(1), firing('a'))).toMatchObject({ change: 'changed', notifyAt: m(1) });
    expect(life.tick(m(1))).toMatchObject({ notify: true, kind: 'first', triage: true });
  });

  it('takes the last status of a fingerprint sent twice in one batch', () => {
    const life = lifeOf();
    life.receive(s(0), firing('a'));
    expect(life.receive(s(5), [...resolved('a'), ...firing('a')])).toMatchObject({ change: 'unchanged' });
  });

  it('turns a storm of alerts into one first notification and one triage per group', () => {
    const groups = new Map<number, ReturnType<typeof lifeOf>>();
    for (let i = 0; i < 5000; i++) {
      const key = i % 50;
      const life = groups.get(key) ?? lifeOf();
      groups.set(key, life);
      life.receive(s(i / 500), firing(`alert-${i}`));
    }
    const ticks = [...groups.values()].map((life) => life.tick(s(40)));
    expect(ticks.filter((t) => t.notify && t.kind === 'first')).toHaveLength(50);
    expect(ticks.filter((t) => t.triage)).toHaveLength(50);
    expect([...groups.values()].every((life) => life.state.alerts.length === 100)).toBe(true);
  });

  it('can tell when a stored group is next due without a clock', () => {
    const life = lifeOf();
    life.receive(s(0), firing('a'));
    expect(nextNotificationAt(life.state, windows)).toBe(s(30));
    life.tick(s(30));
    expect(nextNotificationAt(life.state, windows)).toBe(s(30) + windows.repeatIntervalMs);
  });
});
