import { ErrorCode, type WebAPICallResult, type WebClient } from '@slack/web-api';
import type { Logger } from 'pino';
import type { Clock } from '../clock.ts';
import { OpsError, errorMessage } from '../errors.ts';

/**
 * Every Web API write goes through the outbox, so Slack's limits are respected in one place:
 * per-channel order, posting pace, 429 pauses and transient retries, all waited by the clock.
 */

export type CallOutcome = 'ok' | 'rate_limited' | 'retrying' | 'failed';

export interface OutboxOptions {
  client: WebClient;
  clock: Clock;
  log: Logger;
  /** Gap between two messages posted into one channel (Slack allows about one per second). */
  postIntervalMs?: number;
  /** Methods that post a message and so are paced per channel. */
  pacedMethods?: readonly string[];
  /**
   * Minimum gap between two calls of a method anywhere in the workspace, for tiered methods that
   * bursts (many runs updating their messages at once) would otherwise push into 429s.
   */
  workspaceIntervalsMs?: Readonly<Record<string, number>>;
  /** Attempts for transient failures (5xx, network, timeouts) before the call's promise rejects. */
  maxAttempts?: number;
  /** First backoff after a transient failure; doubles per attempt up to `maxBackoffMs`. */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** 429s waited out for one call before giving up (a guard against a server that never lets up). */
  maxRateLimitWaits?: number;
  onDepthChange?(depth: number): void;
  /** One report per HTTP attempt, for metrics. */
  onCall?(method: string, outcome: CallOutcome): void;
}

export interface EnqueueOptions {
  /** FIFO lane; default the call's channel. Lanes never wait for each other. */
  lane?: string;
  /** While a call with this key is queued and not on the wire, a newer one replaces it. */
  coalesceKey?: string;
}

export interface Outbox {
  call(method: string, args: Record<string, unknown>, options?: EnqueueOptions): Promise<WebAPICallResult>;
  /** A send of our own (e.g. a response_url POST) that throws @slack/web-api's error types. */
  run<T>(method: string, send: () => Promise<T>, options?: EnqueueOptions): Promise<T>;
  /** chat.update, coalesced per message: only the newest queued content is sent. */
  update(args: { channel: string; ts: string } & Record<string, unknown>): Promise<WebAPICallResult>;
  /** Calls queued or on the wire. */
  depth(): number;
  /** Resolves when nothing is queued or on the wire. */
  drain(): Promise<void>;
  /** Rejects everything still queued and every later call; calls on the wire finish. */
  stop(): void;
}

interface Waiter {
  resolve(value: unknown): void;
  reject(reason: unknown): void;
}

interface Item {
  method: string;
  lane: string;
  coalesceKey: string | undefined;
  send: () => Promise<unknown>;
  waiters: Waiter[];
  onWire: boolean;
  attempts: number;
  rateLimitWaits: number;
  notBefore: number;
}

interface Lane {
  items: Item[];
  running: boolean;
}

type Failure = { kind: 'rate_limited'; retryAfterMs: number } | { kind: 'transient' } | { kind: 'final' };

/** Methods Slack limits per channel; every other method's limit is per workspace (its tier). */
const PER_CHANNEL_LIMITS = new Set(['chat.postMessage']);

function pauseKeyOf(item: { method: string; lane: string }): string {
  return PER_CHANNEL_LIMITS.has(item.method) ? `${item.method} ${item.lane}` : item.method;
}

/** Slack's own words for "try again later". */
const TRANSIENT_PLATFORM_ERRORS = new Set(['internal_error', 'fatal_error', 'service_unavailable', 'request_timeout', 'ratelimited', 'rate_limited']);

export function createOutbox(options: OutboxOptions): Outbox {
  const { client, clock, log } = options;
  const postIntervalMs = options.postIntervalMs ?? 1_000;
  const paced = new Set(options.pacedMethods ?? ['chat.postMessage', 'files.uploadV2']);
  // chat.update is Tier 3 (about 50 a minute per workspace): 48 a minute stays under it.
  const workspaceIntervals = new Map(Object.entries(options.workspaceIntervalsMs ?? { 'chat.update': 1_250 }));
  /** method → the earliest time its next call may go, reserved as each call goes. */
  const nextSlot = new Map<string, number>();
  const maxAttempts = options.maxAttempts ?? 5;
  const backoffMs = options.backoffMs ?? 1_000;
  const maxBackoffMs = options.maxBackoffMs ?? 30_000;
  const maxRateLimitWaits = options.maxRateLimitWaits ?? 10;

  const lanes = new Map<string, Lane>();
  /** `method lane` → when Slack said the method may be called again there. */
  const pauses = new Map<string, number>();
  const lastPostAt = new Map<string, number>();
  const abort = new AbortController();
  let drainers: Array<() => void> = [];
  let depth = 0;
  let stopped = false;

  function setDepth(delta: number): void {
    depth += delta;
    options.onDepthChange?.(depth);
    if (depth === 0) {
      const waiting = drainers;
      drainers = [];
      for (const resolve of waiting) resolve();
    }
  }

  function run<T>(method: string, send: () => Promise<T>, opts: EnqueueOptions = {}): Promise<T> {
    if (stopped) return Promise.reject(new OpsError('outbox_stopped', 'The Slack outbox is stopped.'));
    const laneKey = opts.lane ?? '';
    const lane = lanes.get(laneKey) ?? { items: [], running: false };
    lanes.set(laneKey, lane);
    return new Promise<T>((resolve, reject) => {
      const waiter: Waiter = { resolve: resolve as (value: unknown) => void, reject };
      const queued = opts.coalesceKey === undefined ? undefined : lane.items.find((i) => i.coalesceKey === opts.coalesceKey && !i.onWire);
      if (queued) {
        queued.send = send;
        queued.attempts = 0;
        queued.waiters.push(waiter);
        return;
      }
      lane.items.push({ method, lane: laneKey, coalesceKey: opts.coalesceKey, send, waiters: [waiter], onWire: false, attempts: 0, rateLimitWaits: 0, notBefore: 0 });
      setDepth(+1);
      if (!lane.running) void work(laneKey, lane);
    });
  }

  function call(method: string, args: Record<string, unknown>, opts: EnqueueOptions = {}): Promise<WebAPICallResult> {
    const channel = args.channel ?? args.channel_id;
    return run(method, () => client.apiCall(method, args), { lane: typeof channel === 'string' ? channel : method, ...opts });
  }

  async function work(laneKey: string, lane: Lane): Promise<void> {
    lane.running = true;
    try {
      for (let item = lane.items[0]; item && !stopped; item = lane.items[0]) {
        // No await when nothing is in the way: an idle lane puts a call on the wire at once.
        for (let wait = waitFor(item); wait > 0; wait = waitFor(item)) await clock.sleep(wait, abort.signal);
        // Reserved before the call, with no await in between, so two lanes never take one slot.
        reserveSlot(item.method);
        item.onWire = true;
        try {
          const result = await item.send();
          // Only a message that landed counts toward the pace; a refused one posted nothing.
          if (paced.has(item.method)) markPosted(laneKey);
          options.onCall?.(item.method, 'ok');
          settle(lane, item, (w) => w.resolve(result));
        } catch (err) {
          item.onWire = false;
          if (!scheduleRetry(item, err)) settle(lane, item, (w) => w.reject(err));
        }
      }
    } catch (err) {
      // Only a stop() interrupts a wait; it has already rejected what was queued.
      if (!stopped) log.error({ err, lane: laneKey }, 'slack outbox lane failed');
    } finally {
      lane.running = false;
      if (lane.items.length === 0) lanes.delete(laneKey);
    }
  }

  /** Milliseconds until the item may go: Slack's pause for its method here, the posting pace, its backoff. */
  function waitFor(item: Item): number {
    const pauseKey = pauseKeyOf(item);
    const pausedUntil = pauses.get(pauseKey) ?? 0;
    if (pausedUntil && pausedUntil <= clock.now()) pauses.delete(pauseKey);
    const paceUntil = paced.has(item.method) ? (lastPostAt.get(item.lane) ?? -Infinity) + postIntervalMs : 0;
    const slotAt = nextSlot.get(item.method) ?? 0;
    return Math.max(pausedUntil, paceUntil, slotAt, item.notBefore) - clock.now();
  }

  function reserveSlot(method: string): void {
    const interval = workspaceIntervals.get(method);
    if (interval !== undefined) nextSlot.set(method, Math.max(clock.now(), nextSlot.get(method) ?? 0) + interval);
  }

  function markPosted(laneKey: string): void {
    const now = clock.now();
    lastPostAt.set(laneKey, now);
    if (lastPostAt.size > 1_000) {
      for (const [key, at] of lastPostAt) if (at + postIntervalMs < now) lastPostAt.delete(key);
    }
  }

  /** true when the item stays at the head of its lane for another attempt. */
  function scheduleRetry(item: Item, err: unknown): boolean {
    const failure = classify(err);
    const context = { method: item.method, lane: item.lane };
    if (stopped || failure.kind === 'final') {
      options.onCall?.(item.method, 'failed');
      return false;
    }
    if (failure.kind === 'rate_limited') {
      options.onCall?.(item.method, 'rate_limited');
      item.rateLimitWaits += 1;
      if (item.rateLimitWaits > maxRateLimitWaits) {
        log.error({ ...context, waits: item.rateLimitWaits - 1 }, 'slack kept rate limiting; giving up');
        return false;
      }
      // Slack pauses the method, not only this call: later calls of it wait too — in this channel
      // for chat.postMessage (limited per channel), everywhere for tiered methods (per workspace).
      pauses.set(pauseKeyOf(item), clock.now() + failure.retryAfterMs);
      log.warn({ ...context, retryAfter: failure.retryAfterMs / 1000 }, 'slack rate limited');
      return true;
    }
    item.attempts += 1;
    if (item.attempts >= maxAttempts) {
      options.onCall?.(item.method, 'failed');
      log.error({ ...context, attempts: item.attempts, err: errorMessage(err) }, 'slack call failed; giving up');
      return false;
    }
    // No jitter: one instance talks to Slack, so there is no herd to spread out.
    const delayMs = Math.min(backoffMs * 2 ** (item.attempts - 1), maxBackoffMs);
    item.notBefore = clock.now() + delayMs;
    options.onCall?.(item.method, 'retrying');
    log.warn({ ...context, attempt: item.attempts, delayMs, err: errorMessage(err) }, 'slack call failed; retrying');
    return true;
  }

  function settle(lane: Lane, item: Item, fn: (waiter: Waiter) => void): void {
    const index = lane.items.indexOf(item);
    if (index >= 0) lane.items.splice(index, 1);
    for (const waiter of item.waiters) fn(waiter);
    setDepth(-1);
  }

  return {
    call,
    run,
    update: (args) => call('chat.update', args, { lane: args.channel, coalesceKey: `chat.update ${args.channel} ${args.ts}` }),
    depth: () => depth,
    drain: () => (depth === 0 ? Promise.resolve() : new Promise<void>((resolve) => drainers.push(resolve))),
    stop() {
      if (stopped) return;
      stopped = true;
      const reason = new OpsError('outbox_stopped', 'The Slack outbox is stopped.');
      abort.abort(reason);
      for (const lane of lanes.values()) {
        for (const item of [...lane.items]) if (!item.onWire) settle(lane, item, (w) => w.reject(reason));
      }
    },
  };
}

function classify(err: unknown): Failure {
  if (typeof err !== 'object' || err === null || !('code' in err)) return { kind: 'final' };
  const e = err as { code: unknown; retryAfter?: number; statusCode?: number; data?: { error?: string } };
  switch (e.code) {
    case ErrorCode.RateLimitedError:
      // Retry-After 0 would spin; Slack's windows are at least a second long anyway.
      return { kind: 'rate_limited', retryAfterMs: Math.max(1, e.retryAfter ?? 1) * 1_000 };
    case ErrorCode.RequestError:
      return { kind: 'transient' };
    case ErrorCode.HTTPError:
      return (e.statusCode ?? 0) >= 500 || e.statusCode === 408 ? { kind: 'transient' } : { kind: 'final' };
    case ErrorCode.PlatformError:
      return TRANSIENT_PLATFORM_ERRORS.has(e.data?.error ?? '') ? { kind: 'transient' } : { kind: 'final' };
    default:
      return { kind: 'final' };
  }
}
