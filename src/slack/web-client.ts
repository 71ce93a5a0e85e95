import { WebClient, type Logger as SlackLogger, type WebClientOptions } from '@slack/web-api';

export interface WebClientConfig {
  token: string;
  /** Web API base; the emulator and tests point it at loopback. Default: Slack's. */
  apiUrl?: string;
  /** @slack/logger-compatible (logger.ts adapts pino). */
  logger?: SlackLogger;
  /** Per HTTP request. */
  timeoutMs?: number;
}

export const DEFAULT_WEB_API_TIMEOUT_MS = 10_000;

/**
 * The client options opsbot uses everywhere, Bolt's `clientOptions` included. Each default of
 * the SDK overridden here would otherwise hide waiting from the outbox and the clock:
 * - `retries: 0`: the SDK's default policy retries for about 30 minutes; the outbox retries.
 * - `rejectRateLimitedCalls`: otherwise a 429 sleeps inside the call, on the wall clock, and
 *   pauses every other call of the client with it.
 * - `timeout`: the SDK's default is none, so a hung connection would block a channel forever.
 */
export function webClientOptions(config: Omit<WebClientConfig, 'token'> = {}): WebClientOptions {
  return {
    ...(config.apiUrl !== undefined ? { slackApiUrl: config.apiUrl } : {}),
    ...(config.logger !== undefined ? { logger: config.logger } : {}),
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    timeout: config.timeoutMs ?? DEFAULT_WEB_API_TIMEOUT_MS,
  };
}

export function createWebClient(config: WebClientConfig): WebClient {
  return new WebClient(config.token, webClientOptions(config));
}
