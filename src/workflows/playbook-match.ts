import type { Alert, AlertGroup } from '../alerts/alert.ts';
import type { AlertMatcher, Pattern, PlaybookSpec, Risk, ValueMatcher, WorkflowDefinition } from './definition.ts';
import { checkParamValue } from './params.ts';
import { compilePattern } from './playbook-schema.ts';

/**
 * Which playbooks answer an alert group, and with which params. Pure: no I/O, no clock.
 *
 * What is matched: the group's first firing alert, its labels and annotations laid over the
 * group's commonLabels / commonAnnotations (the alert's own value wins). The common ones alone
 * lack what differs between alerts (pod, instance), and grouping already made the alerts alike
 * in what a playbook usually matches on (alertname, namespace). A group with no firing alert
 * matches nothing: there is nothing left to remediate.
 *
 * What is targeted is stricter, since a run acts on it: a param named in `params_from_alert`
 * takes its label's value only when every firing alert of the group carries the same value (an
 * alert lacking the label falls back to commonLabels) and the param's own schema accepts it.
 * Otherwise the label is listed in `missing`, and the playbook may be shown but not started
 * without a person filling it in — and never auto-run.
 */

/** The labels naming an alert's service, first present wins: `service`, then `app`, … */
export const SERVICE_LABELS = ['service', 'app', 'app_kubernetes_io_name', 'deployment', 'job'] as const;

/** Alert text is untrusted and a playbook's regex may backtrack: longer values are cut (text) or not matched (labels). */
export const MAX_MATCHED_CHARS = 10_000;

const RISK_ORDER: Record<Risk, number> = { low: 0, medium: 1, high: 2 };

export interface PlaybookMatchResult {
  playbook: WorkflowDefinition;
  /**
   * param → its label's value, for the params params_from_alert names; as text, like a value typed
   * in Slack (the run's own param check types it), and only once the param's schema accepted it.
   */
  params: Record<string, string>;
  /**
   * `match[1]: alertname=KubePodCrashLooping, namespace=~/prod-.+/, service api (label app), text /OOM/i`:
   * the matcher that applied and its conditions, as the playbook wrote them (no alert text).
   */
  matchedBy: string;
  /**
   * A matcher of labels and services alone applied. Annotations and text are free text anyone who
   * can post an alert writes; a playbook matched only through them is offered, never auto-run.
   */
  byLabels: boolean;
  /** Labels that could not supply their param (absent, differing across firing alerts, or refused): not targetable. */
  missing: string[];
  /** How many conditions the matcher that applied holds; more is more specific. */
  specificity: number;
}

/** The alert's service and the label it came from, by SERVICE_LABELS. */
export function alertService(labels: Readonly<Record<string, string>>): { name: string; label: string } | undefined {
  for (const label of SERVICE_LABELS) {
    const name = labels[label];
    if (name !== undefined && name !== '') return { name, label };
  }
  return undefined;
}

/** The text a matcher's `text` pattern searches: alertname, summary and description, one per line. */
export function alertText(labels: Readonly<Record<string, string>>, annotations: Readonly<Record<string, string>>): string {
  return [labels.alertname, annotations.summary, annotations.description]
    .filter((part): part is string => part !== undefined && part !== '')
    .join('\n')
    .slice(0, MAX_MATCHED_CHARS);
}

/**
 * The playbooks whose `match` applies to the group: most specific matcher first, then lower risk,
 * then name. Definitions without a playbook spec (workflows) are ignored.
 */
export function matchPlaybooks(group: AlertGroup, playbooks: Iterable<WorkflowDefinition>): PlaybookMatchResult[] {
  const firing = group.alerts.filter((alert) => alert.status === 'firing');
  const first = firing[0];
  if (first === undefined) return [];
  const labels = { ...group.commonLabels, ...first.labels };
  const annotations = { ...group.commonAnnotations, ...first.annotations };
  const subject: Subject = { labels, annotations, text: alertText(labels, annotations), service: alertService(labels), compiled: new Map() };

  const results: PlaybookMatchResult[] = [];
  for (const playbook of playbooks) {
    const spec = playbook.playbook;
    if (spec === undefined) continue;
    let best: { index: number; conditions: string[] } | undefined;
    let byLabels = false;
    spec.match.forEach((matcher, index) => {
      const conditions = applies(matcher, subject);
      if (conditions === undefined) return;
      if (matcher.text === undefined && matcher.annotations === undefined) byLabels = true;
      if (best === undefined || conditions.length > best.conditions.length) best = { index, conditions };
    });
    if (best === undefined) continue;
    results.push({
      playbook,
      ...targets(playbook, spec, group, firing),
      matchedBy: `match[${best.index}]: ${best.conditions.join(', ')}`,
      specificity: best.conditions.length,
      byLabels,
    });
  }
  return results.sort(
    (a, b) =>
      b.specificity - a.specificity ||
      RISK_ORDER[a.playbook.playbook?.risk ?? 'high'] - RISK_ORDER[b.playbook.playbook?.risk ?? 'high'] ||
      (a.playbook.name < b.playbook.name ? -1 : a.playbook.name > b.playbook.name ? 1 : 0),
  );
}

interface Subject {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  text: string;
  service: { name: string; label: string } | undefined;
  /** Compiled once per call, by anchoring, flag and source: definitions stay plain data. */
  compiled: Map<string, RegExp>;
}

/** Each condition of the matcher, described, when all hold; undefined when one does not. */
function applies(matcher: AlertMatcher, subject: Subject): string[] | undefined {
  const conditions: string[] = [];
  for (const [name, expected] of Object.entries(matcher.labels ?? {})) {
    if (!valueMatches(expected, subject.labels[name], subject)) return undefined;
    conditions.push(`${name}${describeValue(expected)}`);
  }
  for (const [name, expected] of Object.entries(matcher.annotations ?? {})) {
    if (!valueMatches(expected, subject.annotations[name], subject)) return undefined;
    conditions.push(`annotation ${name}${describeValue(expected)}`);
  }
  if (matcher.services !== undefined) {
    const service = subject.service;
    if (service === undefined || !matcher.services.includes(service.name)) return undefined;
    conditions.push(`service ${service.name} (label ${service.label})`);
  }
  if (matcher.text !== undefined) {
    if (!regex(matcher.text, false, subject).test(subject.text)) return undefined;
    conditions.push(`text ${describePattern(matcher.text)}`);
  }
  return conditions;
}

/** An absent label or annotation never matches, not even a pattern matching anything: a condition needs its value. */
function valueMatches(expected: ValueMatcher, value: string | undefined, subject: Subject): boolean {
  if (value === undefined) return false;
  if ('equals' in expected) return value === expected.equals;
  return value.length <= MAX_MATCHED_CHARS && regex(expected, true, subject).test(value);
}

function regex(pattern: Pattern, whole: boolean, subject: Subject): { test(value: string): boolean } {
  const key = `${whole ? 'whole' : 'search'}:${pattern.ignoreCase ? 'i' : ''}:${pattern.regex}`;
  let compiled = subject.compiled.get(key);
  if (compiled === undefined) {
    try {
      compiled = compilePattern(pattern, whole);
    } catch {
      // The loader refuses such a playbook; one built by hand must not break matching for the others.
      return { test: () => false };
    }
    subject.compiled.set(key, compiled);
  }
  return compiled;
}

function describeValue(expected: ValueMatcher): string {
  return 'equals' in expected ? `=${expected.equals}` : `=~${describePattern(expected)}`;
}

function describePattern(pattern: Pattern): string {
  return `/${pattern.regex}/${pattern.ignoreCase ? 'i' : ''}`;
}

function targets(playbook: WorkflowDefinition, spec: PlaybookSpec, group: AlertGroup, firing: readonly Alert[]): { params: Record<string, string>; missing: string[] } {
  const params: Record<string, string> = {};
  const missing = new Set<string>();
  for (const [name, label] of Object.entries(spec.paramsFromAlert)) {
    const values = new Set(firing.map((alert) => alert.labels[label] ?? group.commonLabels[label]));
    const [value] = values;
    const param = Object.hasOwn(playbook.params, name) ? playbook.params[name] : undefined;
    if (values.size === 1 && value !== undefined && value !== '' && param !== undefined && checkParamValue(param, value).ok) params[name] = value;
    else missing.add(label);
  }
  return { params, missing: [...missing] };
}
