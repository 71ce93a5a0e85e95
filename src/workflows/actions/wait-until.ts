import { formatDuration } from '../../duration.ts';
import { OpsError, errorMessage } from '../../errors.ts';
import type { ActionContext, ActionDefinition, ActionResult } from '../action.ts';
import {
  DEFAULT_BODY_CAP,
  REQUEST_KEYS,
  type HttpRequest,
  type HttpResponse,
  displayUrl,
  readHttpRequest,
  sendHttpRequest,
} from './http-request.ts';
import { isFullTemplate } from '../template-syntax.ts';
import { inputFields } from './input-fields.ts';

/**
 * `wait-until`: polls a condition by the clock until it holds, e.g.
 *
 *   with:
 *     condition: ${{ probe.status == 200 && probe.json.ready }}
 *     interval: 15s
 *     timeout: 10m
 *     http: { url: https://api.internal/health }
 *
 * `with.condition` is passed to the action as written (listed in `rawInputs`): the engine must
 * not evaluate it when the step starts, because the action evaluates it afresh on every poll
 * with `ctx.evaluate`. With `http`, a GET (or HEAD) is sent before each evaluation and its answer
 * is in scope as `probe` ({ status, headers, body, json }); a probe that gets no answer has
 * status 0 and an `error`, so "wait for the service to come up" reads naturally. An evaluation
 * that fails (say `probe.json.ready` while the body is not JSON yet) counts as "not yet"; its
 * message is reported if the wait times out. Only reads, so idempotent.
 *
 * DRY_RUN: polls once, reports whether the condition holds, and does not wait: what it waits
 * for would usually be the effect of a step that a dry run skipped.
 */

export interface WaitUntilDeps {
  fetch?: typeof fetch;
  bodyCapBytes?: number;
}

export interface WaitUntilInput {
  condition: string;
  intervalMs: number;
  timeoutMs: number;
  http?: HttpRequest;
}

const DEFAULT_INTERVAL_MS = 10_000;
const DEFAULT_TIMEOUT_MS = 10 * 60_000;
const MIN_INTERVAL_MS = 1_000;
const MAX_PROBE_TIMEOUT_MS = 30_000;
const KEYS = ['condition', 'interval', 'timeout', 'http'] as const;

export function createWaitUntilAction(deps: WaitUntilDeps = {}): ActionDefinition<WaitUntilInput> {
  return {
    name: 'wait-until',
    summary: 'Poll a condition (optionally over an HTTP probe) until it holds, or time out',
    idempotent: true,
    rawInputs: ['condition'],
    parse: parseWaitUntilInput,
    run: (input, ctx) => waitUntil(deps, input, ctx),
  };
}

export function parseWaitUntilInput(input: Record<string, unknown>): WaitUntilInput {
  const fields = inputFields('wait-until', input);
  fields.only(KEYS);
  const condition = fields.string('condition').trim();
  if (!isFullTemplate(condition)) fields.fail('condition', 'one `${{ … }}` expression', condition);
  const intervalMs = fields.optionalDuration('interval') ?? DEFAULT_INTERVAL_MS;
  if (intervalMs < MIN_INTERVAL_MS) fields.fail('interval', `at least ${formatDuration(MIN_INTERVAL_MS)}`, input.interval);
  const timeoutMs = fields.optionalDuration('timeout') ?? DEFAULT_TIMEOUT_MS;
  if (timeoutMs === 0) fields.fail('timeout', 'a duration above 0', input.timeout);
  const probe = fields.optionalMap('http');
  if (!probe) return { condition, intervalMs, timeoutMs };
  const probeFields = inputFields('wait-until', probe, 'with.http');
  probeFields.only(REQUEST_KEYS.filter((k) => k !== 'body'));
  const http = readHttpRequest(probeFields, probe, ['GET', 'HEAD'], { method: 'GET', timeoutMs: Math.min(intervalMs, MAX_PROBE_TIMEOUT_MS) });
  return { condition, intervalMs, timeoutMs, http };
}

async function waitUntil(deps: WaitUntilDeps, input: WaitUntilInput, ctx: ActionContext): Promise<ActionResult> {
  const started = ctx.clock.now();
  const deadline = started + input.timeoutMs;
  let lastError: string | undefined;
  let probe: HttpResponse | undefined;
  ctx.progress?.(`waiting until ${input.condition} (every ${formatDuration(input.intervalMs)}, for up to ${formatDuration(input.timeoutMs)})`);

  for (let polls = 1; ; polls++) {
    probe = input.http ? await sendProbe(deps, input.http, ctx) : undefined;
    let value: unknown;
    try {
      value = ctx.evaluate(input.condition, probe ? { probe } : undefined);
      lastError = undefined;
    } catch (err) {
      lastError = errorMessage(err);
      value = false;
    }
    if (typeof value !== 'boolean') {
      throw new OpsError('wait_condition_not_boolean', `wait-until: ${input.condition} gave ${JSON.stringify(value) ?? String(value)}, not true or false`);
    }
    const waitedMs = ctx.clock.now() - started;
    const result = { met: value, polls, waitedMs, ...(probe ? { probe } : {}) };
    if (value) return { result };
    if (ctx.dryRun) return { result: { ...result, dryRun: true }, log: `would wait until ${input.condition}; it ${lastError ? `cannot be evaluated yet (${lastError})` : 'does not hold yet'}` };

    const remaining = deadline - ctx.clock.now();
    if (remaining <= 0) {
      const why = lastError ? `; last evaluation failed: ${lastError}` : probe ? `; last probe: ${describeProbe(input.http, probe)}` : '';
      throw new OpsError('wait_timeout', `wait-until: ${input.condition} did not hold within ${formatDuration(input.timeoutMs)} (${polls} polls)${why}`);
    }
    await ctx.clock.sleep(Math.min(input.intervalMs, remaining), ctx.signal);
  }
}

/** A probe's answer, or status 0 with the reason when none came; cancelling the step still cancels. */
async function sendProbe(deps: WaitUntilDeps, request: HttpRequest, ctx: ActionContext): Promise<HttpResponse> {
  try {
    return await sendHttpRequest(request, {
      fetch: deps.fetch ?? globalThis.fetch,
      clock: ctx.clock,
      signal: ctx.signal,
      bodyCapBytes: deps.bodyCapBytes ?? DEFAULT_BODY_CAP,
    });
  } catch (err) {
    if (ctx.signal.aborted) throw err;
    return { status: 0, error: errorMessage(err), headers: {}, body: '', bodyTruncated: false, json: null };
  }
}

function describeProbe(request: HttpRequest | undefined, probe: HttpResponse): string {
  const what = request ? `${request.method} ${displayUrl(request.url)}` : 'probe';
  return probe.status === 0 ? `${String(probe.error)}` : `${what} → ${probe.status}`;
}
