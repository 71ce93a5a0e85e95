import { describe, expect, it } from 'vitest';
import { createStore } from '../../src/store/store.ts';
import { useTempFiles } from './temp-files.ts';

describe('store', () => {
  const files = useTempFiles();

  it('records a request across repos in one transaction', () => {
    const store = createStore(files.open(), { isProcessAlive: () => true });

    const id = store.transaction(() => {
      store.events.markProcessed('Ev01', 1_000);
      store.audit.append({ at: 1_000, actor: 'U1', action: 'received', outcome: 'accepted' });
      return store.inbox.add({ key: 'Ev01', kind: 'mention', payload: '{}', at: 1_000 });
    });

    const reopened = createStore(files.open(), { isProcessAlive: () => true });
    expect(reopened.inbox.get(id)?.key).toBe('Ev01');
    expect(reopened.audit.list({ limit: 10 }).map((e) => e.action)).toEqual(['received']);
    expect(reopened.events.markProcessed('Ev01', 2_000)).toBe(false);
  });

  it('keeps none of a transaction whose function throws', () => {
    const store = createStore(files.open(), { isProcessAlive: () => true });

    expect(() =>
      store.transaction(() => {
        store.events.markProcessed('Ev01', 1_000);
        store.audit.append({ at: 1_000, actor: 'U1', action: 'received', outcome: 'accepted' });
        store.inbox.add({ key: 'Ev01', kind: 'mention', payload: '{}', at: 1_000 });
        throw new Error('crashed before commit');
      }),
    ).toThrow('crashed before commit');

    expect(store.events.markProcessed('Ev01', 2_000)).toBe(true);
    expect(store.audit.list({ limit: 10 })).toEqual([]);
    expect(store.inbox.depth()).toBe(0);
  });

  it('refuses an async transaction function and keeps nothing it wrote', () => {
    const store = createStore(files.open(), { isProcessAlive: () => true });

    expect(() =>
      store.transaction(async () => {
        store.cursors.set('triage:C1', '1.0', 1);
      }),
    ).toThrow(/cannot return a promise/);
    expect(store.cursors.get('triage:C1')).toBeUndefined();
  });

  it('passes the stale time on to the instance lock', () => {
    const store = createStore(files.open(), { isProcessAlive: () => true, lockStaleAfterMs: 2_000 });
    store.lock.acquire({ owner: 'a', host: 'web-1', pid: 1 }, 0);

    expect(() => store.lock.acquire({ owner: 'b', host: 'web-2', pid: 2 }, 1_000)).toThrow(/wait 2s/);
    store.lock.acquire({ owner: 'b', host: 'web-2', pid: 2 }, 2_000);
    expect(store.lock.holder()?.owner).toBe('b');
  });

  it('closes its connection, and closing twice is harmless', () => {
    const db = files.open();
    const store = createStore(db, { isProcessAlive: () => true });

    store.close();
    store.close();

    expect(db.open).toBe(false);
  });
});
