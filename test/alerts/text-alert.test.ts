import { describe, expect, it } from 'vitest';
import { parseSlackAlertMessage } from '../../src/alerts/slack-alert-message.ts';

/** Plain text in an alert channel, from a person or a bot opsbot does not know: always an alert. */

const alertOf = (message: Parameters<typeof parseSlackAlertMessage>[0]) => {
  const result = parseSlackAlertMessage(message);
  expect(result.format).toBe('text');
  return result.alerts[0];
};

describe('a plain text message in an alert channel', () => {
  it('is a firing alert named by its first line, with the rest as its description', () => {
    expect(alertOf({ text: 'Checkout API is returning 502s\nStarted after the 14:00 deploy', user: 'U1', ts: '1715677920.000100' })).toMatchObject({
      source: 'slack',
      status: 'firing',
      name: 'Checkout API is returning 502s',
      labels: { alertname: 'Checkout API is returning 502s' },
      summary: 'Checkout API is returning 502s',
      description: 'Started after the 14:00 deploy',
      startsAt: '2024-05-14T09:12:00.000Z',
    });
  });

  it('leaves mentions, emoji, status markers and priority tags out of the name, and reads the severity from them', () => {
    expect(alertOf({ text: '<!here> :rotating_light: [P1] payments failing in prod' })).toMatchObject({ name: 'payments failing in prod', severity: 'critical', status: 'firing' });
    expect(alertOf({ text: '*CRITICAL:* disk almost full on db-1' })).toMatchObject({ name: 'disk almost full on db-1', severity: 'critical' });
    expect(alertOf({ text: 'queue lag growing, severity: warning' })?.severity).toBe('warning');
    expect(alertOf({ text: 'SEV2 - search latency up' })).toMatchObject({ name: 'search latency up', severity: 'error' });
  });

  it("reads a person's [FIRING] line as prose, not as Alertmanager's subject", () => {
    expect(alertOf({ text: '[FIRING] api latency high', user: 'U1' })).toMatchObject({ name: 'api latency high', status: 'firing' });
  });

  it('does not take "high" or "errors" in running text for a severity', () => {
    expect(alertOf({ text: 'High CPU on api, 5xx errors rising' })?.severity).toBeUndefined();
  });

  it('is resolved when it says so, and names the same alert as the message it resolves', () => {
    const down = alertOf({ text: 'Checkout API is down\nnamespace: shop service=checkout' });
    const up = alertOf({ text: ':white_check_mark: Resolved: Checkout API is down\nnamespace: shop service=checkout', ts: '1715678220.000200' });
    expect(up).toMatchObject({ status: 'resolved', name: 'Checkout API is down', endsAt: '2024-05-14T09:17:00.000Z' });
    expect(up?.fingerprint).toBe(down?.fingerprint);
    expect(alertOf({ text: '[OK] nightly backup' })?.status).toBe('resolved');
    expect(alertOf({ text: 'payments back to normal' })?.status).toBe('resolved');
  });

  it('stays firing when it says the problem is not resolved, or says "ok" in a sentence', () => {
    expect(alertOf({ text: 'Checkout still not resolved after restart' })?.status).toBe('firing');
    expect(alertOf({ text: 'is it ok that api pods restart?' })?.status).toBe('firing');
  });

  it('picks up the labels opsbot groups and acts by when written as name: value', () => {
    expect(alertOf({ text: 'Pods crash looping\nnamespace: shop, service=checkout pod=`checkout-7d9f-abc`' })).toMatchObject({
      labels: { alertname: 'Pods crash looping', namespace: 'shop', service: 'checkout', pod: 'checkout-7d9f-abc' },
      namespace: 'shop',
      service: 'checkout',
      pod: 'checkout-7d9f-abc',
    });
  });

  it("reads Slack's escaping and links as people see them", () => {
    expect(alertOf({ text: '5xx &gt; 10% on <https://grafana.example/d/1|api &amp; web>' })?.name).toBe('5xx > 10% on api & web');
  });

  it("is read from an unknown bot's attachment or blocks, the attachment's colour giving the status", () => {
    expect(alertOf({ subtype: 'bot_message', attachments: [{ title: 'Replica lag on db-2', text: 'lag 45s', color: 'good' }] })).toMatchObject({ name: 'Replica lag on db-2', status: 'resolved' });
    expect(alertOf({ blocks: [{ type: 'header', text: { type: 'plain_text', text: 'Cert expires in 3 days' } }, { type: 'section', text: { type: 'mrkdwn', text: 'host: *edge-1*' } }] })).toMatchObject({ name: 'Cert expires in 3 days', description: 'host: *edge-1*' });
  });

  it('is parsed quickly even when written to make regexes backtrack', () => {
    const spaces = ' '.repeat(40_000);
    const started = performance.now();
    const messages = [
      { subtype: 'bot_message', text: `[FIRING:1] a${spaces}(b${spaces}x` },
      { subtype: 'bot_message', text: `[Triggered] a${spaces}b` },
      { attachments: [{ title: '[FIRING:1] X', text: `Firing${spaces}x\n*Alert:* s -${spaces}x\n*Details:*\n • *a:* \`${spaces}x` }] },
      { text: `not${spaces}resolved severity:${spaces}x namespace${spaces}` },
      { text: `not${'-'.repeat(40_000)}x` },
    ];
    for (const message of messages) expect(parseSlackAlertMessage(message).alerts).toHaveLength(1);
    expect(performance.now() - started).toBeLessThan(500);
  });

  it('gives no alert, only a warning, for a message without text', () => {
    expect(parseSlackAlertMessage({ text: '  ' })).toEqual({ format: 'text', alerts: [], warnings: ['the message has no text; no alert'] });
  });
});
