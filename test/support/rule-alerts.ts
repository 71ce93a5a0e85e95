import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parse } from 'yaml';
import type { AlertGroup } from '../../src/alerts/alert.ts';

/**
 * Alerts as Alertmanager would deliver them, built from Prometheus alerting rules: the rule's name,
 * labels and annotations, with the `$labels.x` its annotations use filled in with sample values
 * (and `$value` with a number). Used by the triage tests and the triage bench.
 */

export interface RuleAlert {
  /** Path relative to the rule-set folder. */
  file: string;
  group: string;
  alert: string;
  severity: string | undefined;
  alertGroup: AlertGroup;
}

const SAMPLE_LABELS: Record<string, string> = {
  namespace: 'shop',
  cluster: 'prod-eu',
  pod: 'api-5d8f7c9b6-x2x7k',
  container: 'api',
  deployment: 'api',
  statefulset: 'db',
  daemonset: 'node-agent',
  instance: '10.0.0.12:9100',
  node: 'node-1',
  job: 'node-exporter',
  device: '/dev/sda1',
  mountpoint: '/var',
  persistentvolumeclaim: 'data-db-0',
  persistentvolume: 'pv-data-db-0',
  job_name: 'nightly-report',
  horizontalpodautoscaler: 'api',
  service: 'api',
};

interface RuleDoc {
  alert?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export function loadRuleAlerts(root: string): RuleAlert[] {
  const out: RuleAlert[] = [];
  for (const file of yamlFiles(root)) {
    const doc = parse(readFileSync(file, 'utf8')) as { spec?: { groups?: unknown[] }; groups?: unknown[] } | null;
    const groups = (doc?.spec?.groups ?? doc?.groups ?? []) as Array<{ name?: string; rules?: RuleDoc[] }>;
    for (const group of groups) {
      for (const rule of group.rules ?? []) {
        if (typeof rule.alert !== 'string') continue;
        out.push({ file: relative(root, file), group: group.name ?? '', alert: rule.alert, severity: rule.labels?.severity, alertGroup: alertFromRule(rule as Required<Pick<RuleDoc, 'alert'>> & RuleDoc) });
      }
    }
  }
  return out;
}

export function alertFromRule(rule: { alert: string; labels?: Record<string, string>; annotations?: Record<string, string> }): AlertGroup {
  const annotationsText = Object.values(rule.annotations ?? {}).join(' ');
  const used = [...annotationsText.matchAll(/\$labels\.([a-zA-Z_][a-zA-Z0-9_]*)/g)].map((m) => m[1]!);
  const labels: Record<string, string> = { alertname: rule.alert };
  for (const name of used) labels[name] = SAMPLE_LABELS[name] ?? `sample-${name}`;
  for (const [k, v] of Object.entries(rule.labels ?? {})) labels[k] = String(v);
  const annotations: Record<string, string> = {};
  for (const [k, v] of Object.entries(rule.annotations ?? {})) annotations[k] = render(String(v), labels);
  return {
    key: `{alertname="${rule.alert}"}`,
    commonLabels: labels,
    commonAnnotations: annotations,
    alerts: [{ status: 'firing', labels, annotations, startsAt: '2026-11-21T08:00:00Z' }],
  };
}

function render(template: string, labels: Record<string, string>): string {
  return template
    .replace(/\{\{-?\s*\$labels\.([a-zA-Z_][a-zA-Z0-9_]*)\s*-?\}\}/g, (_m, name: string) => labels[name] ?? '')
    .replace(/\{\{[^}]*\$labels\.([a-zA-Z_][a-zA-Z0-9_]*)[^}]*\}\}/g, (_m, name: string) => labels[name] ?? '')
    .replace(/\{\{[^}]*\}\}/g, '42');
}

function yamlFiles(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) return yamlFiles(path);
      return /\.ya?ml$/.test(name) ? [path] : [];
    });
}
