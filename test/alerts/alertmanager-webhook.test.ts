import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseAlertmanagerWebhook } from '../../src/alerts/alertmanager-webhook.ts';
import { labelsFingerprint } from '../../src/alerts/fingerprint.ts';

/**
 * Alertmanager webhook bodies (version 4) from test/fixtures/alertmanager: prom2teams' and
 * prometheus-msteams' test data, some of it deliberately incomplete.
 */

const ROOT = fileURLToPath(new URL('../fixtures/alertmanager/', import.meta.url));
const fixtures = ['prom2teams', 'prometheus-msteams'].flatMap((dir) =>
  readdirSync(ROOT + dir)
    .filter((name) => name.endsWith('.json'))
    .map((name) => `${dir}/${name}`),
);
const load = (path: string): unknown => JSON.parse(readFileSync(ROOT + path, 'utf8'));

function accepted(path: string) {
  const result = parseAlertmanagerWebhook(load(path));
  if (!result.ok) throw new Error(`${path} refused: ${result.error}`);
  return result;
}

describe('an Alertmanager webhook body', () => {
  it('is accepted for every fixture, with each of its alerts', () => {
    expect(fixtures).toHaveLength(18);
    for (const path of fixtures) {
      const body = load(path) as { alerts: unknown[] };
      const result = accepted(path);
      expect(result.alerts, path).toHaveLength(body.alerts.length);
      for (const alert of result.alerts) {
        expect(alert.source).toBe('alertmanager');
        expect(['firing', 'resolved']).toContain(alert.status);
        expect(alert.fingerprint).toMatch(/^[0-9a-f]{16}$/);
      }
    }
  });

  it('reads a complete alert into its normalized fields without a warning', () => {
    const result = accepted('prom2teams/all_ok_extra_annotations.json');
    expect(result.warnings).toEqual([]);
    expect(result.meta).toMatchObject({ version: '4', receiver: 'test_webhook', status: 'resolved', externalURL: 'my.prometheusalertmanager.url' });
    expect(result.alerts[0]).toEqual({
      source: 'alertmanager',
      format: 'alertmanager-webhook',
      status: 'resolved',
      name: 'DiskSpace',
      severity: 'severe',
      labels: { alertname: 'DiskSpace', device: 'rootfs', fstype: 'rootfs', instance: 'cs30.evilcorp', mountpoint: '/', severity: 'severe' },
      annotations: {
        description: 'disk usage 93% on rootfs device',
        summary: 'Disk usage alert on CS30.evilcorp',
        runbook_url: 'https://cs30-evilcorp-runbooks.com/rootfs-device-high-disk-usage',
        message: 'Evil Corp has a strict SLO regarding customer-facing outages involving the rootfs device',
      },
      summary: 'Disk usage alert on CS30.evilcorp',
      description: 'disk usage 93% on rootfs device',
      runbookURL: 'https://cs30-evilcorp-runbooks.com/rootfs-device-high-disk-usage',
      startsAt: '2017-05-09T07:01:37.803Z',
      endsAt: '2017-05-09T07:08:37.818Z',
      generatorURL: 'my.prometheusserver.url',
      fingerprint: 'dd19ae3d4e06ac55',
      externalURL: 'my.prometheusalertmanager.url',
    });
  });

  it('picks the service, namespace and pod out of Kubernetes labels', () => {
    const [alert] = accepted('prom2teams/with_common_items.json').alerts;
    expect(alert).toMatchObject({ name: 'CPUThrottlingHigh', namespace: 'monitoring', pod: 'alertmanager-ot-mon-prometheus-operator-alertmanager-0', severity: 'warning' });
    expect(alert?.description).toMatch(/^27% throttling of CPU/);
    expect(accepted('prom2teams/all_ok_extra_labels.json').alerts[0]?.service).toBe('fsociety');
  });

  it('accepts an alert missing its alertname and status, saying so', () => {
    const result = accepted('prom2teams/without_mandatory_field.json');
    expect(result.alerts).toHaveLength(1);
    expect(result.alerts[0]).toMatchObject({ name: 'unnamed alert', status: 'firing', fingerprint: 'dd19ae3d4e06ac55' });
    expect(result.warnings).toEqual([
      'alerts[0].labels.alertname: missing; the alert is called "unnamed alert"',
      'alerts[0].status: missing; firing (no status anywhere)',
    ]);
  });

  it("takes a missing alert status from the body's status", () => {
    const result = accepted('prometheus-msteams/alert__testdata__prom_post_request_2_alerts.json');
    expect(result.alerts.map((alert) => alert.status)).toEqual(['firing', 'firing']);
    expect(result.warnings).toContain(`alerts[0].status: missing; firing (the body's status)`);
  });

  it('reads no end from Go’s zero time, and keeps nanosecond times to the millisecond in UTC', () => {
    const [alert] = accepted('prometheus-msteams/pkg_card_testdata__prom_post_request.json').alerts;
    expect(alert?.startsAt).toBe('2018-03-07T11:33:21.873Z');
    expect(alert?.endsAt).toBeUndefined();
  });

  it('fingerprints an alert sent without one by its labels', () => {
    const [alert] = accepted('prom2teams/without_fingerprint.json').alerts;
    expect(alert?.fingerprint).toBe(labelsFingerprint(alert?.labels ?? {}));
    expect(accepted('prom2teams/without_optional_field.json').warnings).toEqual([]);
  });

  it('gives a second alert with a reused fingerprint but other labels its own, so dedup cannot fold it away', () => {
    const result = accepted('prom2teams/all_ok_multiple.json');
    const [first, second] = result.alerts;
    expect(first?.fingerprint).toBe('dd19ae3d4e06ac55');
    expect(second?.fingerprint).toBe(labelsFingerprint(second?.labels ?? {}));
    expect(result.warnings).toEqual([expect.stringMatching(/^alerts\[1\]\.fingerprint: "dd19ae3d4e06ac55" already names an alert with other labels/)]);
  });

  it('lays the common labels and annotations under each alert’s own', () => {
    const result = accepted('prometheus-msteams/pkg__card__testdata__Test_templatedCard_Convert__disable_grouping__prom_post_request.json');
    expect(result.alerts[0]?.annotations).toEqual({ summary: 'Server High Memory usage', runbook: 'https://github.com/bzon/prometheus-msteams', description: '10.80.40.11 reported high memory usage with 23.28%.' });
    expect(result.alerts[0]?.runbookURL).toBe('https://github.com/bzon/prometheus-msteams');
  });

  it('keeps odd label values as text, with a warning, rather than refusing the body', () => {
    const result = parseAlertmanagerWebhook({ version: '4', status: 'firing', alerts: [{ status: 'firing', labels: { alertname: 'X', code: 500, nested: { a: 1 } } }, null] });
    expect(result.ok && result.alerts[0]?.labels).toEqual({ alertname: 'X', code: '500' });
    expect(result.ok && result.warnings).toEqual([
      'alerts[0].labels.code: number 500 kept as text',
      'alerts[0].labels.nested: expected a string, got an object; dropped',
      'alerts[1]: expected an alert object, got null; skipped',
    ]);
  });

  it('is refused, saying why, when the body is not a version 4 webhook at all', () => {
    expect(parseAlertmanagerWebhook('hello')).toEqual({ ok: false, error: 'not an Alertmanager webhook body (version 4): expected a JSON object, got "hello"' });
    expect(parseAlertmanagerWebhook([])).toEqual({ ok: false, error: 'not an Alertmanager webhook body (version 4): expected a JSON object, got an array' });
    expect(parseAlertmanagerWebhook({ text: 'hi' })).toEqual({ ok: false, error: 'not an Alertmanager webhook body (version 4): no "alerts" array' });
    expect(parseAlertmanagerWebhook({ version: '3', alerts: [] })).toEqual({ ok: false, error: 'not an Alertmanager webhook body (version 4): version "3" is not supported' });
    expect(parseAlertmanagerWebhook({ version: '1', orgId: 1, alerts: [] })).toEqual({
      ok: false,
      error: 'not an Alertmanager webhook body (version 4): version "1" is not supported (Grafana alerting posts version "1": use /webhooks/grafana)',
    });
  });

  it('accepts a body without a version, saying it was read as version 4', () => {
    const result = parseAlertmanagerWebhook({ status: 'firing', alerts: [{ status: 'firing', labels: { alertname: 'X' } }] });
    expect(result.ok && result.warnings).toEqual(['version: missing; read as an Alertmanager webhook body (version 4)']);
  });
});
