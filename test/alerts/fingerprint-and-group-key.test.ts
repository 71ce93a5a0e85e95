import { describe, expect, it } from 'vitest';
import { toAlertGroup } from '../../src/alerts/alert-group.ts';
import { normalizeAlert } from '../../src/alerts/alert-fields.ts';
import { labelsFingerprint } from '../../src/alerts/fingerprint.ts';
import { DEFAULT_GROUP_BY, formatLabelSet, groupKey, groupLabelsOf } from '../../src/alerts/group-key.ts';

describe('an alert fingerprint', () => {
  const labels = { alertname: 'KubePodCrashLooping', namespace: 'shop', pod: 'api-1', severity: 'warning' };

  it('is 16 hex characters, the same whatever order the labels come in', () => {
    const reversed = Object.fromEntries(Object.entries(labels).reverse());
    expect(labelsFingerprint(labels)).toMatch(/^[0-9a-f]{16}$/);
    expect(labelsFingerprint(reversed)).toBe(labelsFingerprint(labels));
  });

  it('changes with any label, severity included, as Alertmanager’s does', () => {
    expect(labelsFingerprint({ ...labels, pod: 'api-2' })).not.toBe(labelsFingerprint(labels));
    expect(labelsFingerprint({ ...labels, severity: 'critical' })).not.toBe(labelsFingerprint(labels));
  });

  it('cannot be fooled by moving text between a name and a value', () => {
    expect(labelsFingerprint({ a: 'b,c=d' })).not.toBe(labelsFingerprint({ a: 'b', c: 'd' }));
  });

  it("is the source's own when it sends one", () => {
    const alert = normalizeAlert({ source: 'alertmanager', format: 'alertmanager-webhook', status: 'firing', labels, annotations: {}, fingerprint: 'abcdef0123456789' });
    expect(alert.fingerprint).toBe('abcdef0123456789');
  });
});

describe('a group key', () => {
  it('is alertname, service and namespace by default, sorted, in PromQL notation', () => {
    expect(DEFAULT_GROUP_BY).toEqual(['alertname', 'service', 'namespace']);
    expect(groupKey({ namespace: 'shop', alertname: 'KubePodCrashLooping', service: 'api', pod: 'api-1' })).toBe('{alertname="KubePodCrashLooping",namespace="shop",service="api"}');
  });

  it('finds the service under app, app_kubernetes_io_name or job as playbook matching does', () => {
    expect(groupKey({ alertname: 'X', app: 'api' })).toBe('{alertname="X",service="api"}');
    expect(groupKey({ alertname: 'X', app_kubernetes_io_name: 'api' })).toBe(groupKey({ alertname: 'X', service: 'api' }));
    expect(groupKey({ alertname: 'X', job: 'node-exporter' })).toBe('{alertname="X",service="node-exporter"}');
  });

  it('leaves out labels the alert lacks, and groups by configured labels', () => {
    expect(groupKey({ alertname: 'Watchdog' })).toBe('{alertname="Watchdog"}');
    expect(groupKey({ alertname: 'X', cluster: 'eu', namespace: 'shop' }, ['cluster', 'alertname'])).toBe('{alertname="X",cluster="eu"}');
    expect(groupLabelsOf({ alertname: 'X', pod: 'p' }, ['...'])).toEqual({ alertname: 'X', pod: 'p' });
  });

  it('is the same whatever order the labels come in, and escapes quotes', () => {
    expect(groupKey({ namespace: 'a', alertname: 'B' })).toBe(groupKey({ alertname: 'B', namespace: 'a' }));
    expect(formatLabelSet({ alertname: 'say "hi"\n' })).toBe('{alertname="say \\"hi\\"\\n"}');
  });
});

describe('an alert group for agents', () => {
  it('has the labels and annotations every alert shares as its common ones', () => {
    const a = { status: 'firing' as const, labels: { alertname: 'X', pod: 'a', namespace: 'shop' }, annotations: { summary: 's' } };
    const b = { status: 'resolved' as const, labels: { alertname: 'X', pod: 'b', namespace: 'shop' }, annotations: { summary: 's', description: 'd' } };
    expect(toAlertGroup('{alertname="X"}', [a, b])).toEqual({ key: '{alertname="X"}', commonLabels: { alertname: 'X', namespace: 'shop' }, commonAnnotations: { summary: 's' }, alerts: [a, b] });
  });
});
