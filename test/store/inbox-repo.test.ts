import { describe, expect, it } from 'vitest';
import { createInboxRepo } from '../../src/store/inbox-repo.ts';
import { useTempFiles } from './temp-files.ts';

const payload = JSON.stringify({ command: '/ops', text: 'status api' });

describe('inbox repo', () => {
  const files = useTempFiles();

  it('adds an entry as pending with no attempts', () => {
    const inbox = createInboxRepo(files.open());

    const id = inbox.add({ key: 'req-1', kind: 'command', payload, at: 1_000 });

    expect(inbox.get(id)).toEqual({
      id,
      key: 'req-1',
      kind: 'command',
      payload,
      status: 'pending',
      attempts: 0,
      receivedAt: 1_000,
      updatedAt: 1_000,
      error: null,
    });
    expect(inbox.depth()).toBe(1);
  });

  it('runs an entry to done, counting the attempt', () => {
    const inbox = createInboxRepo(files.open());
    const id = inbox.add({ key: 'req-1', kind: 'command', payload, at: 1_000 });

    inbox.start(id, 1_100);
    expect(inbox.get(id)).toMatchObject({ status: 'running', attempts: 1, updatedAt: 1_100 });
    inbox.finish(id, 1_200);

    expect(inbox.get(id)).toMatchObject({ status: 'done', attempts: 1, receivedAt: 1_000, updatedAt: 1_200, error: null });
    expect(inbox.unfinished()).toEqual([]);
    expect(inbox.depth()).toBe(0);
  });

  it('records why an entry failed, and clears it when the entry is retried', () => {
    const inbox = createInboxRepo(files.open());
    const id = inbox.add({ key: 'req-1', kind: 'command', payload, at: 1_000 });
    inbox.start(id, 1_100);

    inbox.fail(id, 1_200, 'GitHub answered 502');
    expect(inbox.get(id)).toMatchObject({ status: 'failed', attempts: 1, error: 'GitHub answered 502' });
    expect(inbox.unfinished()).toEqual([]);

    inbox.start(id, 1_300);
    expect(inbox.get(id)).toMatchObject({ status: 'running', attempts: 2, error: null });
  });

  it('hands back pending and running entries, oldest first, after a crash and reopen', () => {
    const inbox = createInboxRepo(files.open());
    const running = inbox.add({ key: 'req-1', kind: 'command', payload, at: 1_000 });
    const done = inbox.add({ key: 'req-2', kind: 'mention', payload, at: 1_001 });
    const pending = inbox.add({ key: 'req-3', kind: 'action', payload, at: 1_002 });
    inbox.start(running, 1_010);
    inbox.start(done, 1_010);
    inbox.finish(done, 1_020);
    // The process dies here: nothing more is written before the file is opened again.

    const resumed = createInboxRepo(files.open());

    expect(resumed.unfinished().map((e) => [e.id, e.key, e.status, e.attempts])).toEqual([
      [running, 'req-1', 'running', 1],
      [pending, 'req-3', 'pending', 0],
    ]);
    expect(resumed.depth()).toBe(2);
  });

  it('refuses a second entry with the same key', () => {
    const inbox = createInboxRepo(files.open());
    inbox.add({ key: 'req-1', kind: 'command', payload, at: 1_000 });

    expect(() => inbox.add({ key: 'req-1', kind: 'command', payload: '{}', at: 2_000 })).toThrow(
      expect.objectContaining({ code: 'inbox_duplicate_key' }),
    );
    expect(inbox.unfinished().map((e) => e.payload)).toEqual([payload]);
  });

  it('refuses to start, fail or finish again an entry that is done', () => {
    const inbox = createInboxRepo(files.open());
    const id = inbox.add({ key: 'req-1', kind: 'command', payload, at: 1_000 });
    inbox.start(id, 1_100);
    inbox.finish(id, 1_200);

    expect(() => inbox.start(id, 1_300)).toThrow(expect.objectContaining({ code: 'inbox_already_done' }));
    expect(() => inbox.fail(id, 1_300, 'late')).toThrow(expect.objectContaining({ code: 'inbox_already_done' }));
    expect(() => inbox.finish(id, 1_300)).toThrow(expect.objectContaining({ code: 'inbox_already_done' }));
    expect(inbox.get(id)).toMatchObject({ status: 'done', attempts: 1, updatedAt: 1_200, error: null });
  });

  it('refuses to change an entry that does not exist', () => {
    const inbox = createInboxRepo(files.open());

    expect(() => inbox.start(99, 1)).toThrow(expect.objectContaining({ code: 'inbox_not_found' }));
    expect(() => inbox.finish(99, 1)).toThrow(expect.objectContaining({ code: 'inbox_not_found' }));
    expect(() => inbox.fail(99, 1, 'x')).toThrow(expect.objectContaining({ code: 'inbox_not_found' }));
  });

  it('prunes finished entries older than the cut-off and keeps unfinished ones however old', () => {
    const inbox = createInboxRepo(files.open());
    const oldDone = inbox.add({ key: 'a', kind: 'command', payload, at: 1 });
    inbox.finish(oldDone, 10);
    const oldFailed = inbox.add({ key: 'b', kind: 'command', payload, at: 1 });
    inbox.fail(oldFailed, 10, 'boom');
    const oldPending = inbox.add({ key: 'c', kind: 'command', payload, at: 1 });
    const recentDone = inbox.add({ key: 'd', kind: 'command', payload, at: 1 });
    inbox.finish(recentDone, 100);

    expect(inbox.prune(50)).toBe(2);
    expect([oldDone, oldFailed, oldPending, recentDone].map((id) => inbox.get(id)?.key)).toEqual([
      undefined,
      undefined,
      'c',
      'd',
    ]);
  });
});
