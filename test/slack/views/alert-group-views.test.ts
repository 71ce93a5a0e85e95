import { describe, expect, it } from 'vitest';
import { normalizeAlert } from '../../../src/alerts/alert-fields.ts';
import type { NormalizedAlert } from '../../../src/alerts/alert.ts';
import { validateBlocks } from '../../../src/local/emulator/index.ts';
import { alertGroupDetails, alertGroupMessage } from '../../../src/slack/views/alert-group-views.ts';
import type { StoredAlert, StoredAlertGroup } from '../../../src/store/alert-group-repo.ts';

/** The group message and its thread details as people see them, with alert text that is not to be trusted. */

const AT = Date.parse('2026-03-02T09:30:00Z');

function group(patch: Partial<StoredAlertGroup> = {}): StoredAlertGroup {
  return {
    id: 3,
    groupId: 'AG-3',
    key: '{alertname="KubePodCrashLooping",namespace="shop",service="api"}',
    channel: 'C0ALERTS',
    labels: { alertname: 'KubePodCrashLooping', namespace: 'shop', service: 'api' },
    state: { firstSeenAt: AT, alerts: [], notifiedFiring: [], notifiedResolved: [], triaged: false },
    status: 'firing',
    notifyAt: null,
    version: 1,
    postedVersion: 0,
    messageTs: null,
    detailsTs: null,
    triage: 'due',
    triageNote: null,
    triagedAt: null,
    triageOutcome: null,
    suggestion: null,
    acknowledgedBy: null,
    acknowledgedAt: null,
    incidentId: null,
    createdAt: AT,
    updatedAt: AT,
    ...patch,
  };
}

function stored(alert: NormalizedAlert): StoredAlert {
  return { groupId: 3, fingerprint: alert.fingerprint, status: alert.status, alert, firstSeenAt: AT, lastSeenAt: AT, received: 1 };
}

const alert = (pod: string, annotations: Record<string, string> = {}, status: 'firing' | 'resolved' = 'firing') =>
  stored(
    normalizeAlert({
      source: 'alertmanager',
      format: 'alertmanager-webhook',
      status,
      labels: { alertname: 'KubePodCrashLooping', namespace: 'shop', service: 'api', pod, severity: 'critical' },
      annotations,
      generatorURL: 'http://prometheus.example:9090/graph?g0.expr=up',
    }),
  );

const options = { silenceDurationsMs: [3_600_000, 14_400_000, 86_400_000], commandPrefix: '/ops' };
const flat = (message: { text: string; blocks?: unknown[] }) => `${message.text}\n${JSON.stringify(message.blocks ?? [])}`;

describe('an alert group message', () => {
  it('names the group, its severity and counts, with Acknowledge, Declare incident and Silence buttons running commands', () => {
    const message = alertGroupMessage(group(), [alert('api-1'), alert('api-2', {}, 'resolved')], { ...options, prefix: '[auto-ops]' });
    expect(message.text).toBe('[auto-ops] 🔥 [FIRING:1] KubePodCrashLooping · api · shop');
    expect(validateBlocks(message.blocks ?? [], 'message')).toEqual([]);
    const actions = (message.blocks ?? []).find((b) => b.type === 'actions') as { elements: Array<{ action_id: string; value: string }> };
    expect(actions.elements.map((e) => [e.action_id, e.value])).toEqual([
      ['ops.run:alert-ack-3', 'alerts ack AG-3'],
      ['ops.run:alert-incident-3', 'alerts declare AG-3'],
      ['ops.run:alert-silence-1h-3', 'alerts silence AG-3 1h'],
      ['ops.run:alert-silence-4h-3', 'alerts silence AG-3 4h'],
      ['ops.run:alert-silence-24h-3', 'alerts silence AG-3 24h'],
    ]);
    expect(flat(message)).toContain('*Severity:* critical');
    expect(flat(message)).toContain('1 firing, 1 resolved');
  });

  it('shows who acknowledged, the incident and the suggested playbook; a resolved group has no buttons', () => {
    const acked = alertGroupMessage(group({ acknowledgedBy: 'U0ALICE', acknowledgedAt: AT, incidentId: 'INC-4', suggestion: { label: 'Run pod-crash-looping', command: 'playbook run pod-crash-looping namespace=shop pod=api-1 alert=AG-3' } }), [alert('api-1')], options);
    const ids = ((acked.blocks ?? []).find((b) => b.type === 'actions') as { elements: Array<{ action_id: string; value: string }> }).elements.map((e) => e.action_id);
    expect(ids).toEqual(['ops.run:alert-silence-1h-3', 'ops.run:alert-silence-4h-3', 'ops.run:alert-silence-24h-3', 'ops.run:alert-playbook-3']);
    expect(flat(acked)).toContain('Acknowledged by <@U0ALICE>');
    expect(flat(acked)).toContain('Incident *INC-4*');
    const resolved = alertGroupMessage(group({ status: 'resolved' }), [alert('api-1', {}, 'resolved')], options);
    expect(resolved.text).toBe('✅ [RESOLVED] KubePodCrashLooping · api · shop');
    expect((resolved.blocks ?? []).some((b) => b.type === 'actions')).toBe(false);
  });

  it('never lets alert text mention people or link anywhere but http(s)', () => {
    const hostile = alert('api-1', { summary: '<!channel> pay <https://evil.example|here> & `rm -rf`', runbook_url: 'javascript:alert(1)' });
    const text = flat(alertGroupMessage(group(), [hostile], options)) + flat(alertGroupDetails(group(), [hostile], options));
    expect(text).not.toContain('<!channel>');
    expect(text).toContain('&lt;!channel&gt;');
    expect(text).not.toContain('<https://evil.example');
    expect(text).not.toContain('javascript:');
    expect(text).toContain('<http://prometheus.example:9090/graph?g0.expr=up|Source>');
  });

  it('lists at most 20 alerts in the thread, firing first, and says where the rest are', () => {
    const alerts = [alert('old', {}, 'resolved'), ...Array.from({ length: 30 }, (_, i) => alert(`api-${i}`))];
    const details = alertGroupDetails(group(), alerts, options);
    expect(validateBlocks(details.blocks ?? [], 'message')).toEqual([]);
    expect(details.text).toBe('Alerts in AG-3: 30 firing, 1 resolved');
    const text = flat(details);
    expect(text).toContain('pod=api-0');
    expect(text).not.toContain('pod=old');
    expect(text).toContain('…and 11 more: `/ops alerts show AG-3`');
  });
});
