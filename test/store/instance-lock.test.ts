import { describe, expect, it } from 'vitest';
import { createInstanceLock } from '../../src/store/instance-lock.ts';
import { useTempFiles } from './temp-files.ts';

const T0 = Date.parse('2026-03-01T12:00:00.000Z');
const alive = () => true;
const dead = () => false;

describe('instance lock', () => {
  const files = useTempFiles();

  /** Each instance gets its own connection to the same file, as two processes would. */
  function lockFor(isProcessAlive: (pid: number) => boolean, staleAfterMs?: number) {
    return createInstanceLock(files.open(), { isProcessAlive, ...(staleAfterMs === undefined ? {} : { staleAfterMs }) });
  }

  it('is taken by the first instance, which is then the holder', () => {
    const lock = lockFor(alive);

    lock.acquire({ owner: 'a', host: 'web-1', pid: 100 }, T0);

    expect(lock.holder()).toEqual({ owner: 'a', host: 'web-1', pid: 100, startedAt: T0, heartbeatAt: T0 });
  });

  it('refuses a second instance while a live one on the same host holds it, saying where it runs', () => {
    lockFor(alive).acquire({ owner: 'a', host: 'web-1', pid: 100 }, T0);
    const second = lockFor(alive);

    expect(() => second.acquire({ owner: 'b', host: 'web-1', pid: 200 }, T0 + 1_000)).toThrow(
      expect.objectContaining({
        code: 'instance_locked',
        message:
          'opsbot is already running on host web-1 (pid 100, since 2026-03-01T12:00:00.000Z); ' +
          'stop it first, or wait 30s after it died on another host',
      }),
    );
    expect(second.holder()).toMatchObject({ owner: 'a', pid: 100 });
  });

  it('asks about the holder pid, not its own', () => {
    const asked: number[] = [];
    lockFor(alive).acquire({ owner: 'a', host: 'web-1', pid: 100 }, T0);

    lockFor((pid) => (asked.push(pid), false)).acquire({ owner: 'b', host: 'web-1', pid: 200 }, T0 + 1_000);

    expect(asked).toEqual([100]);
  });

  it('takes over at once from a holder on the same host whose process is dead', () => {
    lockFor(alive).acquire({ owner: 'a', host: 'web-1', pid: 100 }, T0);
    const restarted = lockFor(dead);

    restarted.acquire({ owner: 'b', host: 'web-1', pid: 101 }, T0 + 1_000);

    expect(restarted.holder()).toEqual({ owner: 'b', host: 'web-1', pid: 101, startedAt: T0 + 1_000, heartbeatAt: T0 + 1_000 });
  });

  it('takes over from a holder on the same host whose pid is now its own (a restarted container)', () => {
    lockFor(alive).acquire({ owner: 'a', host: 'container-1', pid: 1 }, T0);
    const restarted = lockFor(alive);

    restarted.acquire({ owner: 'b', host: 'container-1', pid: 1 }, T0 + 1_000);

    expect(restarted.holder()?.owner).toBe('b');
  });

  it('refuses while a holder on another host has a fresh heartbeat, whatever its pid means here', () => {
    const first = lockFor(alive);
    first.acquire({ owner: 'a', host: 'web-1', pid: 100 }, T0);
    first.heartbeat('a', T0 + 20_000);
    const other = lockFor(dead);

    expect(() => other.acquire({ owner: 'b', host: 'web-2', pid: 100 }, T0 + 49_999)).toThrow(
      /already running on host web-1 \(pid 100, since 2026-03-01T12:00:00.000Z\)/,
    );
    expect(other.holder()?.owner).toBe('a');
  });

  it('takes over from a holder on another host once its heartbeat is stale', () => {
    const first = lockFor(alive);
    first.acquire({ owner: 'a', host: 'web-1', pid: 100 }, T0);
    first.heartbeat('a', T0 + 20_000);
    const other = lockFor(alive);

    other.acquire({ owner: 'b', host: 'web-2', pid: 300 }, T0 + 50_000);

    expect(other.holder()).toMatchObject({ owner: 'b', host: 'web-2', pid: 300, startedAt: T0 + 50_000 });
  });

  it('uses the configured stale time in the decision and in the message', () => {
    lockFor(alive, 5_000).acquire({ owner: 'a', host: 'web-1', pid: 100 }, T0);
    const other = lockFor(alive, 5_000);

    expect(() => other.acquire({ owner: 'b', host: 'web-2', pid: 1 }, T0 + 4_000)).toThrow(/wait 5s after it died/);
    other.acquire({ owner: 'b', host: 'web-2', pid: 1 }, T0 + 5_000);
    expect(other.holder()?.owner).toBe('b');
  });

  it('lets the holder acquire again without losing its start time', () => {
    const lock = lockFor(alive);
    lock.acquire({ owner: 'a', host: 'web-1', pid: 100 }, T0);

    lock.acquire({ owner: 'a', host: 'web-1', pid: 100 }, T0 + 1_000);

    expect(lock.holder()).toMatchObject({ startedAt: T0, heartbeatAt: T0 + 1_000 });
  });

  it('tells a holder whose lock was taken over that it lost it when it next beats', () => {
    const first = lockFor(alive);
    first.acquire({ owner: 'a', host: 'web-1', pid: 100 }, T0);
    lockFor(alive).acquire({ owner: 'b', host: 'web-2', pid: 300 }, T0 + 60_000);

    expect(() => first.heartbeat('a', T0 + 61_000)).toThrow(
      expect.objectContaining({ code: 'instance_lock_lost', message: expect.stringContaining('host web-2 (pid 300)') }),
    );
    expect(first.holder()).toMatchObject({ owner: 'b', heartbeatAt: T0 + 60_000 });
  });

  it('frees the lock on release by its holder, and ignores a release by anyone else', () => {
    const lock = lockFor(alive);
    lock.acquire({ owner: 'a', host: 'web-1', pid: 100 }, T0);

    lock.release('b');
    expect(lock.holder()?.owner).toBe('a');
    lock.release('a');
    expect(lock.holder()).toBeUndefined();

    lockFor(alive).acquire({ owner: 'b', host: 'web-1', pid: 200 }, T0 + 1);
    expect(lock.holder()?.owner).toBe('b');
  });
});
