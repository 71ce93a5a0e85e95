import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import { Octokit } from '@octokit/rest';
import type { Clock } from '../../clock.ts';
import type { Logger } from '../../logger.ts';

/**
 * The one Octokit opsbot talks to GitHub with, built from explicit options only (token, base URL,
 * timeouts, retry and throttling policy); nothing is read from the environment.
 *
 * Retries, decided per request kind:
 * - The retry plugin retries any status >= 400 outside `doNotRetry`, for every method, 5xx and
 *   network errors and timeouts included (@octokit/request reports those as status 500). That is
 *   right for reads; for writes that are not idempotent (create an issue, a comment, a review, a
 *   deployment; dispatch a workflow; re-run jobs) a 502 may come after GitHub did the work, and a
 *   blind retry does it twice. Those calls pass `NO_RETRY` and report the failure instead; merge
 *   is made safe by pinning the head sha and re-reading the pull request (github-ops.ts).
 * - 429 joins the plugin's default doNotRetry (400, 401, 403, 404, 410, 422, 451): rate limits
 *   belong to the throttling plugin alone, so one response is never retried by both.
 * - The throttling plugin calls onRateLimit / onSecondaryRateLimit with GitHub's wait (from
 *   `retry-after`, or `x-ratelimit-reset`); a rate-limited request was not carried out, so it is
 *   retried whatever its method, at most `rateLimitRetries` times and only when the wait is at
 *   most `maxRateLimitWaitSeconds`. Otherwise the error goes up and becomes `github_rate_limited`.
 * - The plugin spaces writes (1 s), searches (2 s) and notification-triggering writes (3 s) as
 *   GitHub asks; its default limiters are module-wide, so each client gets its own pacers here.
 */

export type GitHubClient = InstanceType<typeof GitHubOctokit>;

export interface GitHubTiming {
  /** Per HTTP attempt. */
  requestTimeoutMs: number;
  /** Retries of a failed read (5xx, network, timeout). */
  retries: number;
  /** The retry plugin waits this × 1, 4, 9, … between attempts. */
  retryBaseMs: number;
  /** Retries of a rate-limited request. */
  rateLimitRetries: number;
  /** A rate-limited request is retried only when GitHub's wait is at most this. */
  maxRateLimitWaitSeconds: number;
  /** What one second of GitHub's `retry-after` lasts (tests shrink it). */
  throttleSecondMs: number;
  /** Least time between two writes, two searches, two notification-triggering writes. */
  writeSpacingMs: number;
  searchSpacingMs: number;
  notificationSpacingMs: number;
}

export const DEFAULT_GITHUB_TIMING: GitHubTiming = {
  requestTimeoutMs: 15_000,
  retries: 3,
  retryBaseMs: 1_000,
  rateLimitRetries: 2,
  maxRateLimitWaitSeconds: 30,
  throttleSecondMs: 1_000,
  writeSpacingMs: 1_000,
  searchSpacingMs: 2_000,
  notificationSpacingMs: 3_000,
};

export interface GitHubClientOptions {
  token: string;
  /** GITHUB_API_URL, e.g. https://api.github.com or https://ghe.example.com/api/v3. */
  baseUrl: string;
  userAgent: string;
  log: Logger;
  clock: Clock;
  timing?: Partial<GitHubTiming>;
  fetch?: typeof fetch;
}

/** Per-request option for writes that must not be repeated after a 5xx: `{ request: NO_RETRY }`. */
export const NO_RETRY = { retries: 0 } as const;

const GitHubOctokit = Octokit.plugin(retry, throttling);

export function createGitHubClient(options: GitHubClientOptions): GitHubClient {
  const timing = { ...DEFAULT_GITHUB_TIMING, ...options.timing };
  const log = options.log.child({ component: 'github' });
  const baseFetch = options.fetch ?? fetch;
  const fetchWithTimeout: typeof fetch = (input, init) => {
    const timeout = AbortSignal.timeout(timing.requestTimeoutMs);
    return baseFetch(input, { ...init, signal: init?.signal ? AbortSignal.any([init.signal, timeout]) : timeout });
  };
  const rateLimited = (kind: string) => (retryAfter: number, request: { method?: string; url?: string }, _octokit: unknown, retryCount: number) => {
    const retrying = retryCount < timing.rateLimitRetries && retryAfter <= timing.maxRateLimitWaitSeconds;
    log.warn({ kind, method: request.method, url: request.url, retryAfterSeconds: retryAfter, retryCount, retrying }, 'GitHub rate limit');
    return retrying;
  };

  return new GitHubOctokit({
    auth: options.token,
    baseUrl: options.baseUrl.replace(/\/+$/, ''),
    userAgent: options.userAgent,
    // Octokit's request log: one line per request at debug; its error lines are debug too, since
    // github-ops.ts reports each failure once, with what was being done. Octokit's debug "request"
    // line carries the request options (headers included), so only the message is kept.
    log: {
      debug: (message: string) => log.debug(message),
      info: (message: string) => log.debug(message),
      warn: (message: string) => log.warn(message),
      error: (message: string) => log.debug(message),
    },
    request: { fetch: fetchWithTimeout },
    retry: { retries: timing.retries, retryAfterBaseValue: timing.retryBaseMs, doNotRetry: [400, 401, 403, 404, 410, 422, 429, 451] },
    throttle: {
      id: `opsbot-${Math.random().toString(36).slice(2)}`,
      retryAfterBaseValue: timing.throttleSecondMs,
      onRateLimit: rateLimited('primary'),
      onSecondaryRateLimit: rateLimited('secondary'),
      // The plugin's own limiters are shared by every client in the process; these are this one's.
      write: pacer(timing.writeSpacingMs, options.clock),
      search: pacer(timing.searchSpacingMs, options.clock),
      notifications: pacer(timing.notificationSpacingMs, options.clock),
    },
  });
}

type ThrottleOptions = NonNullable<NonNullable<ConstructorParameters<typeof GitHubOctokit>[0]>['throttle']>;
type LimiterGroup = NonNullable<ThrottleOptions['write']>;

/**
 * The part of a Bottleneck group the throttling plugin uses for write/search/notification
 * spacing: `key(id).schedule(jobOptions, fn, ...args)`, starting jobs at least `spacingMs` apart.
 */
function pacer(spacingMs: number, clock: Clock): LimiterGroup {
  let nextAt = 0;
  let queue: Promise<unknown> = Promise.resolve();
  const limiter = {
    schedule(...args: unknown[]): Promise<unknown> {
      const at = args.findIndex((a) => typeof a === 'function');
      const fn = args[at] as (...rest: unknown[]) => unknown;
      const rest = args.slice(at + 1);
      const turn = queue.then(async () => {
        const wait = nextAt - clock.now();
        if (spacingMs > 0 && wait > 0) await clock.sleep(wait);
        nextAt = clock.now() + spacingMs;
      });
      queue = turn.catch(() => undefined);
      return turn.then(() => fn(...rest));
    },
  };
  return { key: () => limiter } as unknown as LimiterGroup;
}
