import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { githubSignature } from '../../src/http/github-webhook.ts';

/**
 * GitHub webhook deliveries built from the community examples in @octokit/webhooks-examples: a
 * test takes an example payload and overrides the fields it cares about (ids, repository, sha,
 * status, conclusion), so every payload has the shape GitHub sends. Variants are marked where
 * the examples have no such delivery (no `workflow_run` in_progress example exists: it is the
 * `requested` one with its action and status moved on).
 */

type Json = Record<string, unknown>;

interface WebhookExamples {
  name: string;
  examples: Json[];
}

const all = createRequire(import.meta.url)('@octokit/webhooks-examples') as WebhookExamples[];

/** The examples of one event, deep-copied. */
export function webhookExamples(event: string): Json[] {
  const found = all.find((e) => e.name === event);
  if (!found) throw new Error(`no webhook examples for ${event}`);
  return structuredClone(found.examples);
}

/** Nested objects merge, arrays and scalars replace. */
export function override(base: Json, changes: Json): Json {
  const out: Json = { ...base };
  for (const [key, value] of Object.entries(changes)) {
    const current = out[key];
    out[key] = isObject(value) && isObject(current) ? override(current, value) : value;
  }
  return out;
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export interface Delivery {
  event: string;
  delivery: string;
  payload: Json;
}

export interface FailedRunSpec {
  /** owner/repo */
  repo: string;
  runId: number;
  attempt?: number;
  workflow?: string;
  branch?: string;
  sha: string;
  commitMessage?: string;
  /** The run's jobs as GitHub Actions check runs: id (= the job's id) and name, failed or not. */
  jobs: Array<{ id: number; name: string; conclusion: 'failure' | 'success' | 'timed_out' }>;
  conclusion?: 'failure' | 'timed_out';
}

function repository(full: string): Json {
  const [owner, name] = full.split('/');
  return { name, full_name: full, owner: { login: owner }, html_url: `https://github.com/${full}` };
}

/** A `workflow_run` delivery of the run, from the example with an actor (the completed one). */
export function workflowRunDelivery(spec: FailedRunSpec, stage: 'requested' | 'in_progress' | 'completed'): Delivery {
  const example = webhookExamples('workflow_run')[1]!;
  const html = `https://github.com/${spec.repo}/actions/runs/${spec.runId}`;
  const status = stage === 'requested' ? 'queued' : stage;
  const payload = override(example, {
    action: stage,
    repository: repository(spec.repo),
    workflow: { name: spec.workflow ?? 'CI' },
    workflow_run: {
      id: spec.runId,
      name: spec.workflow ?? 'CI',
      run_attempt: spec.attempt ?? 1,
      status,
      conclusion: stage === 'completed' ? (spec.conclusion ?? 'failure') : null,
      head_branch: spec.branch ?? 'main',
      head_sha: spec.sha,
      head_commit: { id: spec.sha, message: spec.commitMessage ?? 'Update README.md' },
      html_url: html,
      url: `https://api.github.com/repos/${spec.repo}/actions/runs/${spec.runId}`,
      event: 'push',
      repository: repository(spec.repo),
    },
  });
  return { event: 'workflow_run', delivery: randomUUID(), payload };
}

/** A `check_run` completed delivery per job, from the failed GitHub Actions example, its URLs as Actions sets them. */
export function checkRunDeliveries(spec: FailedRunSpec): Delivery[] {
  const example = webhookExamples('check_run')[1]!;
  return spec.jobs.map((job) => {
    const url = `https://github.com/${spec.repo}/actions/runs/${spec.runId}/job/${job.id}`;
    const payload = override(example, {
      action: 'completed',
      repository: repository(spec.repo),
      check_run: {
        id: job.id,
        name: job.name,
        head_sha: spec.sha,
        status: 'completed',
        conclusion: job.conclusion,
        details_url: url,
        html_url: url,
        url: `https://api.github.com/repos/${spec.repo}/check-runs/${job.id}`,
        check_suite: { head_sha: spec.sha, head_branch: spec.branch ?? 'main' },
      },
    });
    return { event: 'check_run', delivery: randomUUID(), payload };
  });
}

/** The `check_suite` completed delivery, from the GitHub Actions example. */
export function checkSuiteDelivery(spec: FailedRunSpec): Delivery {
  const example = webhookExamples('check_suite')[1]!;
  const payload = override(example, {
    action: 'completed',
    repository: repository(spec.repo),
    check_suite: { head_sha: spec.sha, head_branch: spec.branch ?? 'main', status: 'completed', conclusion: spec.conclusion ?? 'failure' },
  });
  return { event: 'check_suite', delivery: randomUUID(), payload };
}

/** Every delivery GitHub sends for one failed run, in the order it sends them. */
export function failedRunDeliveries(spec: FailedRunSpec): Delivery[] {
  return [
    workflowRunDelivery(spec, 'requested'),
    workflowRunDelivery(spec, 'in_progress'),
    ...checkRunDeliveries(spec),
    checkSuiteDelivery(spec),
    workflowRunDelivery(spec, 'completed'),
  ];
}

/** POSTs a delivery as GitHub does: JSON body, event and delivery headers, HMAC signature. */
export async function deliver(url: string, secret: string | undefined, delivery: Delivery, options: { signature?: string; body?: string } = {}): Promise<{ status: number; body: Json }> {
  const body = options.body ?? JSON.stringify(delivery.payload);
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'user-agent': 'GitHub-Hookshot/044aadd',
    'x-github-event': delivery.event,
    'x-github-delivery': delivery.delivery,
    'x-github-hook-id': '292430182',
  };
  const signature = options.signature ?? (secret === undefined ? undefined : githubSignature(secret, body));
  if (signature !== undefined) headers['x-hub-signature-256'] = signature;
  const res = await fetch(`${url}/webhooks/github`, { method: 'POST', headers, body });
  return { status: res.status, body: (await res.json()) as Json };
}
