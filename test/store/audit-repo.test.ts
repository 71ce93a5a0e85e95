import { describe, expect, it } from 'vitest';
import { createAuditRepo } from '../../src/store/audit-repo.ts';
import { useTempFiles } from './temp-files.ts';

describe('audit repo', () => {
  const files = useTempFiles();

  it('stores an entry with the optional fields left empty', () => {
    const audit = createAuditRepo(files.open());

    const id = audit.append({ at: 1_000, actor: 'U1', action: 'command', outcome: 'ok' });

    expect(audit.list({ limit: 10 })).toEqual([
      { id, at: 1_000, actor: 'U1', channel: null, action: 'command', command: null, args: null, outcome: 'ok', detail: null },
    ]);
  });

  it('lists newest first, up to the limit, optionally for one actor', () => {
    const audit = createAuditRepo(files.open());
    audit.append({ at: 1, actor: 'U1', action: 'command', command: 'deploy', outcome: 'ok' });
    audit.append({ at: 2, actor: 'U2', action: 'denied', command: 'deploy', outcome: 'denied' });
    audit.append({ at: 3, actor: 'U1', action: 'command', command: 'status', channel: 'C1', args: '{"env":"prod"}', outcome: 'ok' });

    expect(audit.list({ limit: 2 }).map((e) => e.at)).toEqual([3, 2]);
    expect(audit.list({ limit: 10, actor: 'U1' }).map((e) => [e.at, e.command, e.channel, e.args])).toEqual([
      [3, 'status', 'C1', '{"env":"prod"}'],
      [1, 'deploy', null, null],
    ]);
    expect(audit.list({ limit: 0 })).toEqual([]);
  });

  it('keeps entries across a reopen of the file', () => {
    createAuditRepo(files.open()).append({ at: 5, actor: 'system', action: 'received', outcome: 'accepted' });

    const audit = createAuditRepo(files.open());

    expect(audit.list({ limit: 10 }).map((e) => e.action)).toEqual(['received']);
  });

  it('refuses to update or delete audit rows, even through plain SQL', () => {
    const db = files.open();
    const audit = createAuditRepo(db);
    audit.append({ at: 1, actor: 'U1', action: 'command', outcome: 'ok' });

    expect(() => db.prepare("UPDATE audit_log SET outcome = 'error'").run()).toThrow(/audit_log is append-only/);
    expect(() => db.prepare('DELETE FROM audit_log').run()).toThrow(/audit_log is append-only/);
    expect(audit.list({ limit: 10 }).map((e) => e.outcome)).toEqual(['ok']);
  });
});
