import type { Store } from '../store/types.ts';

/**
 * Grants admin to the `OPS_ADMINS` users who don't have it yet, audited as actor `system`, so a
 * fresh install has someone who can grant roles. Users already admin are left alone (their
 * grant keeps its original author and time); nobody is ever demoted here. Returns who was granted.
 */
export function bootstrapAdmins(store: Store, admins: readonly string[], at: number): string[] {
  return store.transaction(() => {
    const granted: string[] = [];
    for (const userId of new Set(admins)) {
      const previous = store.roles.get(userId);
      if (previous?.role === 'admin') continue;
      store.roles.grant(userId, 'admin', 'system', at);
      store.audit.append({
        at,
        actor: 'system',
        channel: null,
        action: 'role.grant',
        args: JSON.stringify({ user: userId, role: 'admin', previous: previous?.role ?? null }),
        outcome: 'ok',
        detail: 'OPS_ADMINS bootstrap',
      });
      granted.push(userId);
    }
    return granted;
  });
}
