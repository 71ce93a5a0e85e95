import type { GitHubTiming } from '../../src/integrations/github/github-client.ts';

/**
 * Octokit's retries and rate-limit waits run on real timers; tests shrink them so a retry costs
 * milliseconds (one GitHub "second" of retry-after lasts 20 ms). Write spacing is off: the pacer
 * waits on the app's clock, which a test moves by hand.
 */
export const FAST_GITHUB_TIMING: GitHubTiming = {
  requestTimeoutMs: 2_000,
  retries: 2,
  retryBaseMs: 5,
  rateLimitRetries: 2,
  maxRateLimitWaitSeconds: 30,
  throttleSecondMs: 20,
  writeSpacingMs: 0,
  searchSpacingMs: 0,
  notificationSpacingMs: 0,
};
