import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseSlackAlertMessage, type SlackAlertMessage } from '../../src/alerts/slack-alert-message.ts';
import { labelsFingerprint } from '../../src/alerts/fingerprint.ts';
import {
  asMessageEvent,
  examples,
  PORTED,
  PORTED_EXAMPLES,
  slackPost,
  subject,
  templateData,
  type TemplateAlert,
} from '../support/alertmanager-slack-message.ts';

/**
 * Messages in an alert channel. Alertmanager's are rendered from its default Slack templates and
 * the receivers of its notification_examples.md (test/support/alertmanager-slack-message.ts);
 * Grafana's, Datadog's and the `*Alert:*` template's are written here after their templates, as
 * each case says.
 */

const TEMPLATES = fileURLToPath(new URL('../fixtures/alertmanager/slack-templates/', import.meta.url));

/** The InstanceDown rule of notification_examples.md, firing for `instance`. */
function instanceDown(instance: string, status: 'firing' | 'resolved' = 'firing', extra: Record<string, string> = {}): TemplateAlert {
  return {
    status,
    labels: { alertname: 'InstanceDown', app: 'api', env: 'prod', instance, job: 'node', severity: 'page', ...extra },
    annotations: { description: `${instance} of job node has been down for more than 5 minutes.`, summary: `Instance ${instance} down` },
    generatorURL: 'http://prometheus.example:9090/graph?g0.expr=up+%3D%3D+0',
  };
}

const data = (alerts: TemplateAlert[], groupBy = ['alertname']) =>
  templateData({ receiver: 'team-x', externalURL: 'http://alertmanager.example:9093', groupBy, alerts });

const parse = (message: SlackAlertMessage) => parseSlackAlertMessage(message);

describe('the Slack templates ported from Alertmanager', () => {
  it('are still the definitions in default.tmpl and notification_examples.md', () => {
    const tmpl = readFileSync(`${TEMPLATES}default.tmpl`, 'utf8');
    for (const definition of Object.values(PORTED)) expect(tmpl).toContain(definition);
    const examplesDoc = readFileSync(`${TEMPLATES}notification_examples.md`, 'utf8');
    for (const example of Object.values(PORTED_EXAMPLES)) expect(examplesDoc).toContain(example);
  });

  it('render the subject with the firing count, group values and the other common values', () => {
    expect(subject(data([instanceDown('10.0.0.1:9100'), instanceDown('10.0.0.2:9100')]))).toBe('[FIRING:2] InstanceDown (api prod node page)');
    expect(slackPost(data([instanceDown('10.0.0.1:9100', 'resolved')]), {}).attachments[0]).toMatchObject({
      title: '[RESOLVED] InstanceDown (api prod 10.0.0.1:9100 node page)',
      title_link: 'http://alertmanager.example:9093/#/alerts?receiver=team-x',
      color: 'good',
    });
  });
});

describe("a message from Alertmanager's Slack receiver with the default templates", () => {
  const firing = data([instanceDown('10.0.0.1:9100'), instanceDown('10.0.0.2:9100')]);
  const resolved = data([instanceDown('10.0.0.1:9100', 'resolved'), instanceDown('10.0.0.2:9100', 'resolved')]);

  it('is one firing alert named by its title, with the count and the values the title shows', () => {
    const result = parse(asMessageEvent(slackPost(firing), '1715677920.000100'));
    expect(result.format).toBe('alertmanager-slack');
    expect(result.warnings).toEqual([]);
    expect(result.alerts).toHaveLength(1);
    expect(result.alerts[0]).toMatchObject({
      source: 'slack',
      status: 'firing',
      name: 'InstanceDown',
      labels: { alertname: 'InstanceDown' },
      unkeyedLabelValues: ['api', 'prod', 'node', 'page'],
      count: 2,
      summary: 'InstanceDown (api prod node page)',
      externalURL: 'http://alertmanager.example:9093/#/alerts?receiver=team-x',
      startsAt: '2024-05-14T09:12:00.000Z',
    });
  });

  it('is resolved by its [RESOLVED] message, which names the same alert', () => {
    const [up] = parse(asMessageEvent(slackPost(resolved), '1715678220.000200')).alerts;
    const [down] = parse(asMessageEvent(slackPost(firing))).alerts;
    expect(up).toMatchObject({ status: 'resolved', name: 'InstanceDown', endsAt: '2024-05-14T09:17:00.000Z' });
    expect(up?.fingerprint).toBe(down?.fingerprint);
  });

  it('tells apart groups whose titles show other values', () => {
    const web = data([instanceDown('10.0.0.3:9100', 'firing', { app: 'web' }), instanceDown('10.0.0.4:9100', 'firing', { app: 'web' })]);
    const [api] = parse(asMessageEvent(slackPost(firing))).alerts;
    const [other] = parse(asMessageEvent(slackPost(web))).alerts;
    expect(other?.unkeyedLabelValues).toEqual(['web', 'prod', 'node', 'page']);
    expect(other?.fingerprint).not.toBe(api?.fingerprint);
  });

  it('is read from the fallback when a receiver replaced the title (notification_examples: ranging over all alerts)', () => {
    const post = slackPost(firing, { title: examples.rangeTitle, text: examples.rangeText });
    expect(post.attachments[0]?.title).toBe('Instance 10.0.0.1:9100 down\nInstance 10.0.0.2:9100 down\n');
    const [alert] = parse(asMessageEvent(post)).alerts;
    expect(alert).toMatchObject({ status: 'firing', name: 'InstanceDown', count: 2 });
  });

  it("reads the summary and description a receiver writes into the text (notification_examples: CommonAnnotations)", () => {
    const one = data([instanceDown('10.0.0.1:9100')]);
    const [alert] = parse(asMessageEvent(slackPost(one, { text: examples.annotationsText }))).alerts;
    expect(alert).toMatchObject({
      name: 'InstanceDown',
      summary: 'Instance 10.0.0.1:9100 down',
      description: '10.0.0.1:9100 of job node has been down for more than 5 minutes.',
    });
  });

  it("takes a text that is only a link as the alert's runbook (notification_examples: the wiki link)", () => {
    const one = data([instanceDown('10.0.0.1:9100', 'firing', { datacenter: 'dc1' })], ['alertname', 'datacenter', 'app']);
    const post = slackPost(one, { text: examples.wikiText });
    expect(post.attachments[0]?.title).toBe('[FIRING:1] InstanceDown api dc1 (prod 10.0.0.1:9100 node page)');
    const [alert] = parse(asMessageEvent(post)).alerts;
    expect(alert).toMatchObject({ name: 'InstanceDown', unkeyedLabelValues: ['api', 'dc1', 'prod', '10.0.0.1:9100', 'node', 'page'], runbookURL: 'https://internal.myorg.net/wiki/alerts/api/InstanceDown' });
  });
});

describe('a message listing its alerts in the text', () => {
  /**
   * The Slack template copied into many alertmanager.yml files (not in the fixtures; its shape:
   * `*Alert:* {{ .Annotations.summary }} - \`{{ .Labels.severity }}\`` / `*Description:*` /
   * `*Details:*` with ` • *{{ .Name }}:* \`{{ .Value }}\`` per label), rendered here by hand.
   */
  function alertLines(alerts: TemplateAlert[]): string {
    return alerts
      .map((a) =>
        [
          `*Alert:* ${a.annotations.summary} - \`${a.labels.severity}\``,
          `*Description:* ${a.annotations.description}`,
          '*Details:*',
          ...Object.keys(a.labels)
            .sort()
            .map((name) => `  • *${name}:* \`${a.labels[name]}\``),
        ].join('\n'),
      )
      .join('\n\n');
  }

  it('becomes one alert per listed alert, with its labels, severity and summary (the *Alert:* template)', () => {
    const group = data([instanceDown('10.0.0.1:9100'), instanceDown('10.0.0.2:9100')]);
    const result = parse(asMessageEvent(slackPost(group, { text: (d) => alertLines(d.alerts) })));
    expect(result.alerts).toHaveLength(2);
    expect(result.alerts.map((a) => [a.name, a.status, a.severity, a.summary, a.labels.instance])).toEqual([
      ['InstanceDown', 'firing', 'page', 'Instance 10.0.0.1:9100 down', '10.0.0.1:9100'],
      ['InstanceDown', 'firing', 'page', 'Instance 10.0.0.2:9100 down', '10.0.0.2:9100'],
    ]);
    // Labels known: fingerprinted as a webhook alert without a fingerprint would be.
    expect(result.alerts[0]?.fingerprint).toBe(labelsFingerprint(instanceDown('10.0.0.1:9100').labels));
    expect(result.alerts[0]?.description).toBe('10.0.0.1:9100 of job node has been down for more than 5 minutes.');
  });

  /**
   * Grafana's Slack contact point with its default templates (assumed: the attachment's title is
   * default.title, the same subject as Alertmanager's; its text default.message, whose shape the
   * `message` field of Grafana's webhook docs shows; footer "Grafana v…").
   */
  const grafana = (status: 'Firing' | 'Resolved'): SlackAlertMessage => ({
    subtype: 'bot_message',
    username: 'grafana',
    ts: '1715677920.000100',
    attachments: [
      {
        title: status === 'Firing' ? '[FIRING:1] HighCPU api (blue)' : '[RESOLVED] HighCPU api (blue)',
        title_link: 'https://grafana.example/alerting/list',
        text: [
          `**${status}**`,
          '',
          'Value: B=92.5',
          'Labels:',
          ' - alertname = HighCPU',
          ' - namespace = shop',
          ' - service = api',
          ' - team = blue',
          'Annotations:',
          ' - summary = CPU above 90% for 5m',
          'Source: https://grafana.example/alerting/grafana/abc123/view',
          'Silence: https://grafana.example/alerting/silence/new?alertmanager=grafana&matchers=alertname%3DHighCPU',
          'Dashboard: https://grafana.example/d/xyz',
          '',
        ].join('\n'),
        footer: 'Grafana v10.4.1',
        color: status === 'Firing' ? '#D63232' : '#36a64f',
      },
    ],
  });

  it("becomes Grafana's alerts with their labels, value and links", () => {
    const result = parse(grafana('Firing'));
    expect(result.format).toBe('grafana-slack');
    expect(result.alerts).toHaveLength(1);
    expect(result.alerts[0]).toMatchObject({
      status: 'firing',
      name: 'HighCPU',
      service: 'api',
      namespace: 'shop',
      summary: 'CPU above 90% for 5m',
      value: 'B=92.5',
      generatorURL: 'https://grafana.example/alerting/grafana/abc123/view',
      silenceURL: 'https://grafana.example/alerting/silence/new?alertmanager=grafana&matchers=alertname%3DHighCPU',
      dashboardURL: 'https://grafana.example/d/xyz',
      externalURL: 'https://grafana.example/alerting/list',
    });
  });

  it("is resolved by Grafana's resolution, the same alert", () => {
    const [down] = parse(grafana('Firing')).alerts;
    const [up] = parse(grafana('Resolved')).alerts;
    expect(up?.status).toBe('resolved');
    expect(up?.fingerprint).toBe(down?.fingerprint);
  });

  it('takes each alert’s status from the section it is listed under', () => {
    const text = ['Alerts Firing:', 'Labels:', ' - alertname = DiskFull', ' - instance = a', 'Annotations:', 'Source: http://p/graph', 'Alerts Resolved:', 'Labels:', ' - alertname = DiskFull', ' - instance = b', 'Annotations:', 'Source: http://p/graph'].join('\n');
    const result = parse({ attachments: [{ title: '[FIRING:1] DiskFull', text }] });
    expect(result.alerts.map((a) => [a.labels.instance, a.status, a.generatorURL])).toEqual([
      ['a', 'firing', 'http://p/graph'],
      ['b', 'resolved', 'http://p/graph'],
    ]);
  });
});

describe("a Datadog monitor's post", () => {
  // Shapes assumed from Datadog's monitor notification docs: `[Transition (on {scope})] monitor name`, optionally after `[P1]`.
  it('is a firing alert named after the monitor, its scope tags as labels', () => {
    const result = parse({ username: 'Datadog', attachments: [{ title: '[Triggered on {host:web-1,env:prod}] High CPU on web', text: 'CPU is at 97% @slack-alerts' }] });
    expect(result.format).toBe('datadog-slack');
    expect(result.alerts[0]).toMatchObject({ status: 'firing', name: 'High CPU on web', severity: 'critical', labels: { alertname: 'High CPU on web', host: 'web-1', env: 'prod', severity: 'critical' }, description: 'CPU is at 97% @slack-alerts' });
  });

  it('is resolved by its [Recovered] post, the same alert', () => {
    const [down] = parse({ attachments: [{ title: '[Triggered on {host:web-1,env:prod}] High CPU on web' }] }).alerts;
    const [up] = parse({ attachments: [{ title: '[Recovered on {host:web-1,env:prod}] High CPU on web' }] }).alerts;
    expect(up?.status).toBe('resolved');
    expect(up?.fingerprint).toBe(down?.fingerprint);
  });

  it("takes its severity from the monitor's priority before its threshold", () => {
    expect(parse({ subtype: 'bot_message', text: '[P2] [Warn] Disk filling on db-1' }).alerts[0]).toMatchObject({ name: 'Disk filling on db-1', severity: 'error', status: 'firing' });
    expect(parse({ subtype: 'bot_message', text: '[No Data] Heartbeat of batch' }).alerts[0]?.severity).toBeUndefined();
  });
});
