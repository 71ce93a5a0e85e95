import { SEVERITIES, type Severity } from '../config/policy-schema.ts';
import type { IncidentTimes } from '../store/incident-repo.ts';

/** Incidents declared in a window, by severity: how many, how many still open, and how fast they were handled. */

export interface DurationSummary {
  count: number;
  medianMs: number | null;
  p90Ms: number | null;
}

export interface SeverityStats {
  severity: Severity;
  declared: number;
  open: number;
  toAcknowledge: DurationSummary;
  toMitigate: DurationSummary;
  toResolve: DurationSummary;
}

export interface IncidentStats {
  since: number;
  total: number;
  bySeverity: SeverityStats[];
}

export function incidentStats(rows: readonly IncidentTimes[], since: number): IncidentStats {
  const bySeverity = SEVERITIES.map((severity): SeverityStats => {
    const mine = rows.filter((r) => r.severity === severity);
    const spans = (pick: (r: IncidentTimes) => number | null) => summarize(mine.flatMap((r) => (pick(r) === null ? [] : [pick(r)! - r.declaredAt])));
    return {
      severity,
      declared: mine.length,
      open: mine.filter((r) => r.status !== 'resolved').length,
      toAcknowledge: spans((r) => r.acknowledgedAt),
      toMitigate: spans((r) => r.mitigatedAt),
      toResolve: spans((r) => r.resolvedAt),
    };
  });
  return { since, total: rows.length, bySeverity };
}

function summarize(values: number[]): DurationSummary {
  if (values.length === 0) return { count: 0, medianMs: null, p90Ms: null };
  const sorted = [...values].sort((a, b) => a - b);
  return { count: sorted.length, medianMs: percentile(sorted, 0.5), p90Ms: percentile(sorted, 0.9) };
}

/** Nearest-rank percentile of sorted values. */
function percentile(sorted: number[], p: number): number {
  const rank = Math.max(1, Math.ceil(p * sorted.length));
  return sorted[rank - 1]!;
}
