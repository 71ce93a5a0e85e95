import { describe, expect, it } from 'vitest';
import { incidentStats } from '../../src/incidents/incident-stats.ts';
import type { IncidentTimes } from '../../src/store/incident-repo.ts';

const MIN = 60_000;
const row = (number: number, severity: IncidentTimes['severity'], ack: number | null, resolve: number | null): IncidentTimes => ({
  number,
  severity,
  status: resolve === null ? 'investigating' : 'resolved',
  declaredAt: 0,
  acknowledgedAt: ack,
  mitigatedAt: null,
  resolvedAt: resolve,
});

describe('incident stats', () => {
  it('counts by severity and takes the median and 90th percentile of each duration', () => {
    const stats = incidentStats([row(1, 'P1', 2 * MIN, 60 * MIN), row(2, 'P1', 4 * MIN, 30 * MIN), row(3, 'P1', 30 * MIN, null), row(4, 'P3', null, null)], 0);
    expect(stats.total).toBe(4);
    const p1 = stats.bySeverity.find((s) => s.severity === 'P1')!;
    expect(p1).toMatchObject({ declared: 3, open: 1, toAcknowledge: { count: 3, medianMs: 4 * MIN, p90Ms: 30 * MIN }, toResolve: { count: 2, medianMs: 30 * MIN, p90Ms: 60 * MIN }, toMitigate: { count: 0, medianMs: null } });
    expect(stats.bySeverity.find((s) => s.severity === 'P3')).toMatchObject({ declared: 1, open: 1, toAcknowledge: { count: 0 } });
    expect(stats.bySeverity.find((s) => s.severity === 'P2')).toMatchObject({ declared: 0 });
  });
});
