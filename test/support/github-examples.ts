import { readFileSync } from 'node:fs';

/**
 * GitHub REST response bodies built from the official OpenAPI examples in test/fixtures/github
 * (see its SOURCE.txt). A test never writes a response shape: it takes an example and overrides
 * fields it has (deeply; arrays are replaced), so every body the fake serves is one GitHub sends.
 */

type Json = Record<string, unknown>;
type Examples = Record<string, unknown>;

const fixtures = new URL('../fixtures/github/', import.meta.url);
const selected = JSON.parse(readFileSync(new URL('selected-endpoint-examples.json', fixtures), 'utf8')) as Examples;
const extracted = JSON.parse(readFileSync(new URL('openapi-examples.json', fixtures), 'utf8')) as Examples;

/** The example keyed `METHOD path -> status (name)` in either file; throws on a key neither has. */
export function example(key: string): unknown {
  const found = key in selected ? selected[key] : extracted[key];
  if (found === undefined && !(key in extracted)) throw new Error(`no GitHub example ${JSON.stringify(key)}`);
  return structuredClone(found);
}

/** A deep partial of an example: nested objects merge, arrays and scalars replace. */
export type Overrides = Record<string, unknown>;

export function merge<T>(base: T, overrides: Overrides | undefined): T {
  if (overrides === undefined) return base;
  const out = { ...(base as Json) };
  for (const [key, value] of Object.entries(overrides)) {
    const current = out[key];
    out[key] = isPlainObject(value) && isPlainObject(current) ? merge(current, value) : structuredClone(value);
  }
  return out as T;
}

function isPlainObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function first(key: string, listKey?: string): Json {
  const value = example(key) as Json | Json[];
  const list = Array.isArray(value) ? value : (value[listKey ?? ''] as Json[]);
  return list[0]!;
}

const user = (login: string) => merge(first('GET /repos/{owner}/{repo}/pulls -> 200 (pull-request-simple-items)').user as Json, { login, html_url: `https://github.com/${login}` });

/** GET /repos/{owner}/{repo}/pulls/{pull_number} for `owner/repo#number`, author `login`. */
export function pullRequestBody(owner: string, repo: string, number: number, login: string, overrides?: Overrides): Json {
  const html = `https://github.com/${owner}/${repo}/pull/${number}`;
  const api = `https://api.github.com/repos/${owner}/${repo}`;
  const base = merge(example('GET /repos/{owner}/{repo}/pulls/{pull_number} -> 200 (pull-request)') as Json, {
    number,
    url: `${api}/pulls/${number}`,
    html_url: html,
    diff_url: `${html}.diff`,
    patch_url: `${html}.patch`,
    issue_url: `${api}/issues/${number}`,
    user: user(login),
    // The example is a merged, locked PR; an open one is the usual subject.
    state: 'open',
    locked: false,
    active_lock_reason: null,
    closed_at: null,
    merged_at: null,
    merged_by: null,
    head: { repo: { name: repo, full_name: `${owner}/${repo}` } },
    base: { repo: { name: repo, full_name: `${owner}/${repo}` } },
  });
  return merge(base, overrides);
}

/** One entry of GET …/pulls/{n}/files. */
export function pullRequestFileBody(overrides?: Overrides): Json {
  return merge(first('GET /repos/{owner}/{repo}/pulls/{pull_number}/files -> 200 (default)'), overrides);
}

/** One entry of GET …/commits/{ref}/check-runs (`check_runs[]`). */
export function checkRunBody(overrides?: Overrides): Json {
  return merge(first('GET /repos/{owner}/{repo}/commits/{ref}/check-runs -> 200 (check-run-paginated)', 'check_runs'), overrides);
}

/** GET …/commits/{ref}/status; `statuses` entries are built from the example's first status. */
export function combinedStatusBody(sha: string, state: string, statuses: Overrides[]): Json {
  const body = example('GET /repos/{owner}/{repo}/commits/{ref}/status -> 200 (combined-commit-status)') as Json;
  const one = (body.statuses as Json[])[0]!;
  return merge(body, { sha, state, total_count: statuses.length, statuses: statuses.map((s) => merge(one, s)) });
}

/** GET …/actions/runs/{run_id}. */
export function workflowRunBody(owner: string, repo: string, overrides?: Overrides): Json {
  const run = example('GET /repos/{owner}/{repo}/actions/runs/{run_id} -> 200 (workflow-run)') as Json;
  const id = (overrides?.id as number | undefined) ?? (run.id as number);
  const api = `https://api.github.com/repos/${owner}/${repo}/actions/runs/${id}`;
  return merge(
    merge(run, {
      url: api,
      html_url: `https://github.com/${owner}/${repo}/actions/runs/${id}`,
      jobs_url: `${api}/jobs`,
      logs_url: `${api}/logs`,
      rerun_url: `${api}/rerun`,
      cancel_url: `${api}/cancel`,
      repository: { name: repo, full_name: `${owner}/${repo}` },
    }),
    overrides,
  );
}

/** One entry of GET …/actions/runs/{run_id}/jobs (`jobs[]`). */
export function jobBody(owner: string, repo: string, overrides?: Overrides): Json {
  const job = first('GET /repos/{owner}/{repo}/actions/runs/{run_id}/jobs -> 200 (job-paginated)', 'jobs');
  const id = (overrides?.id as number | undefined) ?? (job.id as number);
  const runId = (overrides?.run_id as number | undefined) ?? (job.run_id as number);
  return merge(
    merge(job, {
      url: `https://api.github.com/repos/${owner}/${repo}/actions/jobs/${id}`,
      html_url: `https://github.com/${owner}/${repo}/actions/runs/${runId}/job/${id}`,
      run_url: `https://api.github.com/repos/${owner}/${repo}/actions/runs/${runId}`,
    }),
    overrides,
  );
}

/** A job step, from the example job's first step. */
export function jobStepBody(overrides?: Overrides): Json {
  const job = first('GET /repos/{owner}/{repo}/actions/runs/{run_id}/jobs -> 200 (job-paginated)', 'jobs');
  return merge((job.steps as Json[])[0]!, overrides);
}

/** One entry of GET …/commits. */
export function commitBody(owner: string, repo: string, overrides?: Overrides): Json {
  const sha = (overrides?.sha as string | undefined) ?? '6dcb09b5b57875f334f61aebed695e2e4193db5e';
  return merge(
    merge(first('GET /repos/{owner}/{repo}/commits -> 200 (default)'), {
      url: `https://api.github.com/repos/${owner}/${repo}/commits/${sha}`,
      html_url: `https://github.com/${owner}/${repo}/commit/${sha}`,
    }),
    overrides,
  );
}

/** One entry of GET …/deployments (also what POST …/deployments answers). */
export function deploymentBody(owner: string, repo: string, overrides?: Overrides): Json {
  const id = (overrides?.id as number | undefined) ?? 1;
  const api = `https://api.github.com/repos/${owner}/${repo}`;
  return merge(
    merge(example('POST /repos/{owner}/{repo}/deployments -> 201 (simple-example)') as Json, {
      url: `${api}/deployments/${id}`,
      statuses_url: `${api}/deployments/${id}/statuses`,
      repository_url: api,
    }),
    overrides,
  );
}

export function deploymentStatusBody(overrides?: Overrides): Json {
  return merge(example('POST /repos/{owner}/{repo}/deployments/{deployment_id}/statuses -> 201 (default)') as Json, overrides);
}

export function issueBody(owner: string, repo: string, number: number, overrides?: Overrides): Json {
  const api = `https://api.github.com/repos/${owner}/${repo}`;
  return merge(
    merge(example('POST /repos/{owner}/{repo}/issues -> 201 (default)') as Json, {
      number,
      url: `${api}/issues/${number}`,
      html_url: `https://github.com/${owner}/${repo}/issues/${number}`,
      repository_url: api,
    }),
    overrides,
  );
}

export function issueCommentBody(overrides?: Overrides): Json {
  return merge(example('POST /repos/{owner}/{repo}/issues/{issue_number}/comments -> 201 (issue-comment)') as Json, overrides);
}

export function reviewBody(overrides?: Overrides): Json {
  return merge(example('POST /repos/{owner}/{repo}/pulls/{pull_number}/reviews -> 200 (default)') as Json, overrides);
}

export function reviewCommentBody(overrides?: Overrides): Json {
  return merge(example('POST /repos/{owner}/{repo}/pulls/{pull_number}/comments -> 201 (example-for-a-multi-line-comment)') as Json, overrides);
}

/** GET …/contents/{path} for a file whose text is `text` (base64 in 60-character lines, as GitHub sends it). */
export function contentBody(owner: string, repo: string, path: string, text: string, ref: string): Json {
  const base64 = Buffer.from(text, 'utf8').toString('base64');
  const lines = base64.match(/.{1,60}/g) ?? [''];
  const name = path.split('/').pop() ?? path;
  return merge(example('GET /repos/{owner}/{repo}/contents/{path} -> 200 (response-if-content-is-a-file-github-object)') as Json, {
    name,
    path,
    size: Buffer.byteLength(text),
    content: `${lines.join('\n')}\n`,
    url: `https://api.github.com/repos/${owner}/${repo}/contents/${path}?ref=${ref}`,
    html_url: `https://github.com/${owner}/${repo}/blob/${ref}/${path}`,
    download_url: `https://raw.githubusercontent.com/${owner}/${repo}/${ref}/${path}`,
    _links: { html: `https://github.com/${owner}/${repo}/blob/${ref}/${path}` },
  });
}

/** One entry of GET /search/code (`items[]`). */
export function codeSearchItemBody(owner: string, repo: string, path: string): Json {
  const item = first('GET /search/code -> 200 (default)', 'items');
  return merge(item, {
    name: path.split('/').pop() ?? path,
    path,
    html_url: `https://github.com/${owner}/${repo}/blob/main/${path}`,
    repository: { name: repo, full_name: `${owner}/${repo}`, owner: { login: owner } },
  });
}

/** The Location of a log redirect: the example's signed storage URL, moved to `host`. */
export function signedLogUrl(host: string, kind: 'jobs' | 'runs', id: number): string {
  const key = `GET /repos/{owner}/{repo}/actions/${kind === 'jobs' ? 'jobs/{job_id}' : 'runs/{run_id}'}/logs -> 302 (no body; headers)`;
  const location = new URL(((example(key) as Json).Location as { example: string }).example);
  const path = location.pathname.replace(/\/(jobs|runs)\/\d+\//, `/${kind}/${id}/`);
  return `${host}${path}${location.search}`;
}
