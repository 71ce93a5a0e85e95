import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { createGroupCommit } from '../../src/store/group-commit.ts';
import { createStore } from '../../src/store/store.ts';
import { useTempFiles } from './temp-files.ts';

describe('the group commit', () => {
  const files = useTempFiles();
  const setup = () => {
    const store = createStore(files.open(), { isProcessAlive: () => false });
    return { store, group: createGroupCommit(store, pino({ level: 'silent' })) };
  };
  const cursor = (store: ReturnType<typeof setup>['store'], key: string) => () => store.cursors.set(key, 'v', 1);

  it('commits the writes queued in one turn of the event loop together, in one transaction', async () => {
    const { store, group } = setup();
    let transactions = 0;
    const original = store.transaction.bind(store);
    store.transaction = (fn) => {
      transactions += 1;
      return original(fn);
    };

    const writes = [group.add(cursor(store, 'a')), group.add(cursor(store, 'b')), group.add(cursor(store, 'c'))];
    expect(store.cursors.get('a')).toBeUndefined();
    await Promise.all(writes);

    expect(['a', 'b', 'c'].map((k) => store.cursors.get(k))).toEqual(['v', 'v', 'v']);
    expect(transactions).toBe(1);
  });

  it('keeps the good writes when one write of the group fails, and rejects only that one', async () => {
    const { store, group } = setup();

    const results = await Promise.allSettled([
      group.add(cursor(store, 'a')),
      group.add(() => store.inbox.finish(999, 1)),
      group.add(cursor(store, 'c')),
    ]);

    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect([store.cursors.get('a'), store.cursors.get('c')]).toEqual(['v', 'v']);
  });

  it('commits what is queued at once when flushed (on stop)', () => {
    const { store, group } = setup();
    void group.add(cursor(store, 'a'));

    group.flush();

    expect(store.cursors.get('a')).toBe('v');
  });
});
