/** The order matters and may not change: every check is "at least". */
export const ROLES = ['viewer', 'responder', 'deployer', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}

export function roleAtLeast(have: Role | null, need: Role): boolean {
  if (have === null) return false;
  return ROLES.indexOf(have) >= ROLES.indexOf(need);
}
