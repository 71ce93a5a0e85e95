/**
 * PagerDuty Events API v2 (POST /v2/enqueue): one event per call. PagerDuty answers 202 with
 * `{status, message, dedup_key}`; 400 means the event itself is wrong (never retried); 429 and
 * 5xx, and network failures, are worth retrying later (PagerDuty's guidance: back off, for 429
 * preferably minutes). The caller decides when; this only classifies.
 */

export const PAGERDUTY_EVENTS_URL = 'https://events.pagerduty.com/v2/enqueue';

export type PagerDutyResult =
  | { outcome: 'accepted'; dedupKey: string | undefined }
  | { outcome: 'throttled' | 'unavailable'; error: string; retryAfterMs?: number }
  | { outcome: 'rejected'; error: string };

export interface PagerDutyClient {
  /** `event` without its routing key; the client adds it. */
  send(event: Record<string, unknown>): Promise<PagerDutyResult>;
}

export interface PagerDutyClientOptions {
  url: string;
  routingKey: string;
  /** Per request; a hung connection must not hold the queue. */
  timeoutMs?: number;
  fetch?: typeof globalThis.fetch;
}

const DEFAULT_TIMEOUT_MS = 10_000;

export function createPagerDutyClient(options: PagerDutyClientOptions): PagerDutyClient {
  const fetchFn = options.fetch ?? globalThis.fetch;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  return {
    async send(event) {
      const abort = new AbortController();
      const timer = setTimeout(() => abort.abort(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      let status: number;
      let text: string;
      let retryAfter: string | null;
      try {
        const res = await fetchFn(options.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', accept: 'application/json' },
          body: JSON.stringify({ routing_key: options.routingKey, ...event }),
          signal: abort.signal,
        });
        status = res.status;
        retryAfter = res.headers.get('retry-after');
        text = await res.text();
      } catch (err) {
        return { outcome: 'unavailable', error: `network: ${err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err)}` };
      } finally {
        clearTimeout(timer);
      }
      const body = parse(text);
      const said = [body?.status, body?.message, ...(Array.isArray(body?.errors) ? body.errors : [])].filter((s) => typeof s === 'string').join(': ');
      if (status === 202 || (status >= 200 && status < 300)) return { outcome: 'accepted', dedupKey: typeof body?.dedup_key === 'string' ? body.dedup_key : undefined };
      const error = `HTTP ${status}${said ? ` ${said}` : ''}`.slice(0, 500);
      const seconds = retryAfter !== null && /^\d+$/.test(retryAfter) ? Number(retryAfter) * 1000 : undefined;
      if (status === 429) return { outcome: 'throttled', error, ...(seconds !== undefined ? { retryAfterMs: seconds } : {}) };
      if (status >= 500) return { outcome: 'unavailable', error, ...(seconds !== undefined ? { retryAfterMs: seconds } : {}) };
      return { outcome: 'rejected', error };
    },
  };
}

function parse(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
