import { describe, expect, it } from 'vitest';
import { createCursorRepo } from '../../src/store/cursor-repo.ts';
import { useTempFiles } from './temp-files.ts';

describe('cursor repo', () => {
  const files = useTempFiles();

  it('has no value for a cursor never set', () => {
    expect(createCursorRepo(files.open()).get('triage:C1')).toBeUndefined();
  });

  it('moves a cursor forward and keeps it across a reopen', () => {
    const db = files.open();
    const cursors = createCursorRepo(db);
    cursors.set('triage:C1', '1700000000.000100', 1_000);
    cursors.set('triage:C1', '1700000050.000200', 2_000);
    cursors.set('triage:C2', '1600000000.000000', 2_000);

    const reopened = createCursorRepo(files.open());

    expect(reopened.get('triage:C1')).toBe('1700000050.000200');
    expect(reopened.get('triage:C2')).toBe('1600000000.000000');
    expect(db.prepare("SELECT updated_at FROM cursors WHERE key = 'triage:C1'").get()).toEqual({ updated_at: 2_000 });
  });
});
