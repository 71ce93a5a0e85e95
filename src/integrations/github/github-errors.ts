import { UserError } from '../../errors.ts';

/**
 * What @octokit/request throws (its RequestError, name `HttpError`): recognised by shape, since
 * @octokit/request-error is Octokit's own dependency, not opsbot's. Network failures and timeouts
 * come as status 500 without a response.
 */
interface RequestError extends Error {
  status: number;
  response?: { headers: Record<string, unknown>; data: unknown };
}

export function isRequestError(err: unknown): err is RequestError {
  return err instanceof Error && err.name === 'HttpError' && typeof (err as { status?: unknown }).status === 'number';
}

/**
 * GitHub failures as opsbot's coded errors. Each is a UserError, because each message is safe
 * and useful in Slack (it names what was being done and what to do); the codes are the contract's:
 * `github_rate_limited` and `github_unavailable` for what retrying later fixes (already retried
 * where safe), the others for what a person has to fix.
 */
export class GitHubRateLimitedError extends UserError {
  /** When GitHub said to come back (epoch ms), when it said. */
  readonly retryAt: number | undefined;
  constructor(message: string, hint: string, retryAt: number | undefined, options?: { cause?: unknown }) {
    super('github_rate_limited', message, hint, options);
    this.retryAt = retryAt;
  }
}

export interface GitHubErrorContext {
  /** What opsbot was doing, as "fetching acme/api#12" / "merging acme/api#12". */
  doing: string;
  /** The thing that may be missing, as "acme/api#12" or "workflow run 42 of acme/api". */
  subject: string;
  now: number;
  /** The write was not retried after a server error, so it may or may not have happened. */
  unsafeToRepeat?: boolean;
}

/** Turns what Octokit threw into a coded error; anything not from GitHub goes up unchanged. */
export function toGitHubError(err: unknown, context: GitHubErrorContext): unknown {
  if (err instanceof UserError) return err;
  if (!isRequestError(err)) return err;
  const status = err.status;
  const headers = err.response?.headers ?? {};
  const data = err.response?.data as { message?: unknown; errors?: unknown } | undefined;
  const message = typeof data?.message === 'string' ? data.message : '';
  const details = githubDetails(data?.errors);
  const said = [message, details].filter((s) => s !== '').join(': ');

  if ((status === 403 || status === 429) && isRateLimit(headers, message)) {
    const retryAt = retryTime(headers, context.now);
    const when = retryAt === undefined ? 'in a minute' : `after ${new Date(retryAt).toISOString().slice(11, 19)} UTC`;
    return new GitHubRateLimitedError(`GitHub's rate limit stopped ${context.doing}.`, `Try again ${when}.`, retryAt, { cause: err });
  }
  switch (status) {
    case 401:
      return new UserError('github_unauthorized', `GitHub rejected opsbot's token while ${context.doing} (401 ${message || 'Bad credentials'}).`, 'GITHUB_TOKEN may have expired or been revoked: ask an admin to replace it.', { cause: err });
    case 403: {
      const needed = headerText(headers['x-accepted-github-permissions']);
      return new UserError(
        'github_forbidden',
        `GitHub refused ${context.doing}: ${said || 'forbidden'} (403).`,
        needed ? `The token needs ${needed.replace(/=/g, ': ').replace(/,/g, ', ')} on the repository.` : 'The token lacks the permission for this; ask an admin to grant it.',
        { cause: err },
      );
    }
    case 404:
    case 410:
      return new UserError('github_not_found', `${context.subject} was not found, or the token cannot see it.`, 'Check the name; a private repository needs a token with access to it.', { cause: err });
    case 405:
    case 409:
      return new UserError('github_conflict', `GitHub refused ${context.doing}: ${said || `status ${status}`}.`, undefined, { cause: err });
    case 422:
      return new UserError('github_invalid', `GitHub refused ${context.doing}: ${said || 'validation failed'} (422).`, undefined, { cause: err });
    default:
      break;
  }
  if (status >= 400 && status < 500) {
    return new UserError('github_refused', `GitHub refused ${context.doing}: ${said || `status ${status}`} (${status}).`, undefined, { cause: err });
  }
  const timedOut = (err.cause as { name?: string } | undefined)?.name === 'TimeoutError';
  const what = timedOut ? 'did not answer in time' : err.response ? `answered ${status}${message ? ` (${message})` : ''}` : `could not be reached (${err.message})`;
  const hint = context.unsafeToRepeat
    ? `It may or may not have happened: check ${context.subject} on GitHub before trying again.`
    : 'opsbot already retried; try again in a few minutes, or check https://www.githubstatus.com.';
  return new UserError('github_unavailable', `GitHub ${what} while ${context.doing}.`, hint, { cause: err });
}

/** A server error, network failure or timeout: the request may have been carried out. */
export function isUnavailable(err: unknown): boolean {
  return isRequestError(err) && (err.status >= 500 || err.response === undefined);
}

function isRateLimit(headers: Record<string, unknown>, message: string): boolean {
  return headerText(headers['x-ratelimit-remaining']) === '0' || headers['retry-after'] !== undefined || /rate limit/i.test(message);
}

function retryTime(headers: Record<string, unknown>, now: number): number | undefined {
  const after = Number(headerText(headers['retry-after']));
  if (headerText(headers['retry-after']) !== '' && Number.isFinite(after)) return now + after * 1000;
  const reset = Number(headerText(headers['x-ratelimit-reset']));
  return headerText(headers['x-ratelimit-reset']) !== '' && Number.isFinite(reset) ? reset * 1000 : undefined;
}

function headerText(value: unknown): string {
  return value === undefined || value === null ? '' : String(value);
}

/** GitHub's `errors`: strings, or `{ resource, field, code, message }` objects. */
function githubDetails(errors: unknown): string {
  if (!Array.isArray(errors)) return '';
  return errors
    .map((e) => {
      if (typeof e === 'string') return e;
      const o = e as { message?: unknown; field?: unknown; code?: unknown };
      if (typeof o.message === 'string') return o.message;
      return [o.field, o.code].filter((x) => typeof x === 'string').join(' ');
    })
    .filter((s) => s !== '')
    .join('; ');
}
