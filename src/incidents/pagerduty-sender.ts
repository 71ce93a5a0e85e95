import type { Logger } from 'pino';
import type { Clock } from '../clock.ts';
import type { PagerDutyAction, PagerDutyEvent, PagerDutyEventRepo } from '../store/pagerduty-event-repo.ts';
import type { PagerDutyClient } from './pagerduty-client.ts';

/**
 * Sends the queued PagerDuty events (stored first, so a restart resumes them), one incident's in
 * order. A throttled or failed attempt is tried again later — the next attempt time is stored and
 * the incident timers wake for it — with a backoff that doubles: from 5 s up to 5 min after a 5xx
 * or a network failure, from 1 min up to 10 min after a 429 (PagerDuty asks for minutes there),
 * or after Retry-After when PagerDuty says. After `maxAttempts` the event is given up.
 */

export interface PagerDutySenderDeps {
  repo: PagerDutyEventRepo;
  client: PagerDutyClient;
  clock: Clock;
  log: Logger;
  maxAttempts?: number;
  /** Told about every event that was sent or given up. */
  onDone?(event: PagerDutyEvent, result: { sent: true } | { sent: false; error: string }, at: number): void;
}

export interface PagerDutySender {
  enqueue(incident: number, action: PagerDutyAction, payload: Record<string, unknown>, at: number): void;
  /** Sends every event that is due, each incident's in order. */
  process(): Promise<void>;
  /** When the next attempt is due. */
  nextDue(): number | undefined;
}

export const PAGERDUTY_MAX_ATTEMPTS = 10;
const UNAVAILABLE_BACKOFF = { first: 5_000, max: 5 * 60_000 };
const THROTTLED_BACKOFF = { first: 60_000, max: 10 * 60_000 };

export function pagerDutyBackoff(outcome: 'throttled' | 'unavailable', attempts: number, retryAfterMs?: number): number {
  const { first, max } = outcome === 'throttled' ? THROTTLED_BACKOFF : UNAVAILABLE_BACKOFF;
  const doubled = Math.min(max, first * 2 ** Math.max(0, attempts - 1));
  return retryAfterMs !== undefined ? Math.min(max, Math.max(retryAfterMs, 1_000)) : doubled;
}

export function createPagerDutySender(deps: PagerDutySenderDeps): PagerDutySender {
  const { repo, client, clock, log } = deps;
  const maxAttempts = deps.maxAttempts ?? PAGERDUTY_MAX_ATTEMPTS;
  let processing: Promise<void> | undefined;

  async function sendOne(event: PagerDutyEvent): Promise<boolean> {
    const now = () => clock.now();
    const attempts = event.attempts + 1;
    const result = await client.send(event.payload);
    if (result.outcome === 'accepted') {
      repo.sent(event.id, attempts, now());
      log.info({ incident: event.incident, action: event.action, attempts }, 'PagerDuty event accepted');
      deps.onDone?.(event, { sent: true }, now());
      return true;
    }
    if (result.outcome === 'rejected' || attempts >= maxAttempts) {
      repo.failed(event.id, attempts, result.error);
      log.error({ incident: event.incident, action: event.action, attempts, error: result.error }, 'PagerDuty event given up');
      deps.onDone?.(event, { sent: false, error: result.error }, now());
      return true;
    }
    const wait = pagerDutyBackoff(result.outcome, attempts, result.retryAfterMs);
    repo.retry(event.id, attempts, now() + wait, result.error);
    log.warn({ incident: event.incident, action: event.action, attempts, error: result.error, retryInMs: wait }, 'PagerDuty event not accepted; will retry');
    return false;
  }

  return {
    enqueue(incident, action, payload, at) {
      repo.enqueue({ incident, action, payload, at });
    },
    process() {
      // One pass at a time: a timer firing during a slow send must not send the same event twice.
      processing ??= (async () => {
        try {
          // An event done makes the incident's next one the head: it goes in the same pass.
          for (let progressed = true; progressed; ) {
            progressed = false;
            for (const event of repo.heads()) {
              if (event.nextAttemptAt > clock.now()) continue;
              try {
                if (await sendOne(event)) progressed = true;
              } catch (err) {
                log.error({ err, incident: event.incident }, 'PagerDuty send failed unexpectedly');
              }
            }
          }
        } finally {
          processing = undefined;
        }
      })();
      return processing;
    },
    nextDue: () => repo.nextAttempt(),
  };
}
