import { createHash, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  checkRunBody,
  codeSearchItemBody,
  combinedStatusBody,
  commitBody,
  contentBody,
  deploymentBody,
  deploymentStatusBody,
  example,
  issueBody,
  issueCommentBody,
  jobBody,
  merge,
  type Overrides,
  pullRequestBody,
  pullRequestFileBody,
  reviewBody,
  reviewCommentBody,
  signedLogUrl,
  workflowRunBody,
} from './github-examples.ts';

export * from './github-examples.ts';

/**
 * A loopback GitHub REST API for the paths opsbot uses (GitHubOps), answering with bodies built
 * from the official OpenAPI examples (github-examples.ts) and GitHub's real headers (the recorded
 * octokit fixture in test/fixtures/github). A test sets state by overriding fields of those
 * examples: pull requests with files and patches, check runs, combined status, mergeability,
 * workflow runs with jobs per attempt, job logs, commits, files, deployments.
 *
 * Like GitHub, the job-log and run-log endpoints answer 302 with a Location on another origin (a
 * second loopback server holding the log text, signed-URL style), so a client that forwards its
 * Authorization header there shows up in `logRequests()`.
 *
 * Errors look like GitHub's (`{ message, documentation_url, status }`): `fail()` answers a path with
 * an error N times and then lets it through, for retries; the helpers below build the rate-limit
 * (primary: 403 + `x-ratelimit-remaining: 0`; secondary: 403/429 + `retry-after`), permission,
 * and server errors. Every request is recorded (method, path, query, headers without
 * Authorization, body, the status answered).
 */

type Json = Record<string, unknown>;

export interface RecordedRequest {
  method: string;
  /** Decoded path, without the query. */
  path: string;
  query: Record<string, string>;
  /** Lower-cased names; `authorization` removed. */
  headers: Record<string, string>;
  /** Parsed JSON body, or undefined. */
  body: unknown;
  /** The token the fake expects was presented. */
  authorized: boolean;
  /** What the fake answered (0 while the answer is pending or withheld). */
  status: number;
}

export interface RecordedLogRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  /** An Authorization header arrived (its value is not kept). */
  hadAuthorization: boolean;
}

export interface FailRule {
  method?: string;
  /** The decoded path (exact) or a pattern over it. */
  path: string | RegExp;
  status: number;
  /** How many matching requests fail before the rest go through (default 1; Infinity for always). */
  times?: number;
  message?: string;
  headers?: Record<string, string>;
  /** Replaces the `{ message, documentation_url, status }` body. */
  body?: unknown;
  /** Never answer (the client's timeout fires). */
  hang?: boolean;
  /** Carry the request out, then answer with the error anyway (a gateway failing after the work was done). */
  applyFirst?: boolean;
}

export interface PullRequestSpec {
  /** `owner/repo` */
  repo: string;
  number: number;
  /** The PR author's login. */
  author: string;
  /** Overrides of the pull-request example (e.g. `{ head: { sha } , mergeable: false, title }`). */
  pr?: Overrides;
  /** Overrides of the PR-file example, one per file. */
  files?: Overrides[];
  /** Check runs of the head sha: overrides of the check-run example. */
  checkRuns?: Overrides[];
  /** Combined status of the head sha. */
  status?: { state: string; statuses: Overrides[] };
}

export interface WorkflowRunSpec {
  /** `owner/repo` */
  repo: string;
  /** Overrides of the workflow-run example (`id`, `run_attempt`, `status`, `conclusion`, `path`, …). */
  run: Overrides;
  /** Jobs of each attempt: overrides of the job example (`run_id` is filled in). */
  jobs?: Record<number, Overrides[]>;
}

export interface Dispatch {
  repo: string;
  workflow: string;
  ref: string;
  inputs: Record<string, unknown>;
  at: number;
}

export interface FakeGitHubApiOptions {
  token?: string;
  /** The login the token belongs to (author of reviews and comments it creates). */
  login?: string;
  /** Time for created_at stamps (tests pass their ManualClock). */
  now?: () => number;
  /**
   * false: behave like a GitHub (Enterprise Server) that predates `return_run_details` on
   * workflow dispatch and refuses the unknown key with a 422. Default true.
   */
  dispatchRunDetails?: boolean;
}

export interface FakeGitHubApi {
  /** API base, `http://127.0.0.1:<port>` (GITHUB_API_URL). */
  readonly url: string;
  /** The log storage's origin (another port). */
  readonly logUrl: string;
  readonly token: string;
  readonly login: string;
  start(): Promise<void>;
  stop(): Promise<void>;

  requests(filter?: { method?: string; path?: string | RegExp }): RecordedRequest[];
  logRequests(): RecordedLogRequest[];
  clearRequests(): void;

  addPullRequest(spec: PullRequestSpec): Json;
  updatePullRequest(repo: string, number: number, overrides: Overrides): Json;
  /** Check runs of `ref` (a sha), replacing any. */
  setCheckRuns(repo: string, ref: string, runs: Overrides[]): void;
  setCombinedStatus(repo: string, sha: string, state: string, statuses: Overrides[]): void;
  /** Allowed merge methods of a repository (default all three). */
  setMergeMethods(repo: string, methods: Array<'merge' | 'squash' | 'rebase'>): void;

  addWorkflowRun(spec: WorkflowRunSpec): Json;
  updateWorkflowRun(repo: string, runId: number, overrides: Overrides): Json;
  setJobs(repo: string, runId: number, attempt: number, jobs: Overrides[]): void;
  workflowRunOf(repo: string, runId: number): Json | undefined;
  setJobLog(jobId: number, text: string): void;
  setRunLog(runId: number, bytes: Buffer): void;
  /** Called on each accepted workflow dispatch; a returned run (overrides) is added as the run it started. */
  onDispatch(handler: (dispatch: Dispatch) => Overrides | undefined): void;

  /** Commits of a repository, newest first (overrides of the commit example). */
  setCommits(repo: string, commits: Overrides[]): void;
  /** A file's text at `ref`; without `ref`, at every ref. Also what code search searches. */
  setFile(repo: string, path: string, text: string, ref?: string): void;
  addDeployment(repo: string, overrides: Overrides): Json;

  fail(rule: FailRule): void;
  /** Drops unused failure rules. */
  clearFailures(): void;
}

const DOCS = 'https://docs.github.com/rest';

/** GitHub's primary rate limit: 403 with `x-ratelimit-remaining: 0` and the reset time (epoch seconds). */
export function rateLimitExceeded(resetEpochSeconds: number, path: string | RegExp = /./): FailRule {
  return {
    path,
    status: 403,
    headers: { 'x-ratelimit-limit': '5000', 'x-ratelimit-remaining': '0', 'x-ratelimit-used': '5000', 'x-ratelimit-reset': String(resetEpochSeconds), 'x-ratelimit-resource': 'core' },
    message: 'API rate limit exceeded for user ID 1. If you reach out to GitHub Support for help, please include the request ID 0000:00000:0000000:0000000:00000000.',
    body: {
      message: 'API rate limit exceeded for user ID 1. If you reach out to GitHub Support for help, please include the request ID 0000:00000:0000000:0000000:00000000.',
      documentation_url: 'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api',
      status: '403',
    },
  };
}

/** GitHub's secondary rate limit: 403 (or 429) with `retry-after` seconds. */
export function secondaryRateLimit(retryAfterSeconds: number, path: string | RegExp = /./, status = 403): FailRule {
  const message = 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID 0000:00000:0000000:0000000:00000000.';
  return {
    path,
    status,
    headers: { 'retry-after': String(retryAfterSeconds) },
    body: { message, documentation_url: 'https://docs.github.com/free-pro-team@latest/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits', status: String(status) },
  };
}

/** A token without the permission: GitHub names what it needed in `x-accepted-github-permissions`. */
export function forbidden(path: string | RegExp, permission = 'pull_requests=write'): FailRule {
  return { path, status: 403, message: 'Resource not accessible by personal access token', headers: { 'x-accepted-github-permissions': permission } };
}

// GitHub's own response headers, from a recorded octokit fixture; per-response ones are added.
const recordedHeaders = (() => {
  const fixture = JSON.parse(readFileSync(new URL('../fixtures/github/errors.normalized-fixture.json', import.meta.url), 'utf8')) as Array<{ headers: Record<string, string | number> }>;
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(fixture[0]!.headers)) {
    if (['content-length', 'date', 'connection', 'x-github-request-id', 'content-type'].includes(name) || name.startsWith('x-ratelimit-')) continue;
    headers[name] = String(value);
  }
  return headers;
})();

interface PrState {
  owner: string;
  repo: string;
  body: Json;
  files: Json[];
}

interface RunState {
  owner: string;
  repo: string;
  run: Json;
  jobs: Map<number, Json[]>;
}

interface Answer {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  raw?: Buffer;
}

interface Route {
  method: string;
  pattern: RegExp;
  handle(params: Record<string, string>, request: ParsedRequest): Answer;
}

interface ParsedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  body: Json;
}

class FakeError extends Error {
  readonly answer: Answer;
  constructor(status: number, message: string, extra: Json = {}) {
    super(message);
    this.answer = { status, body: { message, ...extra, documentation_url: DOCS, status: String(status) } };
  }
}

const notFound = () => new FakeError(404, 'Not Found');

export function createFakeGitHubApi(options: FakeGitHubApiOptions = {}): FakeGitHubApi {
  const token = options.token ?? 'ghp_fakeGitHubToken0123456789abcdefABCDEF';
  const login = options.login ?? 'opsbot-bot';
  const now = options.now ?? (() => Date.now());
  const iso = () => new Date(now()).toISOString().replace(/\.\d{3}Z$/, 'Z');

  const recorded: RecordedRequest[] = [];
  const logRecorded: RecordedLogRequest[] = [];
  const rules: Array<FailRule & { left: number }> = [];
  const hanging = new Set<ServerResponse>();

  const pulls = new Map<string, PrState>();
  const checkRuns = new Map<string, Json[]>();
  const statuses = new Map<string, Json>();
  const mergeMethods = new Map<string, string[]>();
  const runs = new Map<string, RunState>();
  const jobLogs = new Map<number, string>();
  const runLogs = new Map<number, Buffer>();
  const commits = new Map<string, Json[]>();
  const files = new Map<string, Map<string, string>>();
  const deployments = new Map<string, Json[]>();
  const deploymentStatuses = new Map<number, Json[]>();
  const issueNumbers = new Map<string, number>();
  let dispatchHandler: ((dispatch: Dispatch) => Overrides | undefined) | undefined;
  let nextId = 1000;

  let apiBase: string | undefined;
  let logBase: string | undefined;

  const split = (full: string) => {
    const [owner, repo] = full.split('/');
    if (!owner || !repo) throw new Error(`expected owner/repo, got ${full}`);
    return { owner, repo };
  };
  const prKey = (repo: string, number: number) => `${repo}#${number}`;
  const runKey = (repo: string, id: number) => `${repo}/${id}`;
  const userBody = (name: string) => merge((example('GET /repos/{owner}/{repo}/pulls -> 200 (pull-request-simple-items)') as Json[])[0]!.user as Json, { login: name, html_url: `https://github.com/${name}` });

  function addPullRequest(spec: PullRequestSpec): Json {
    const { owner, repo } = split(spec.repo);
    const body = pullRequestBody(owner, repo, spec.number, spec.author, spec.pr);
    const state: PrState = { owner, repo, body, files: (spec.files ?? []).map((f) => pullRequestFileBody(f)) };
    pulls.set(prKey(spec.repo, spec.number), state);
    issueNumbers.set(spec.repo, Math.max(issueNumbers.get(spec.repo) ?? 0, spec.number));
    const sha = String((body.head as Json).sha);
    if (spec.checkRuns) setCheckRuns(spec.repo, sha, spec.checkRuns);
    if (spec.status) setCombinedStatus(spec.repo, sha, spec.status.state, spec.status.statuses);
    return body;
  }

  function setCheckRuns(repo: string, ref: string, list: Overrides[]): void {
    checkRuns.set(`${repo}@${ref}`, list.map((r, i) => checkRunBody({ id: nextId + i, head_sha: ref, ...r })));
    nextId += list.length;
  }

  function setCombinedStatus(repo: string, sha: string, state: string, list: Overrides[]): void {
    statuses.set(`${repo}@${sha}`, combinedStatusBody(sha, state, list));
  }

  function addWorkflowRun(spec: WorkflowRunSpec): Json {
    const { owner, repo } = split(spec.repo);
    const run = workflowRunBody(owner, repo, spec.run);
    const id = run.id as number;
    const state: RunState = { owner, repo, run, jobs: new Map() };
    runs.set(runKey(spec.repo, id), state);
    for (const [attempt, jobs] of Object.entries(spec.jobs ?? {})) setJobs(spec.repo, id, Number(attempt), jobs);
    return run;
  }

  function runState(repo: string, id: number): RunState {
    const state = runs.get(runKey(repo, id));
    if (!state) throw notFound();
    return state;
  }

  function setJobs(repo: string, runId: number, attempt: number, jobs: Overrides[]): void {
    const state = runs.get(runKey(repo, runId));
    if (!state) throw new Error(`no workflow run ${runId} in ${repo}`);
    state.jobs.set(
      attempt,
      jobs.map((j) => jobBody(state.owner, state.repo, { run_id: runId, run_attempt: attempt, head_sha: state.run.head_sha, head_branch: state.run.head_branch, workflow_name: state.run.name, ...j })),
    );
  }

  function page(request: ParsedRequest, items: Json[]): { items: Json[]; link?: string } {
    const perPage = Math.min(100, Math.max(1, Number(request.query.per_page) || 30));
    const current = Math.max(1, Number(request.query.page) || 1);
    const last = Math.max(1, Math.ceil(items.length / perPage));
    const slice = items.slice((current - 1) * perPage, current * perPage);
    if (last === 1) return { items: slice };
    const url = (n: number) => {
      const params = new URLSearchParams({ ...request.query, per_page: String(perPage), page: String(n) });
      return `<${apiBase}${request.path}?${params.toString()}>`;
    };
    const links = [...(current < last ? [`${url(current + 1)}; rel="next"`, `${url(last)}; rel="last"`] : []), ...(current > 1 ? [`${url(1)}; rel="first"`, `${url(current - 1)}; rel="prev"`] : [])];
    return { items: slice, link: links.join(', ') };
  }

  function listAnswer(request: ParsedRequest, items: Json[], key?: string): Answer {
    const { items: slice, link } = page(request, items);
    return { status: 200, body: key ? { total_count: items.length, [key]: slice } : slice, ...(link ? { headers: { link } } : {}) };
  }

  function pr(params: Record<string, string>): PrState {
    const state = pulls.get(prKey(`${params.owner}/${params.repo}`, Number(params.n)));
    if (!state) throw notFound();
    return state;
  }

  /** New-file lines a review comment may sit on: added and context lines of the file's hunks. */
  function diffLines(state: PrState, path: string): Set<number> | undefined {
    const file = state.files.find((f) => f.filename === path);
    if (!file) return undefined;
    const lines = new Set<number>();
    let line = 0;
    for (const text of String(file.patch ?? '').split('\n')) {
      const hunk = /^@@ -\d+(?:,\d+)? \+(\d+)(?:,\d+)? @@/.exec(text);
      if (hunk) {
        line = Number(hunk[1]);
        continue;
      }
      if (text.startsWith('-') || text.startsWith('\\')) continue;
      if (text.startsWith('+') || text.startsWith(' ')) lines.add(line++);
    }
    return lines;
  }

  function matchesRunFilters(run: Json, query: Record<string, string>): boolean {
    if (query.event && run.event !== query.event) return false;
    if (query.branch && run.head_branch !== query.branch) return false;
    if (query.status && run.status !== query.status && run.conclusion !== query.status) return false;
    if (query.head_sha && run.head_sha !== query.head_sha) return false;
    if (query.created && !matchesDate(String(run.created_at), query.created)) return false;
    return true;
  }

  function runsOf(repo: string, query: Record<string, string>, workflow?: string): Json[] {
    return [...runs.values()]
      .filter((s) => `${s.owner}/${s.repo}` === repo)
      .map((s) => s.run)
      .filter((run) => workflow === undefined || String(run.workflow_id) === workflow || String(run.path).replace(/@.*$/, '').split('/').pop() === workflow)
      .filter((run) => matchesRunFilters(run, query))
      .sort((a, b) => String(b.created_at).localeCompare(String(a.created_at)) || (b.id as number) - (a.id as number));
  }

  const R = '/repos/(?<owner>[^/]+)/(?<repo>[^/]+)';
  const route = (method: string, pattern: string, handle: Route['handle']): Route => ({ method, pattern: new RegExp(`^${pattern}$`), handle });
  const routes: Route[] = [
    route('GET', `${R}/pulls/(?<n>\\d+)`, (p) => ({ status: 200, body: pr(p).body })),
    route('GET', `${R}/pulls/(?<n>\\d+)/files`, (p, req) => listAnswer(req, pr(p).files)),
    route('POST', `${R}/pulls/(?<n>\\d+)/reviews`, (p, req) => {
      const state = pr(p);
      const event = typeof req.body.event === 'string' ? req.body.event : undefined;
      if (event === 'APPROVE' && (state.body.user as Json).login === login) throw new FakeError(422, 'Unprocessable Entity', { errors: ['Can not approve your own pull request'] });
      const comments = Array.isArray(req.body.comments) ? (req.body.comments as Json[]) : [];
      for (const c of comments) {
        const lines = diffLines(state, String(c.path));
        if (!lines) throw new FakeError(422, 'Unprocessable Entity', { errors: ['Path could not be resolved'] });
        if (!lines.has(Number(c.line))) throw new FakeError(422, 'Unprocessable Entity', { errors: ['Line could not be resolved'] });
      }
      const id = nextId++;
      const html = `${String(state.body.html_url)}#pullrequestreview-${id}`;
      const states: Record<string, string> = { APPROVE: 'APPROVED', REQUEST_CHANGES: 'CHANGES_REQUESTED', COMMENT: 'COMMENTED' };
      return {
        status: 200,
        body: reviewBody({
          id,
          user: userBody(login),
          body: req.body.body ?? '',
          state: event ? states[event] : 'PENDING',
          html_url: html,
          pull_request_url: state.body.url,
          _links: { html: { href: html }, pull_request: { href: state.body.url } },
          submitted_at: iso(),
          commit_id: req.body.commit_id ?? (state.body.head as Json).sha,
        }),
      };
    }),
    route('POST', `${R}/pulls/(?<n>\\d+)/comments`, (p, req) => {
      const state = pr(p);
      const lines = diffLines(state, String(req.body.path));
      if (!req.body.commit_id) throw new FakeError(422, 'Validation Failed', { errors: [{ resource: 'PullRequestReviewComment', code: 'missing_field', field: 'commit_id' }] });
      if (!lines || !lines.has(Number(req.body.line))) {
        throw new FakeError(422, 'Validation Failed', {
          errors: [{ resource: 'PullRequestReviewComment', code: 'custom', field: 'pull_request_review_thread.line', message: 'pull_request_review_thread.line must be part of the diff' }],
        });
      }
      const id = nextId++;
      const html = `${String(state.body.html_url)}#discussion_r${id}`;
      return {
        status: 201,
        body: reviewCommentBody({
          id,
          user: userBody(login),
          body: req.body.body,
          path: req.body.path,
          line: req.body.line,
          original_line: req.body.line,
          start_line: null,
          original_start_line: null,
          side: req.body.side ?? 'RIGHT',
          commit_id: req.body.commit_id,
          in_reply_to_id: undefined,
          html_url: html,
          pull_request_url: state.body.url,
          created_at: iso(),
          updated_at: iso(),
        }),
      };
    }),
    route('PUT', `${R}/pulls/(?<n>\\d+)/merge`, (p, req) => {
      const state = pr(p);
      const method = typeof req.body.merge_method === 'string' ? req.body.merge_method : 'merge';
      const allowed = mergeMethods.get(`${p.owner}/${p.repo}`) ?? ['merge', 'squash', 'rebase'];
      if (!allowed.includes(method)) {
        const what: Record<string, string> = { merge: 'Merge commits', squash: 'Squash merges', rebase: 'Rebase merges' };
        throw new FakeError(405, `${what[method] ?? method} are not allowed on this repository.`);
      }
      if (state.body.merged === true || state.body.state !== 'open' || state.body.mergeable === false) throw new FakeError(405, 'Pull Request is not mergeable');
      const head = state.body.head as Json;
      if (req.body.sha !== undefined && req.body.sha !== head.sha) throw new FakeError(409, 'Head branch was modified. Review and try the merge again.');
      const sha = createHash('sha1').update(`${String(head.sha)}:${method}`).digest('hex');
      state.body = merge(state.body, { merged: true, state: 'closed', mergeable: null, mergeable_state: 'unknown', merged_at: iso(), closed_at: iso(), merge_commit_sha: sha, merged_by: userBody(login) });
      return { status: 200, body: merge(example('PUT /repos/{owner}/{repo}/pulls/{pull_number}/merge -> 200 (pull-request-merge-result-response-if-merge-was-successful)') as Json, { sha }) };
    }),
    route('POST', `${R}/issues/(?<n>\\d+)/comments`, (p, req) => {
      if (typeof req.body.body !== 'string' || req.body.body === '') throw new FakeError(422, 'Validation Failed', { errors: [{ resource: 'IssueComment', code: 'missing_field', field: 'body' }] });
      const repo = `${p.owner}/${p.repo}`;
      const id = nextId++;
      const kind = pulls.has(prKey(repo, Number(p.n))) ? 'pull' : 'issues';
      return {
        status: 201,
        body: issueCommentBody({
          id,
          body: req.body.body,
          user: userBody(login),
          url: `https://api.github.com/repos/${repo}/issues/comments/${id}`,
          html_url: `https://github.com/${repo}/${kind}/${p.n}#issuecomment-${id}`,
          issue_url: `https://api.github.com/repos/${repo}/issues/${p.n}`,
          created_at: iso(),
          updated_at: iso(),
        }),
      };
    }),
    route('POST', `${R}/issues`, (p, req) => {
      if (typeof req.body.title !== 'string' || req.body.title === '') throw new FakeError(422, 'Validation Failed', { errors: [{ resource: 'Issue', code: 'missing_field', field: 'title' }] });
      const repo = `${p.owner}/${p.repo}`;
      const number = (issueNumbers.get(repo) ?? 0) + 1;
      issueNumbers.set(repo, number);
      const labelExample = ((example('POST /repos/{owner}/{repo}/issues -> 201 (default)') as Json).labels as Json[])[0]!;
      const labels = Array.isArray(req.body.labels) ? (req.body.labels as unknown[]).map((name, i) => merge(labelExample, { id: nextId + i, name })) : [];
      nextId += labels.length;
      return {
        status: 201,
        body: issueBody(p.owner!, p.repo!, number, { id: nextId++, title: req.body.title, body: req.body.body ?? null, labels, user: userBody(login), state: 'open', created_at: iso(), updated_at: iso(), closed_at: null, closed_by: null }),
      };
    }),
    route('GET', `${R}/commits/(?<ref>[^/]+)/check-runs`, (p, req) => listAnswer(req, checkRuns.get(`${p.owner}/${p.repo}@${p.ref}`) ?? [], 'check_runs')),
    route('GET', `${R}/commits/(?<ref>[^/]+)/status`, (p) => ({ status: 200, body: statuses.get(`${p.owner}/${p.repo}@${p.ref}`) ?? combinedStatusBody(p.ref!, 'pending', []) })),
    route('GET', `${R}/commits`, (p, req) => {
      const list = (commits.get(`${p.owner}/${p.repo}`) ?? []).filter((c) => !req.query.since || String(((c.commit as Json).author as Json).date) >= req.query.since);
      return listAnswer(req, list);
    }),
    route('GET', `${R}/contents/(?<path>.+)`, (p, req) => {
      const byRef = files.get(`${p.owner}/${p.repo}:${p.path}`);
      const ref = req.query.ref;
      const text = byRef?.get(ref ?? 'main') ?? byRef?.get('*');
      if (text === undefined) throw notFound();
      return { status: 200, body: contentBody(p.owner!, p.repo!, p.path!, text, ref ?? 'main') };
    }),
    route('GET', '/search/code', (_p, req) => {
      const q = req.query.q ?? '';
      const repos = [...q.matchAll(/\brepo:(\S+)/g)].map((m) => m[1]!);
      const terms = q
        .split(/\s+/)
        .filter((w) => w !== '' && !/^[a-z]+:/.test(w))
        .map((w) => w.toLowerCase());
      if (terms.length === 0) throw new FakeError(422, 'Validation Failed', { errors: [{ resource: 'Search', field: 'q', code: 'invalid' }] });
      const items: Json[] = [];
      for (const [key, byRef] of files) {
        const [repo, path] = [key.slice(0, key.indexOf(':')), key.slice(key.indexOf(':') + 1)];
        if (repos.length > 0 && !repos.includes(repo)) continue;
        const text = [...byRef.values()].join('\n').toLowerCase();
        if (terms.every((t) => text.includes(t))) items.push(codeSearchItemBody(split(repo).owner, split(repo).repo, path));
      }
      const { items: slice, link } = page(req, items);
      return { status: 200, body: { total_count: items.length, incomplete_results: false, items: slice }, ...(link ? { headers: { link } } : {}) };
    }),
    route('GET', `${R}/actions/runs`, (p, req) => listAnswer(req, runsOf(`${p.owner}/${p.repo}`, req.query), 'workflow_runs')),
    route('GET', `${R}/actions/runs/(?<id>\\d+)`, (p) => ({ status: 200, body: runState(`${p.owner}/${p.repo}`, Number(p.id)).run })),
    route('GET', `${R}/actions/runs/(?<id>\\d+)/attempts/(?<attempt>\\d+)/jobs`, (p, req) => {
      const state = runState(`${p.owner}/${p.repo}`, Number(p.id));
      if (Number(p.attempt) > Number(state.run.run_attempt)) throw notFound();
      return listAnswer(req, state.jobs.get(Number(p.attempt)) ?? [], 'jobs');
    }),
    route('GET', `${R}/actions/runs/(?<id>\\d+)/jobs`, (p, req) => {
      const state = runState(`${p.owner}/${p.repo}`, Number(p.id));
      const attempt = Number(state.run.run_attempt);
      const jobs = req.query.filter === 'all' ? [...state.jobs.entries()].sort(([a], [b]) => b - a).flatMap(([, j]) => j) : (state.jobs.get(attempt) ?? []);
      return listAnswer(req, jobs, 'jobs');
    }),
    route('GET', `${R}/actions/jobs/(?<id>\\d+)`, (p) => {
      for (const state of runs.values()) {
        if (`${state.owner}/${state.repo}` !== `${p.owner}/${p.repo}`) continue;
        for (const jobs of state.jobs.values()) {
          const job = jobs.find((j) => j.id === Number(p.id));
          if (job) return { status: 200, body: job };
        }
      }
      throw notFound();
    }),
    route('GET', `${R}/actions/jobs/(?<id>\\d+)/logs`, (p) => {
      if (!jobLogs.has(Number(p.id))) throw notFound();
      return { status: 302, headers: { location: signedLogUrl(logBase!, 'jobs', Number(p.id)) } };
    }),
    route('GET', `${R}/actions/runs/(?<id>\\d+)/logs`, (p) => {
      runState(`${p.owner}/${p.repo}`, Number(p.id));
      if (!runLogs.has(Number(p.id))) throw notFound();
      return { status: 302, headers: { location: signedLogUrl(logBase!, 'runs', Number(p.id)) } };
    }),
    route('POST', `${R}/actions/runs/(?<id>\\d+)/rerun-failed-jobs`, (p) => {
      const state = runState(`${p.owner}/${p.repo}`, Number(p.id));
      const attempt = Number(state.run.run_attempt) + 1;
      const previous = state.jobs.get(attempt - 1) ?? [];
      // Jobs that passed are carried into the new attempt; the failed ones are queued again.
      state.jobs.set(
        attempt,
        previous.map((j) => (j.conclusion === 'success' ? j : merge(j, { id: nextId++, run_attempt: attempt, status: 'queued', conclusion: null, started_at: iso(), completed_at: null }))),
      );
      state.run = merge(state.run, { run_attempt: attempt, status: 'queued', conclusion: null, updated_at: iso(), run_started_at: iso(), previous_attempt_url: `${String(state.run.url)}/attempts/${attempt - 1}` });
      return { status: 201, body: example('POST /repos/{owner}/{repo}/actions/runs/{run_id}/rerun-failed-jobs -> 201 (default)') ?? {} };
    }),
    route('POST', `${R}/actions/workflows/(?<wf>[^/]+)/dispatches`, (p, req) => {
      if (typeof req.body.ref !== 'string' || req.body.ref === '') throw new FakeError(422, 'Invalid request.\n\n"ref" wasn\'t supplied.');
      if ('return_run_details' in req.body && options.dispatchRunDetails === false) throw new FakeError(422, 'Invalid request.\n\n"return_run_details" is not a permitted key.');
      const repo = `${p.owner}/${p.repo}`;
      const dispatch: Dispatch = { repo, workflow: p.wf!, ref: req.body.ref, inputs: (req.body.inputs as Record<string, unknown>) ?? {}, at: now() };
      const started = dispatchHandler?.(dispatch);
      let run: Json | undefined;
      if (started) {
        run = addWorkflowRun({
          repo,
          run: merge(
            { id: nextId++, event: 'workflow_dispatch', head_branch: req.body.ref, status: 'queued', conclusion: null, run_attempt: 1, path: `.github/workflows/${p.wf}@refs/heads/${req.body.ref}`, created_at: iso(), updated_at: iso(), run_started_at: iso() },
            started,
          ),
        });
      }
      if (req.body.return_run_details !== true) return { status: 204 };
      const details = example('POST /repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches -> 200 (workflow-dispatch-response)') as Json;
      if (!run) return { status: 200, body: details };
      return { status: 200, body: merge(details, { workflow_run_id: run.id, run_url: run.url, html_url: run.html_url }) };
    }),
    route('GET', `${R}/actions/workflows/(?<wf>[^/]+)/runs`, (p, req) => listAnswer(req, runsOf(`${p.owner}/${p.repo}`, req.query, p.wf), 'workflow_runs')),
    route('GET', `${R}/deployments`, (p, req) => {
      const list = (deployments.get(`${p.owner}/${p.repo}`) ?? []).filter((d) => (!req.query.environment || d.environment === req.query.environment) && (!req.query.ref || d.ref === req.query.ref));
      return listAnswer(req, list);
    }),
    route('POST', `${R}/deployments`, (p, req) => {
      if (typeof req.body.ref !== 'string' || req.body.ref === '') throw new FakeError(422, 'Validation Failed', { errors: [{ resource: 'Deployment', code: 'missing_field', field: 'ref' }] });
      const body = addDeployment(`${p.owner}/${p.repo}`, {
        ref: req.body.ref,
        environment: req.body.environment ?? 'production',
        original_environment: req.body.environment ?? 'production',
        description: req.body.description ?? null,
        task: req.body.task ?? 'deploy',
        payload: req.body.payload ?? {},
        production_environment: req.body.production_environment ?? req.body.environment === 'production',
        transient_environment: req.body.transient_environment ?? false,
        creator: userBody(login),
      });
      return { status: 201, body };
    }),
    route('POST', `${R}/deployments/(?<id>\\d+)/statuses`, (p, req) => {
      const deployment = (deployments.get(`${p.owner}/${p.repo}`) ?? []).find((d) => d.id === Number(p.id));
      if (!deployment) throw notFound();
      const states = ['error', 'failure', 'inactive', 'in_progress', 'queued', 'pending', 'success'];
      if (!states.includes(String(req.body.state))) throw new FakeError(422, 'Validation Failed', { errors: [{ resource: 'DeploymentStatus', code: 'custom', field: 'state', message: `state is not included in the list` }] });
      const id = nextId++;
      const status = deploymentStatusBody({
        id,
        url: `${String(deployment.url)}/statuses/${id}`,
        state: req.body.state,
        description: req.body.description ?? '',
        environment: req.body.environment ?? deployment.environment,
        log_url: req.body.log_url ?? '',
        target_url: req.body.log_url ?? req.body.target_url ?? '',
        environment_url: req.body.environment_url ?? '',
        deployment_url: deployment.url,
        repository_url: deployment.repository_url,
        creator: userBody(login),
        created_at: iso(),
        updated_at: iso(),
      });
      deploymentStatuses.set(id, [...(deploymentStatuses.get(Number(p.id)) ?? []), status]);
      return { status: 201, body: status };
    }),
  ];

  function addDeployment(repo: string, overrides: Overrides): Json {
    const { owner, repo: name } = split(repo);
    const id = (overrides.id as number | undefined) ?? nextId++;
    const body = deploymentBody(owner, name, { id, node_id: `DE_fake${id}`, created_at: iso(), updated_at: iso(), ...overrides });
    // Newest first, as GitHub lists them.
    deployments.set(repo, [body, ...(deployments.get(repo) ?? [])]);
    return body;
  }

  function rateHeaders(): Record<string, string> {
    return {
      'x-ratelimit-limit': '5000',
      'x-ratelimit-remaining': '4999',
      'x-ratelimit-reset': String(Math.floor(now() / 1000) + 3600),
      'x-ratelimit-used': '1',
      'x-ratelimit-resource': 'core',
    };
  }

  function send(res: ServerResponse, answer: Answer): void {
    const headers: Record<string, string> = { ...recordedHeaders, ...rateHeaders(), 'x-github-request-id': randomUUID().toUpperCase().slice(0, 23), ...answer.headers };
    if (answer.raw) {
      res.writeHead(answer.status, { ...headers, 'content-type': headers['content-type'] ?? 'application/octet-stream' });
      res.end(answer.raw);
      return;
    }
    if (answer.body === undefined || answer.status === 204 || answer.status === 302) {
      res.writeHead(answer.status, headers);
      res.end();
      return;
    }
    res.writeHead(answer.status, { ...headers, 'content-type': 'application/json; charset=utf-8' });
    res.end(JSON.stringify(answer.body));
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', 'http://fake');
    const path = decodeURIComponent(url.pathname);
    const query = Object.fromEntries(url.searchParams);
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) if (name !== 'authorization') headers[name] = Array.isArray(value) ? value.join(', ') : (value ?? '');
    const presented = (req.headers.authorization ?? '').replace(/^(?:token|bearer)\s+/i, '');
    let body: unknown;
    try {
      body = raw === '' ? undefined : JSON.parse(raw);
    } catch {
      body = raw;
    }
    const method = req.method ?? 'GET';
    const entry: RecordedRequest = { method, path, query, headers, body, authorized: presented === token, status: 0 };
    recorded.push(entry);
    const answer = (a: Answer) => {
      entry.status = a.status;
      send(res, a);
    };

    if (!entry.authorized) return answer({ status: 401, body: { message: 'Bad credentials', documentation_url: DOCS, status: '401' } });

    const match = routes.find((r) => r.method === method && r.pattern.test(path));
    const parsed: ParsedRequest = { method, path, query, body: typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Json) : {} };
    const run = (): Answer => {
      if (!match) return { status: 404, body: { message: 'Not Found', documentation_url: DOCS, status: '404' } };
      try {
        return match.handle(match.pattern.exec(path)!.groups ?? {}, parsed);
      } catch (err) {
        if (err instanceof FakeError) return err.answer;
        return { status: 500, body: { message: `fake GitHub failed: ${err instanceof Error ? err.message : String(err)}`, documentation_url: DOCS } };
      }
    };

    const rule = rules.find((r) => r.left > 0 && (r.method === undefined || r.method === method) && (typeof r.path === 'string' ? r.path === path : r.path.test(path)));
    if (rule) {
      rule.left -= 1;
      if (rule.applyFirst) run();
      if (rule.hang) {
        hanging.add(res);
        res.on('close', () => hanging.delete(res));
        return;
      }
      return answer({
        status: rule.status,
        body: rule.body ?? { message: rule.message ?? defaultMessage(rule.status), documentation_url: DOCS, status: String(rule.status) },
        ...(rule.headers ? { headers: rule.headers } : {}),
      });
    }

    answer(run());
  }

  function handleLog(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://fake');
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) if (name !== 'authorization') headers[name] = Array.isArray(value) ? value.join(', ') : (value ?? '');
    logRecorded.push({ method: req.method ?? 'GET', path: url.pathname, query: Object.fromEntries(url.searchParams), headers, hadAuthorization: req.headers.authorization !== undefined });
    const m = /^\/[^/]+\/_apis\/pipelines\/\d+\/(jobs|runs)\/(\d+)\/signedlogcontent$/.exec(url.pathname);
    const signed = url.searchParams.has('urlSignature') && url.searchParams.has('urlExpires');
    const text = m && signed ? (m[1] === 'jobs' ? jobLogs.get(Number(m[2])) : runLogs.get(Number(m[2]))) : undefined;
    if (text === undefined) {
      res.writeHead(404, { 'content-type': 'application/xml' });
      res.end('<?xml version="1.0" encoding="utf-8"?><Error><Code>BlobNotFound</Code><Message>The specified blob does not exist.</Message></Error>');
      return;
    }
    res.writeHead(200, { 'content-type': m![1] === 'jobs' ? 'text/plain' : 'application/zip' });
    res.end(text);
  }

  const api: Server = createServer((req, res) => void handle(req, res));
  const logs: Server = createServer(handleLog);

  return {
    get url() {
      if (!apiBase) throw new Error('fake GitHub API not started');
      return apiBase;
    },
    get logUrl() {
      if (!logBase) throw new Error('fake GitHub API not started');
      return logBase;
    },
    token,
    login,
    async start() {
      api.listen(0, '127.0.0.1');
      logs.listen(0, '127.0.0.1');
      await Promise.all([once(api, 'listening'), once(logs, 'listening')]);
      apiBase = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
      logBase = `http://127.0.0.1:${(logs.address() as AddressInfo).port}`;
    },
    async stop() {
      for (const res of hanging) res.destroy();
      hanging.clear();
      for (const server of [api, logs]) {
        server.closeAllConnections();
        if (server.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
      }
    },
    requests(filter) {
      return recorded.filter(
        (r) => (filter?.method === undefined || r.method === filter.method) && (filter?.path === undefined || (typeof filter.path === 'string' ? r.path === filter.path : filter.path.test(r.path))),
      );
    },
    logRequests: () => [...logRecorded],
    clearRequests() {
      recorded.length = 0;
      logRecorded.length = 0;
    },
    addPullRequest,
    updatePullRequest(repo, number, overrides) {
      const state = pulls.get(prKey(repo, number));
      if (!state) throw new Error(`no pull request ${repo}#${number}`);
      state.body = merge(state.body, overrides);
      return state.body;
    },
    setCheckRuns,
    setCombinedStatus,
    setMergeMethods(repo, methods) {
      mergeMethods.set(repo, methods);
    },
    addWorkflowRun,
    updateWorkflowRun(repo, runId, overrides) {
      const state = runs.get(runKey(repo, runId));
      if (!state) throw new Error(`no workflow run ${runId} in ${repo}`);
      state.run = merge(state.run, overrides);
      return state.run;
    },
    setJobs,
    workflowRunOf: (repo, runId) => runs.get(runKey(repo, runId))?.run,
    setJobLog(jobId, text) {
      jobLogs.set(jobId, text);
    },
    setRunLog(runId, bytes) {
      runLogs.set(runId, bytes);
    },
    onDispatch(handler) {
      dispatchHandler = handler;
    },
    setCommits(repo, list) {
      const { owner, repo: name } = split(repo);
      commits.set(repo, list.map((c) => commitBody(owner, name, c)));
    },
    setFile(repo, path, text, ref) {
      const key = `${repo}:${path}`;
      const byRef = files.get(key) ?? new Map<string, string>();
      byRef.set(ref ?? '*', text);
      files.set(key, byRef);
    },
    addDeployment,
    fail(rule) {
      rules.push({ ...rule, left: rule.times ?? 1 });
    },
    clearFailures() {
      rules.length = 0;
    },
  };
}

function defaultMessage(status: number): string {
  const messages: Record<number, string> = {
    400: 'Problems parsing JSON',
    401: 'Bad credentials',
    403: 'Resource not accessible by personal access token',
    404: 'Not Found',
    405: 'Pull Request is not mergeable',
    409: 'Head branch was modified. Review and try the merge again.',
    422: 'Validation Failed',
    500: 'Server Error',
    502: 'Server Error',
    503: 'Service Unavailable',
  };
  return messages[status] ?? 'Error';
}

/** GitHub's `created` search qualifier: `>=T`, `>T`, `<=T`, `<T`, `A..B` or a date. */
function matchesDate(value: string, qualifier: string): boolean {
  const range = /^(.+)\.\.(.+)$/.exec(qualifier);
  if (range) return value >= range[1]! && value <= range[2]!;
  const m = /^(>=|<=|>|<)?(.+)$/.exec(qualifier)!;
  const bound = m[2]!;
  switch (m[1]) {
    case '>=':
      return value >= bound;
    case '>':
      return value > bound;
    case '<=':
      return value <= bound;
    case '<':
      return value < bound;
    default:
      return value.startsWith(bound);
  }
}
