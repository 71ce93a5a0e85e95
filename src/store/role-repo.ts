import type Database from 'better-sqlite3';
import type { Role } from '../roles.ts';
import type { RoleGrant, RoleRepo } from './types.ts';

const COLUMNS = 'user_id AS userId, role, granted_by AS grantedBy, granted_at AS grantedAt';

export function createRoleRepo(db: Database.Database): RoleRepo {
  const select = db.prepare<[string], RoleGrant>(`SELECT ${COLUMNS} FROM roles WHERE user_id = ?`);
  const upsert = db.prepare<[string, Role, string, number], never>(
    `INSERT INTO roles (user_id, role, granted_by, granted_at) VALUES (?, ?, ?, ?)
     ON CONFLICT (user_id) DO UPDATE SET
       role = excluded.role, granted_by = excluded.granted_by, granted_at = excluded.granted_at`,
  );
  const remove = db.prepare<[string], never>('DELETE FROM roles WHERE user_id = ?');
  const selectAll = db.prepare<[], RoleGrant>(`SELECT ${COLUMNS} FROM roles ORDER BY user_id`);

  return {
    get: (userId) => select.get(userId),
    grant(userId, role, grantedBy, at) {
      upsert.run(userId, role, grantedBy, at);
    },
    revoke: (userId) => remove.run(userId).changes > 0,
    list: () => selectAll.all(),
  };
}
