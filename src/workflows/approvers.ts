import { ErrorCode } from '@slack/web-api';
import type { Logger } from 'pino';
import type { Clock } from '../clock.ts';
import { roleAtLeast, type Role } from '../roles.ts';
import type { ApprovalStep } from './definition.ts';

/**
 * Who may decide an approval step: one of its `users`; a member of one of its Slack user groups
 * (asked through usergroups.users.list, each group's members kept for five minutes by the clock);
 * or someone holding at least one of its `roles` (a deployer counts where a responder is asked).
 */

/** The part of @slack/web-api's WebClient used here. */
export interface UsergroupClient {
  usergroups: { users: { list(args: { usergroup: string }): Promise<{ users?: string[] }> } };
}

export interface ApproverCheckDeps {
  client: UsergroupClient;
  clock: Clock;
  log: Logger;
  /** The user's role as commands see it (a grant, else the workspace default); null: none. */
  roleOf(userId: string): Promise<Role | null> | Role | null;
  /** How long a group's member list is trusted (default 5 minutes). */
  groupTtlMs?: number;
}

export interface ApproverCheck {
  isApprover(userId: string, approvers: ApprovalStep['approvers']): Promise<boolean>;
}

const GROUP_TTL_MS = 5 * 60_000;
/** A rate-limited lookup is asked this many times in all before the member is treated as not found. */
const RATE_LIMIT_ATTEMPTS = 3;

export function createApproverCheck(deps: ApproverCheckDeps): ApproverCheck {
  const ttl = deps.groupTtlMs ?? GROUP_TTL_MS;
  const groups = new Map<string, { members: ReadonlySet<string>; at: number }>();
  /** One lookup per group at a time: a burst of clicks asks Slack once. */
  const lookups = new Map<string, Promise<ReadonlySet<string>>>();

  async function fetchMembers(group: string): Promise<ReadonlySet<string>> {
    for (let attempt = 1; ; attempt++) {
      try {
        const res = await deps.client.usergroups.users.list({ usergroup: group });
        const members = new Set(res.users ?? []);
        groups.set(group, { members, at: deps.clock.now() });
        return members;
      } catch (err) {
        const e = err as { code?: unknown; retryAfter?: number };
        if (e.code !== ErrorCode.RateLimitedError || attempt >= RATE_LIMIT_ATTEMPTS) throw err;
        await deps.clock.sleep(Math.max(1, e.retryAfter ?? 1) * 1_000);
      }
    }
  }

  async function members(group: string): Promise<ReadonlySet<string>> {
    const cached = groups.get(group);
    if (cached && deps.clock.now() - cached.at < ttl) return cached.members;
    let lookup = lookups.get(group);
    if (!lookup) {
      lookup = fetchMembers(group).finally(() => lookups.delete(group));
      lookups.set(group, lookup);
    }
    try {
      return await lookup;
    } catch (err) {
      // Not cached: the next click asks again. Until Slack answers, membership cannot be shown.
      deps.log.warn({ err, group }, 'usergroups.users.list failed; treating the user as not in the group');
      return new Set();
    }
  }

  async function roleOf(userId: string): Promise<Role | null> {
    try {
      return await deps.roleOf(userId);
    } catch (err) {
      deps.log.warn({ err, userId }, 'role lookup failed; treating the user as without a role');
      return null;
    }
  }

  return {
    async isApprover(userId, approvers) {
      if (approvers.users.includes(userId)) return true;
      if (approvers.roles.length > 0) {
        const role = await roleOf(userId);
        if (approvers.roles.some((needed) => roleAtLeast(role, needed))) return true;
      }
      for (const group of approvers.groups) {
        if ((await members(group)).has(userId)) return true;
      }
      return false;
    },
  };
}
