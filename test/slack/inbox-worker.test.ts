import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.ts';
import { createInboxWorker, type InboxHandler } from '../../src/slack/inbox-worker.ts';
import { createStore } from '../../src/store/store.ts';
import { useTempFiles } from '../store/temp-files.ts';

describe('the inbox worker', () => {
  const files = useTempFiles();

  function setup(handlers: Partial<Record<string, InboxHandler>>, name = 'opsbot.db') {
    const store = createStore(files.open(name), { isProcessAlive: () => false });
    const clock = new ManualClock(1_700_000_000_000);
    const worker = createInboxWorker({ store, clock, log: pino({ level: 'silent' }), handlers });
    const add = (key: string, kind = 'command', body: object = { text: key }) => store.inbox.add({ key, kind, payload: JSON.stringify(body), at: clock.now() });
    return { store, clock, worker, add };
  }

  it('runs a scheduled entry with its recorded body and marks it done', async () => {
    const seen: unknown[] = [];
    const { store, worker, add } = setup({ command: async (body) => void seen.push(body) });
    const id = add('k1', 'command', { text: 'help' });

    worker.schedule(id);
    await worker.idle();

    expect(seen).toEqual([{ text: 'help' }]);
    expect(store.inbox.get(id)).toMatchObject({ status: 'done', attempts: 1 });
  });

  it('keeps a handler failure on the entry (failed, with the error) and goes on with the next', async () => {
    const { store, worker, add } = setup({
      command: async (body) => {
        if ((body as { text: string }).text === 'bad') throw new Error('kubernetes said no');
      },
    });
    const bad = add('bad');
    const good = add('good');

    worker.schedule(bad);
    worker.schedule(good);
    await worker.idle();

    expect(store.inbox.get(bad)).toMatchObject({ status: 'failed', error: 'kubernetes said no' });
    expect(store.inbox.get(good)).toMatchObject({ status: 'done' });
  });

  it('finishes an entry of a kind nobody handles yet (recorded for audit, nothing to do)', async () => {
    const { store, worker, add } = setup({});
    const id = add('r1', 'reaction');

    worker.schedule(id);
    await worker.idle();

    expect(store.inbox.get(id)).toMatchObject({ status: 'done' });
  });

  it('runs an entry once even when scheduled twice, and never runs a done entry again', async () => {
    let runs = 0;
    const { worker, add } = setup({ command: async () => void runs++ });
    const id = add('k1');

    worker.schedule(id);
    worker.schedule(id);
    await worker.idle();
    worker.schedule(id);
    await worker.idle();

    expect(runs).toBe(1);
  });

  it('resumes at start-up what a previous process accepted or started but did not finish', async () => {
    const before = setup({});
    const pending = before.add('pending');
    const running = before.add('running');
    const done = before.add('done');
    before.store.inbox.start(running, before.clock.now());
    before.store.inbox.start(done, before.clock.now());
    before.store.inbox.finish(done, before.clock.now());
    before.store.close();

    const ran: string[] = [];
    const after = setup({ command: async (body) => void ran.push((body as { text: string }).text) });
    expect(after.worker.resumeUnfinished()).toBe(2);
    await after.worker.idle();

    expect(ran.sort()).toEqual(['pending', 'running']);
    expect(after.store.inbox.get(running)).toMatchObject({ status: 'done', attempts: 2 });
    expect(after.store.inbox.get(pending)).toMatchObject({ status: 'done', attempts: 1 });
  });

  it('does not start new work once stopping, leaving it for the next start', async () => {
    let runs = 0;
    const { store, worker, add } = setup({ command: async () => void runs++ });
    await worker.stop();
    const id = add('late');

    worker.schedule(id);
    await worker.idle();

    expect(runs).toBe(0);
    expect(store.inbox.get(id)).toMatchObject({ status: 'pending' });
  });

  it('survives its own bookkeeping failing after the work ran (logged; the entry stays unfinished for the next start)', async () => {
    const { store, worker, add } = setup({ command: async () => {} });
    const id = add('k1');
    store.db.exec(`CREATE TRIGGER inbox_stuck BEFORE UPDATE ON inbox WHEN NEW.status IN ('done', 'failed') BEGIN SELECT RAISE(ABORT, 'disk I/O error'); END`);

    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => void unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      worker.schedule(id);
      // Nobody awaits a scheduled entry in the app: a rejection here would be unhandled, and kill it.
      for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
      await worker.idle();
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }

    expect(unhandled).toEqual([]);
    expect(store.inbox.get(id)).toMatchObject({ status: 'running' });
    expect(store.inbox.unfinished().map((e) => e.id)).toEqual([id]);
  });
});
