import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_ALERT_WEBHOOK_BYTES } from '../../src/http/alert-webhooks.ts';
import { alertmanagerBody, postAlertWebhook } from '../support/alert-webhooks.ts';
import { startOpsbot, type RunningOpsbot } from '../support/opsbot.ts';

/**
 * POST /webhooks/alertmanager and /webhooks/grafana on a real opsbot: the bearer token, the
 * fixtures of test/fixtures/alertmanager, bodies that are not the format, and what is stored.
 */

const TOKEN = 'am-webhook-token-0123456789abcdef';
const ROOT = fileURLToPath(new URL('../fixtures/alertmanager/', import.meta.url));
const fixtures = ['prom2teams', 'prometheus-msteams'].flatMap((dir) => readdirSync(ROOT + dir).filter((n) => n.endsWith('.json')).map((n) => `${dir}/${n}`));
const load = (path: string) => JSON.parse(readFileSync(ROOT + path, 'utf8')) as { alerts: unknown[] };

const running: RunningOpsbot[] = [];
afterEach(async () => {
  for (const o of running.splice(0)) await o.stop();
});

async function start(env: Record<string, string> = { ALERTMANAGER_WEBHOOK_TOKEN: TOKEN }): Promise<RunningOpsbot> {
  const o = await startOpsbot({ env: { ALERT_CHANNELS: 'C0ALERTS', ...env } });
  running.push(o);
  return o;
}

const stored = (o: RunningOpsbot) => ({
  alerts: o.app.alerts.groups.totalAlerts(),
  groups: o.app.alerts.groups.list({ open: false, limit: 1_000 }).length,
  audit: o.app.store.audit.list({ limit: 1_000 }).filter((a) => a.action === 'alerts.received').length,
});

describe('POST /webhooks/alertmanager', () => {
  it('accepts every fixture with each of its alerts; the ones missing fields with one log line each', async () => {
    const o = await start();
    expect(fixtures).toHaveLength(18);
    for (const path of fixtures) {
      const body = load(path);
      const res = await postAlertWebhook(o.url, body, { token: TOKEN });
      expect(res, path).toMatchObject({ status: 200, json: { ok: true, accepted: body.alerts.length } });
    }
    expect(stored(o).audit).toBe(18);
    expect(stored(o).alerts).toBeGreaterThan(0);
    const warned = o.logs.filter((l) => l.msg === 'alertmanager webhook accepted with missing or odd fields');
    expect(warned).toContainEqual(expect.objectContaining({ warnings: expect.arrayContaining([expect.stringContaining('alerts[0].labels.alertname: missing')]) }));
  });

  it('refuses a request without the token, or with another, with 401 and stores nothing', async () => {
    const o = await start();
    const body = alertmanagerBody([{ labels: { alertname: 'KubePodCrashLooping', namespace: 'shop' } }]);
    expect(await postAlertWebhook(o.url, body, { token: null })).toEqual({ status: 401, json: { ok: false, error: 'unauthorized' } });
    expect((await postAlertWebhook(o.url, body, { token: `${TOKEN}x` })).status).toBe(401);
    expect((await postAlertWebhook(o.url, body, { token: 'short' })).status).toBe(401);
    const basic = await fetch(`${o.url}/webhooks/alertmanager`, { method: 'POST', headers: { authorization: `Basic ${Buffer.from(`x:${TOKEN}`).toString('base64')}` }, body: JSON.stringify(body) });
    expect(basic.status).toBe(401);
    expect(stored(o)).toEqual({ alerts: 0, groups: 0, audit: 0 });
  });

  it('answers 503 to everyone while ALERTMANAGER_WEBHOOK_TOKEN is not set', async () => {
    const o = await start({});
    const res = await postAlertWebhook(o.url, alertmanagerBody([{ labels: { alertname: 'X' } }]), { token: 'anything' });
    expect(res).toMatchObject({ status: 503, json: { error: 'not_configured' } });
    expect(stored(o).alerts).toBe(0);
  });

  it('answers 400 saying why for a body that is not JSON or not a webhook body, and 413 past the cap', async () => {
    const o = await start();
    expect(await postAlertWebhook(o.url, undefined, { token: TOKEN, raw: '{"alerts": [' })).toMatchObject({ status: 400, json: { error: 'invalid_json', message: expect.stringMatching(/^the body is not JSON/) } });
    expect(await postAlertWebhook(o.url, { version: '4', status: 'firing' }, { token: TOKEN })).toEqual({
      status: 400,
      json: { ok: false, error: 'invalid_payload', message: 'not an Alertmanager webhook body (version 4): no "alerts" array' },
    });
    expect((await postAlertWebhook(o.url, { version: '1', orgId: 1, alerts: [] }, { token: TOKEN })).json.message).toContain('use /webhooks/grafana');
    const huge = JSON.stringify({ version: '4', alerts: [], padding: 'x'.repeat(MAX_ALERT_WEBHOOK_BYTES) });
    expect((await postAlertWebhook(o.url, undefined, { token: TOKEN, raw: huge })).status).toBe(413);
    expect(stored(o)).toEqual({ alerts: 0, groups: 0, audit: 0 });
  });

  it('groups the alerts of one body by alertname, service and namespace', async () => {
    const o = await start();
    const res = await postAlertWebhook(
      o.url,
      alertmanagerBody([
        { labels: { alertname: 'KubePodCrashLooping', namespace: 'shop', app: 'api', pod: 'api-1' } },
        { labels: { alertname: 'KubePodCrashLooping', namespace: 'shop', service: 'api', pod: 'api-2' } },
        { labels: { alertname: 'KubePodCrashLooping', namespace: 'payments', app: 'api', pod: 'api-3' } },
      ]),
      { token: TOKEN },
    );
    expect(res.json).toMatchObject({ accepted: 3, groups: 2 });
    expect(o.app.alerts.groups.list({ open: true, limit: 10 }).map((g) => g.key).sort()).toEqual([
      '{alertname="KubePodCrashLooping",namespace="payments",service="api"}',
      '{alertname="KubePodCrashLooping",namespace="shop",service="api"}',
    ]);
  });
});

describe('POST /webhooks/grafana', () => {
  it("accepts Grafana alerting's body (version 1) with the same token", async () => {
    const o = await start();
    // Cut down from the example body in Grafana's "Webhook notifier" docs (see test/alerts/grafana-webhook.test.ts).
    const body = {
      receiver: 'My Super Webhook',
      status: 'firing',
      orgId: 1,
      alerts: [
        {
          status: 'firing',
          labels: { alertname: 'High memory usage', team: 'blue', zone: 'us-1' },
          annotations: { description: 'The system has high memory usage', summary: 'This alert was triggered for zone us-1' },
          startsAt: '2021-10-12T09:51:03.157076+02:00',
          endsAt: '0001-01-01T00:00:00Z',
          generatorURL: 'https://play.grafana.org/alerting/1afz29v7z/edit',
          fingerprint: 'c6eadffa33fcdf37',
          values: { B: 44.23943737541908, C: 1 },
        },
      ],
      groupLabels: {},
      commonLabels: { team: 'blue' },
      commonAnnotations: {},
      externalURL: 'https://play.grafana.org/',
      version: '1',
      groupKey: '{}:{}',
      truncatedAlerts: 0,
      title: '[FIRING:1] (blue)',
      state: 'alerting',
      message: '**Firing**',
    };
    expect((await postAlertWebhook(o.url, body, { token: null, path: '/webhooks/grafana' })).status).toBe(401);
    expect(await postAlertWebhook(o.url, body, { token: TOKEN, path: '/webhooks/grafana' })).toEqual({ status: 200, json: { ok: true, accepted: 1, groups: 1, warnings: 0 } });
    const [stored] = o.app.alerts.groups.alerts(1);
    expect(stored?.alert).toMatchObject({ source: 'grafana', name: 'High memory usage', fingerprint: 'c6eadffa33fcdf37', value: 'B=44.23943737541908, C=1' });
  });
});
