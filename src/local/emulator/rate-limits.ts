import type { Clock } from '../../clock.ts';
import type { RateLimitRule } from './types.ts';

/**
 * Slack's Web API rate limits (docs.slack.dev "Rate limits"), measured on the injected clock so a
 * test provokes and clears a 429 by moving time, never by waiting. Tiers are calls per minute
 * per method per workspace; chat.postMessage is limited per channel (about one message per
 * second, "short bursts over that limit" allowed), which a token bucket models.
 */

const tier = (n: 1 | 2 | 3 | 4): RateLimitRule => ({ perMinute: { 1: 1, 2: 20, 3: 50, 4: 100 }[n] });

/** Burst allowance for chat.postMessage per channel: a handful of messages at once, then 1/s. */
export const POST_MESSAGE_BURST = 5;

export const DEFAULT_RATE_LIMITS: Readonly<Record<string, RateLimitRule>> = {
  'auth.test': tier(4),
  'chat.postMessage': { perSecond: 1, burst: POST_MESSAGE_BURST, per: 'channel' },
  'chat.postEphemeral': tier(4),
  'chat.update': tier(3),
  'chat.delete': tier(3),
  'chat.getPermalink': tier(4),
  'conversations.history': tier(3),
  'conversations.replies': tier(3),
  'conversations.info': tier(3),
  'conversations.members': tier(4),
  'conversations.list': tier(2),
  'conversations.join': tier(3),
  'conversations.create': tier(2),
  'conversations.invite': tier(3),
  'conversations.open': tier(3),
  'users.info': tier(4),
  'users.list': tier(2),
  'usergroups.users.list': tier(2),
  'views.open': tier(4),
  'views.update': tier(4),
  'views.push': tier(4),
  'views.publish': tier(4),
  'reactions.add': tier(3),
  'pins.add': tier(2),
  'files.getUploadURLExternal': tier(4),
  'files.completeUploadExternal': tier(4),
  // apps.connections.open is Tier 1 at Slack; left unlimited so an app restarted within one
  // (manual-clock) minute can reconnect. Tests that care set it with setRateLimit.
};

export type RateDecision = { allowed: true } | { allowed: false; retryAfter: number };

export interface RateLimiter {
  /** Counts the call when allowed; `key` separates per-channel limits. */
  take(method: string, key?: string): RateDecision;
  set(method: string, rule: RateLimitRule | null): void;
}

export function createRateLimiter(clock: Clock, enabled: boolean): RateLimiter {
  const rules = new Map<string, RateLimitRule>(Object.entries(DEFAULT_RATE_LIMITS));
  const windows = new Map<string, number[]>();
  const buckets = new Map<string, { tokens: number; at: number }>();

  return {
    set(method, rule) {
      if (rule) rules.set(method, rule);
      else rules.delete(method);
      // A new rule starts from a clean slate, like a fresh minute.
      windows.delete(method);
      for (const k of [...buckets.keys()]) if (k.startsWith(`${method}\u0000`)) buckets.delete(k);
    },
    take(method, key = '') {
      const rule = rules.get(method);
      if (!enabled || !rule) return { allowed: true };
      const now = clock.now();

      if ('perMinute' in rule) {
        // Sliding minute: the call is refused while `perMinute` calls happened in the last 60 s.
        const calls = (windows.get(method) ?? []).filter((t) => t > now - 60_000);
        windows.set(method, calls);
        if (calls.length >= rule.perMinute) {
          const freesAt = calls[calls.length - rule.perMinute]! + 60_000;
          return { allowed: false, retryAfter: Math.max(1, Math.ceil((freesAt - now) / 1000)) };
        }
        calls.push(now);
        return { allowed: true };
      }

      const id = `${method}\u0000${key}`;
      const capacity = Math.max(1, rule.burst);
      const bucket = buckets.get(id) ?? { tokens: capacity, at: now };
      bucket.tokens = Math.min(capacity, bucket.tokens + ((now - bucket.at) / 1000) * rule.perSecond);
      bucket.at = now;
      buckets.set(id, bucket);
      if (bucket.tokens < 1) {
        return { allowed: false, retryAfter: Math.max(1, Math.ceil((1 - bucket.tokens) / rule.perSecond)) };
      }
      bucket.tokens -= 1;
      return { allowed: true };
    },
  };
}
