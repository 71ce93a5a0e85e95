/**
 * The offline triage over two public rule sets, each rule built into an alert from its name,
 * labels and annotations (test/support/rule-alerts.ts), against tables hand-labelled before the
 * classifier was tuned (test/fixtures/triage-expectations/). Reports category, remediation and
 * both-matching rates, and whether the severity mapping held for every rule.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { severityFromAlert } from '../src/agents/taxonomy.ts';
import { offlineTriage } from '../src/agents/triage-agent.ts';
import { loadRuleAlerts } from '../test/support/rule-alerts.ts';
import type { Benchmark } from './lib/benchmark.ts';
import { row, type Row } from './lib/report.ts';

const NAME = 'offline triage';
const BUDGET = 0.9;
const SETS = [
  { name: 'kube-prometheus', rules: '../../shared/fixtures/prometheus-rules/kube-prometheus', table: '../test/fixtures/triage-expectations/kube-prometheus.tsv', budget: true },
  { name: 'awesome-prometheus-alerts', rules: '../../shared/fixtures/prometheus-rules/awesome-prometheus-alerts/dist/rules', table: '../test/fixtures/triage-expectations/awesome-prometheus-alerts.tsv', budget: false },
] as const;

export interface Expected {
  file: string;
  alert: string;
  severity: string;
  category: string;
  remediation: string;
}

export function readExpectations(path: string): Expected[] {
  const [, ...lines] = readFileSync(path, 'utf8').trim().split('\n');
  return lines.map((line) => {
    const [file = '', , alert = '', severity = '', category = '', remediation = ''] = line.split('\t');
    return { file, alert, severity, category, remediation };
  });
}

export interface TriageScore {
  rules: number;
  category: number;
  remediation: number;
  both: number;
  severityHeld: number;
  /** `alert: got category/remediation, expected …` for each miss. */
  misses: string[];
}

export function scoreOfflineTriage(rulesDir: string, tablePath: string): TriageScore {
  const alerts = loadRuleAlerts(rulesDir);
  const expected = readExpectations(tablePath);
  if (alerts.length !== expected.length) throw new Error(`${tablePath}: ${expected.length} rows for ${alerts.length} rules`);
  const score: TriageScore = { rules: alerts.length, category: 0, remediation: 0, both: 0, severityHeld: 0, misses: [] };
  alerts.forEach((rule, i) => {
    const want = expected[i]!;
    if (want.alert !== rule.alert) throw new Error(`${tablePath}: row ${i + 2} is ${want.alert}, rule ${i + 1} is ${rule.alert}`);
    const mapped = severityFromAlert(rule.severity, false);
    if (mapped === undefined) {
      // severity: none is never triaged; the table still labels it, and the mapping holding is that it is skipped.
      score.severityHeld += 1;
      score.category += want.category === 'other' ? 1 : 0;
      score.remediation += want.remediation === 'none' ? 1 : 0;
      score.both += want.category === 'other' && want.remediation === 'none' ? 1 : 0;
      return;
    }
    const { output } = offlineTriage({ group: rule.alertGroup, playbooks: [], customerFacing: false });
    if (output.severity === mapped) score.severityHeld += 1;
    const categoryOk = output.category === want.category;
    const remediationOk = output.remediation === want.remediation;
    score.category += categoryOk ? 1 : 0;
    score.remediation += remediationOk ? 1 : 0;
    score.both += categoryOk && remediationOk ? 1 : 0;
    if (!categoryOk || !remediationOk) score.misses.push(`${rule.alert}: got ${output.category}/${output.remediation}, expected ${want.category}/${want.remediation}`);
  });
  return score;
}

export const triageOffline: Benchmark = {
  name: NAME,
  run(ctx) {
    const rows: Row[] = [];
    for (const set of SETS) {
      const rulesDir = fileURLToPath(new URL(set.rules, import.meta.url));
      if (!existsSync(rulesDir)) {
        rows.push(row(NAME, `${set.name}: skipped, rules not found at ${rulesDir}`, Number.NaN, ''));
        continue;
      }
      const score = scoreOfflineTriage(rulesDir, fileURLToPath(new URL(set.table, import.meta.url)));
      for (const miss of score.misses) ctx.progress(`   ${set.name}: ${miss}`);
      const share = (n: number) => n / score.rules;
      rows.push(
        row(NAME, `${set.name}: category and remediation match (${score.both}/${score.rules})`, share(score.both), '', set.budget ? { budget: { op: '>=', value: BUDGET } } : {}),
        row(NAME, `${set.name}: category matches`, share(score.category), ''),
        row(NAME, `${set.name}: remediation matches`, share(score.remediation), ''),
        row(NAME, `${set.name}: severity mapping holds`, share(score.severityHeld), '', { budget: { op: '>=', value: 1 } }),
      );
    }
    return Promise.resolve(rows);
  },
};
