import { describe, expect, it } from 'vitest';
import type { Role } from '../../src/roles.ts';
import { createRoleRepo } from '../../src/store/role-repo.ts';
import { useTempFiles } from './temp-files.ts';

describe('role repo', () => {
  const files = useTempFiles();

  it('returns nothing for a user without a grant', () => {
    expect(createRoleRepo(files.open()).get('U404')).toBeUndefined();
  });

  it('stores a grant with who granted it and when', () => {
    const roles = createRoleRepo(files.open());

    roles.grant('U1', 'deployer', 'UADMIN', 1_000);

    expect(roles.get('U1')).toEqual({ userId: 'U1', role: 'deployer', grantedBy: 'UADMIN', grantedAt: 1_000 });
  });

  it('replaces the previous grant when a user is granted again', () => {
    const roles = createRoleRepo(files.open());
    roles.grant('U1', 'admin', 'UADMIN', 1_000);

    roles.grant('U1', 'viewer', 'UOTHER', 2_000);

    expect(roles.list()).toEqual([{ userId: 'U1', role: 'viewer', grantedBy: 'UOTHER', grantedAt: 2_000 }]);
  });

  it('revokes a grant and says whether there was one', () => {
    const roles = createRoleRepo(files.open());
    roles.grant('U1', 'responder', 'UADMIN', 1_000);

    expect(roles.revoke('U1')).toBe(true);
    expect(roles.revoke('U1')).toBe(false);
    expect(roles.get('U1')).toBeUndefined();
  });

  it('lists every grant ordered by user id', () => {
    const roles = createRoleRepo(files.open());
    roles.grant('U2', 'viewer', 'UADMIN', 1);
    roles.grant('U1', 'admin', 'UADMIN', 2);

    expect(roles.list().map((g) => [g.userId, g.role])).toEqual([
      ['U1', 'admin'],
      ['U2', 'viewer'],
    ]);
  });

  it('refuses to store a role name opsbot does not know', () => {
    const roles = createRoleRepo(files.open());

    expect(() => roles.grant('U1', 'superuser' as Role, 'UADMIN', 1)).toThrow(/CHECK constraint failed/);
    expect(roles.get('U1')).toBeUndefined();
  });
});
