import { describe, expect, it } from 'vitest';
import { parseGrafanaWebhook } from '../../src/alerts/grafana-webhook.ts';

/**
 * Grafana alerting's webhook contact point. No Grafana fixture exists in ../shared; the body
 * below is cut down from the example JSON body in Grafana's "Webhook notifier" docs
 * (https://grafana.com/docs/grafana/latest/alerting/configure-notifications/manage-contact-points/integrations/webhook-notifier/):
 * its first alert as shown (with `values`, Grafana 9.3+), its second with `valueString` as the
 * 9.x docs show it, resolved here to cover that status; group fields as documented (version "1",
 * orgId, title, state, message — the message shortened).
 */
const documented = {
  receiver: 'My Super Webhook',
  status: 'firing',
  orgId: 1,
  alerts: [
    {
      status: 'firing',
      labels: { alertname: 'High memory usage', team: 'blue', zone: 'us-1' },
      annotations: {
        description: 'The system has high memory usage',
        runbook_url: 'https://myrunbook.com/runbook/1234',
        summary: 'This alert was triggered for zone us-1',
      },
      startsAt: '2021-10-12T09:51:03.157076+02:00',
      endsAt: '0001-01-01T00:00:00Z',
      generatorURL: 'https://play.grafana.org/alerting/1afz29v7z/edit',
      fingerprint: 'c6eadffa33fcdf37',
      silenceURL: 'https://play.grafana.org/alerting/silence/new?alertmanager=grafana&matchers=alertname%3DT2%2Cteam%3Dblue%2Czone%3Dus-1',
      dashboardURL: '',
      panelURL: '',
      values: { B: 44.23943737541908, C: 1 },
    },
    {
      status: 'resolved',
      labels: { alertname: 'High CPU usage', team: 'blue', zone: 'eu-1' },
      annotations: { description: 'The system has high CPU usage', summary: 'This alert was triggered for zone eu-1' },
      startsAt: '2021-10-12T09:56:03.157076+02:00',
      endsAt: '2021-10-12T10:01:03.157076+02:00',
      generatorURL: 'https://play.grafana.org/alerting/d1rdpdv7k/edit',
      fingerprint: 'bc97ff14869b13e3',
      dashboardURL: 'https://play.grafana.org/d/abc',
      panelURL: 'https://play.grafana.org/d/abc?viewPanel=2',
      valueString: "[ metric='' labels={} value=47043.702386305304 ]",
    },
  ],
  groupLabels: {},
  commonLabels: { team: 'blue' },
  commonAnnotations: {},
  externalURL: 'https://play.grafana.org/',
  version: '1',
  groupKey: '{}:{}',
  truncatedAlerts: 0,
  title: '[FIRING:2] (blue)',
  state: 'alerting',
  message: '**Firing**\n\nLabels:\n - alertname = T2\n - team = blue\n',
};

describe('a Grafana alerting webhook body', () => {
  it('is accepted as Grafana alerts with their URLs and values, without a warning', () => {
    const result = parseGrafanaWebhook(documented);
    if (!result.ok) throw new Error(result.error);
    expect(result.warnings).toEqual([]);
    expect(result.meta).toMatchObject({ version: '1', orgId: 1, title: '[FIRING:2] (blue)', state: 'alerting', status: 'firing', externalURL: 'https://play.grafana.org/' });
    const [memory, cpu] = result.alerts;
    expect(memory).toMatchObject({
      source: 'grafana',
      format: 'grafana-webhook',
      status: 'firing',
      name: 'High memory usage',
      summary: 'This alert was triggered for zone us-1',
      runbookURL: 'https://myrunbook.com/runbook/1234',
      fingerprint: 'c6eadffa33fcdf37',
      generatorURL: 'https://play.grafana.org/alerting/1afz29v7z/edit',
      silenceURL: 'https://play.grafana.org/alerting/silence/new?alertmanager=grafana&matchers=alertname%3DT2%2Cteam%3Dblue%2Czone%3Dus-1',
      value: 'B=44.23943737541908, C=1',
      startsAt: '2021-10-12T07:51:03.157Z',
    });
    expect(memory?.dashboardURL).toBeUndefined();
    expect(memory?.endsAt).toBeUndefined();
    expect(cpu).toMatchObject({
      status: 'resolved',
      name: 'High CPU usage',
      value: "[ metric='' labels={} value=47043.702386305304 ]",
      dashboardURL: 'https://play.grafana.org/d/abc',
      panelURL: 'https://play.grafana.org/d/abc?viewPanel=2',
      endsAt: '2021-10-12T08:01:03.157Z',
    });
  });

  it('also reads an Alertmanager version 4 body posted to it', () => {
    const result = parseGrafanaWebhook({ ...documented, version: '4' });
    expect(result.ok && result.alerts).toHaveLength(2);
  });

  it('refuses legacy Grafana alerting and bodies without alerts, saying why', () => {
    expect(parseGrafanaWebhook({ ruleName: 'CPU', state: 'alerting', evalMatches: [] })).toEqual({
      ok: false,
      error: 'not a Grafana alerting webhook body: this is legacy Grafana alerting (ruleName, evalMatches); use a unified alerting webhook contact point',
    });
    expect(parseGrafanaWebhook({ version: '1', title: 'x' })).toEqual({ ok: false, error: 'not a Grafana alerting webhook body (version 1): no "alerts" array' });
  });
});
