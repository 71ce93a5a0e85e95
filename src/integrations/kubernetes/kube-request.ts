import { ApiException } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { Clock } from '../../clock.ts';
import { UserError } from '../../errors.ts';

/**
 * One Kubernetes API call as opsbot makes it: retried where that is safe, and any failure turned
 * into a UserError that says in a sentence what went wrong, so a command answers in Slack instead
 * of failing with a stack trace. Reads are retried on 429, 5xx and network errors; writes only
 * on 429 and a refused connection, where the server cannot have applied them.
 */

export type CallKind = 'read' | 'write';

export interface KubeRequester {
  /** `what` completes "opsbot could not …", e.g. `list pods in shop`. */
  call<T>(context: string, what: string, kind: CallKind, send: () => Promise<T>): Promise<T>;
}

export interface KubeRequesterOptions {
  clock: Clock;
  log: Logger;
  /** Attempts per call, the first included; default 3. */
  attempts?: number;
  /** First backoff; doubled each time, and Retry-After is honoured up to `maxDelayMs`. */
  baseDelayMs?: number;
  maxDelayMs?: number;
}

/** The API server's own explanation (`kind: Status`), when the body holds one. */
export interface KubeStatus {
  code: number;
  reason?: string;
  message?: string;
}

export function createKubeRequester(options: KubeRequesterOptions): KubeRequester {
  const attempts = options.attempts ?? 3;
  const baseDelayMs = options.baseDelayMs ?? 1_000;
  const maxDelayMs = options.maxDelayMs ?? 10_000;
  return {
    async call(context, what, kind, send) {
      for (let attempt = 1; ; attempt++) {
        try {
          return await send();
        } catch (err) {
          const retry = attempt < attempts && retryable(err, kind);
          const status = err instanceof ApiException ? err.code : undefined;
          // A missing object is an answer (the caller says so), not trouble with the cluster.
          options.log[status === 404 ? 'debug' : 'warn']({ context, what, attempt, status, network: networkCause(err), retry }, 'kubernetes call failed');
          if (!retry) throw kubeFailure(err, context, what);
          await options.clock.sleep(Math.min(maxDelayMs, retryAfterMs(err) ?? baseDelayMs * 2 ** (attempt - 1)));
        }
      }
    },
  };
}

function retryable(err: unknown, kind: CallKind): boolean {
  if (err instanceof ApiException) return err.code === 429 || (kind === 'read' && err.code >= 500 && err.code !== 501);
  const cause = networkCause(err);
  if (cause === 'ECONNREFUSED') return true;
  return kind === 'read' && cause !== undefined;
}

function retryAfterMs(err: unknown): number | undefined {
  if (!(err instanceof ApiException)) return undefined;
  const header = (err.headers as Record<string, string> | undefined)?.['retry-after'];
  const seconds = header === undefined ? NaN : Number(header);
  return Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : undefined;
}

/** ECONNREFUSED, ETIMEDOUT (our own request timeout included), ENOTFOUND…; undefined when it is not a network failure. */
function networkCause(err: unknown): string | undefined {
  if (err instanceof ApiException) return undefined;
  const e = err as { name?: string; code?: string; cause?: { code?: string; name?: string } } | undefined;
  if (e?.name === 'TimeoutError' || e?.cause?.name === 'TimeoutError') return 'ETIMEDOUT';
  if (e?.name === 'AbortError') return 'ABORTED';
  if (typeof e?.cause?.code === 'string') return e.cause.code;
  if (typeof e?.code === 'string' && /^E[A-Z]+$/.test(e.code)) return e.code;
  if (err instanceof TypeError && /fetch failed/i.test(err.message)) return 'EFETCH';
  return undefined;
}

export function kubeStatus(err: unknown): KubeStatus | undefined {
  if (!(err instanceof ApiException)) return undefined;
  let body: unknown = err.body;
  if (typeof body === 'string') {
    const text = body;
    try {
      body = JSON.parse(text);
    } catch {
      body = { message: text.slice(0, 300) };
    }
  }
  const b = (body ?? {}) as { reason?: unknown; message?: unknown };
  return { code: err.code, ...(typeof b.reason === 'string' ? { reason: b.reason } : {}), ...(typeof b.message === 'string' && b.message !== '' ? { message: b.message } : {}) };
}

/** The UserError a failed call ends in; already one (our own checks) passes through. */
export function kubeFailure(err: unknown, context: string, what: string): UserError {
  if (err instanceof UserError) return err;
  const status = kubeStatus(err);
  if (status) {
    const said = status.message ? `: ${status.message}` : '';
    switch (true) {
      case status.code === 401:
        return new UserError('k8s_unauthorized', `The Kubernetes API of context \`${context}\` rejected opsbot's credentials (401) when trying to ${what}.`, 'Check the user of that context in the kubeconfig (token or certificate may have expired).', { cause: err });
      case status.code === 403:
        return new UserError('k8s_forbidden', `Kubernetes did not allow opsbot to ${what} in context \`${context}\` (403 Forbidden)${said}.`, "Grant opsbot's Kubernetes user that permission (RBAC), or ask whoever runs the cluster.", { cause: err });
      case status.code === 404:
        return new UserError('k8s_not_found', `Could not ${what} in context \`${context}\`: not found${said}.`, undefined, { cause: err });
      case status.code === 409:
        return new UserError('k8s_conflict', `Could not ${what} in context \`${context}\`: it changed at the same time (409 Conflict)${said}.`, 'Look at its current state and try again.', { cause: err });
      case status.code === 400 || status.code === 422:
        return new UserError('k8s_invalid', `Kubernetes refused to ${what} in context \`${context}\` (${status.code})${said}.`, undefined, { cause: err });
      case status.code === 429:
        return new UserError('k8s_throttled', `The Kubernetes API of context \`${context}\` is throttling requests (429 Too Many Requests); opsbot could not ${what}.`, 'Try again in a minute.', { cause: err });
      case status.code >= 500:
        return new UserError('k8s_server_error', `The Kubernetes API of context \`${context}\` failed (${status.code}${status.reason ? ` ${status.reason}` : ''}) while opsbot tried to ${what}${said}.`, 'It is the cluster side; try again shortly.', { cause: err });
      default:
        return new UserError('k8s_error', `Kubernetes answered ${status.code} when opsbot tried to ${what} in context \`${context}\`${said}.`, undefined, { cause: err });
    }
  }
  const cause = networkCause(err);
  if (cause !== undefined) {
    const why = cause === 'ETIMEDOUT' ? 'no answer in time' : cause === 'ECONNREFUSED' ? 'connection refused' : cause === 'ENOTFOUND' ? 'host not found' : cause.toLowerCase();
    return new UserError('k8s_unreachable', `Could not reach the Kubernetes API of context \`${context}\` to ${what} (${why}).`, 'Check that the cluster is up and reachable from opsbot.', { cause: err });
  }
  // Neither an API answer nor the network: a bug of ours or the client's, kept for the logs.
  throw err;
}
