import { ErrorCode, type WebClient } from '@slack/web-api';
import type { Logger } from 'pino';
import type { Clock } from '../clock.ts';
import type { Caller } from '../commands/command.ts';
import type { Role } from '../roles.ts';
import type { RoleRepo } from '../store/types.ts';

export interface CallerPolicy {
  /** What an unknown member of the workspace gets. */
  memberRole: Role | null;
  /** What guests and users of other workspaces (Slack Connect) get until granted. */
  guestRole: Role | null;
}

interface Membership {
  guest: boolean;
  at: number;
}

const MEMBERSHIP_TTL_MS = 10 * 60_000;
/** A rate-limited users.info is asked this many times in all before the caller is refused. */
const RATE_LIMIT_ATTEMPTS = 4;

/**
 * A granted role always wins. Otherwise the role depends on who the user is to this workspace,
 * which only users.info tells (guests and Slack Connect users look like anyone else in a payload).
 */
export function createCallerResolver(deps: { roles: RoleRepo; client: WebClient; clock: Clock; log: Logger; policy: CallerPolicy; teamId: () => string | undefined }) {
  const cache = new Map<string, Membership>();

  /**
   * users.info is Tier 4: a burst of commands (an incident) can hit its limit. A rate limit says
   * when to ask again, so wait for it (on the clock) rather than tell a member they have no access.
   */
  async function usersInfo(userId: string) {
    for (let attempt = 1; ; attempt++) {
      try {
        return await deps.client.users.info({ user: userId });
      } catch (err) {
        const e = err as { code?: unknown; retryAfter?: number };
        if (e.code !== ErrorCode.RateLimitedError || attempt >= RATE_LIMIT_ATTEMPTS) throw err;
        const waitMs = Math.max(1, e.retryAfter ?? 1) * 1_000;
        deps.log.info({ userId, attempt, retryAfter: waitMs / 1000 }, 'users.info rate limited; waiting');
        await deps.clock.sleep(waitMs);
      }
    }
  }

  async function isGuest(userId: string): Promise<boolean> {
    const cached = cache.get(userId);
    if (cached && deps.clock.now() - cached.at < MEMBERSHIP_TTL_MS) return cached.guest;
    const res = await usersInfo(userId);
    const user = res.user as { is_restricted?: boolean; is_ultra_restricted?: boolean; team_id?: string; is_stranger?: boolean } | undefined;
    const team = deps.teamId();
    const guest = Boolean(user?.is_restricted || user?.is_ultra_restricted || user?.is_stranger || (team && user?.team_id && user.team_id !== team));
    cache.set(userId, { guest, at: deps.clock.now() });
    return guest;
  }

  return {
    async resolve(userId: string): Promise<Caller> {
      const grant = deps.roles.get(userId);
      if (grant) return { id: userId, role: grant.role };
      try {
        return { id: userId, role: (await isGuest(userId)) ? deps.policy.guestRole : deps.policy.memberRole };
      } catch (err) {
        // Without users.info a guest cannot be told from a member: grant nothing rather than guess.
        deps.log.warn({ err, userId }, 'users.info failed; treating ungranted caller as without access');
        return { id: userId, role: null };
      }
    },
  };
}

export type CallerResolver = ReturnType<typeof createCallerResolver>;
