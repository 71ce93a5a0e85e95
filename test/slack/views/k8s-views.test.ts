import { describe, expect, it } from 'vitest';
import type { ClusterStatus, PodSummary } from '../../../src/integrations/kubernetes/kube-types.ts';
import { validateBlocks } from '../../../src/local/emulator/block-limits.ts';
import { logsFit, logsView, statusView, writeView } from '../../../src/slack/views/k8s-views.ts';

const target = { context: 'prod-eu', namespace: 'shop', environment: 'production' };

function pod(i: number): PodSummary {
  return { name: `api-5d8f7c9b6-${String(i).padStart(5, '0')}`, namespace: 'shop', phase: 'Running', ready: '0/1', restarts: i, reason: 'CrashLoopBackOff', containers: [], unhealthy: true, deployment: `api-${i % 7}` };
}

describe('the status view', () => {
  it('stays within Slack’s limits with many bad pods, buttons for the first ten and Restart for five deployments', () => {
    const status: ClusterStatus = { target, nodesNotReady: [], badPods: Array.from({ length: 80 }, (_, i) => pod(i)), deploymentsUnavailable: [], warnings: [] };
    const view = statusView(status);

    expect(validateBlocks(view.blocks, 'message')).toEqual([]);
    expect(view.blocks?.length).toBeLessThanOrEqual(50);
    const actions = (view.blocks ?? []).filter((b) => b.type === 'actions');
    expect(actions).toHaveLength(11);
    expect(JSON.stringify(actions.at(-1))).toContain('k8s restart deployment/api-4 ns=shop context=prod-eu');
  });

  it('says so when everything is healthy', () => {
    const view = statusView({ target, nodesNotReady: [], badPods: [], deploymentsUnavailable: [], warnings: [] });
    expect(view.text).toContain('All healthy.');
  });
});

describe('the answer to a write', () => {
  it('says who changed what where, before and after, and DRY RUN when nothing changed', () => {
    const view = writeView('scale', { target, kind: 'Deployment', name: 'api', dryRun: true, before: { replicas: 3, images: ['api:v1'], revision: '7' }, after: { replicas: 5, images: ['api:v1'], revision: '7' } }, 'U0ALICE', true);
    expect(view.text).toBe(
      '📏 *DRY RUN* · <@U0ALICE> scaled `deployment/api` from 3 to 5 replicas in prod-eu/shop (production).\nreplicas 3 → 5\nimage api:v1\nrevision 7\nDRY_RUN is on: the API server checked the change (dryRun=All) and nothing was changed.',
    );
  });
});

describe('the logs view', () => {
  it('keeps the end of a log that does not fit, escaped for Slack', () => {
    const text = Array.from({ length: 100 }, (_, i) => `line ${i} <b>&`).join('\n');
    expect(logsFit(text, 500)).toBe(false);
    const view = logsView(target, 'api-1', text, { maxChars: 500 });
    expect(view.text).toMatch(/^Logs of api-1 in prod-eu\/shop \(production\): the last \d+ of 100 lines$/);
    expect(JSON.stringify(view.blocks)).toContain('line 99 &lt;b&gt;&amp;');
    expect(JSON.stringify(view.blocks)).not.toContain('line 0 ');
    expect(validateBlocks(view.blocks, 'message')).toEqual([]);
  });
});
