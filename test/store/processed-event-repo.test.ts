import { describe, expect, it } from 'vitest';
import { createProcessedEventRepo } from '../../src/store/processed-event-repo.ts';
import { useTempFiles } from './temp-files.ts';

describe('processed event repo', () => {
  const files = useTempFiles();

  it('records a key once and reports a repeat as a retry', () => {
    const events = createProcessedEventRepo(files.open());

    expect(events.markProcessed('Ev01', 1_000)).toBe(true);
    expect(events.markProcessed('Ev01', 2_000)).toBe(false);
    expect(events.markProcessed('Ev02', 2_000)).toBe(true);
  });

  it('still knows a key after the file is reopened', () => {
    createProcessedEventRepo(files.open()).markProcessed('Ev01', 1_000);

    expect(createProcessedEventRepo(files.open()).markProcessed('Ev01', 5_000)).toBe(false);
  });

  it('prunes only keys recorded before the cut-off, which can then be recorded again', () => {
    const db = files.open();
    const events = createProcessedEventRepo(db);
    events.markProcessed('old', 1_000);
    events.markProcessed('edge', 2_000);
    events.markProcessed('new', 3_000);

    expect(events.prune(2_000)).toBe(1);
    expect(db.prepare('SELECT key FROM processed_events ORDER BY key').all()).toEqual([{ key: 'edge' }, { key: 'new' }]);
    expect(events.markProcessed('old', 4_000)).toBe(true);
  });
});
