/**
 * A severity label for alerts that carry none as a label (a person's message, a Datadog post),
 * in the words agents/taxonomy severityFromAlert reads: `critical` (P1/P2 by customer impact),
 * `error`, `warning` (P3), `info` (P4).
 *
 * Only explicit words count: `severity: x`, a priority (`P1`…`P5`, `SEV1`…`SEV5`) or the words
 * critical / warning / info. Not `high`, `error` or `down` in running text: "High CPU" and
 * "5xx errors" name the problem, not its severity.
 */
export function severityFromText(text: string): string | undefined {
  const explicit = /\b(?:severity|sev)\s*[:=]\s*[`"']?([A-Za-z0-9_-]+)/i.exec(text);
  if (explicit?.[1] !== undefined) return priorityWord(explicit[1]) ?? explicit[1].toLowerCase();
  const priority = /\b(?:P|SEV-?)([1-5])\b/i.exec(text);
  if (priority?.[1] !== undefined) return severityFromPriority(Number(priority[1]));
  if (/\b(?:critical|crit)\b/i.test(text)) return 'critical';
  if (/\b(?:warning|warn)\b/i.test(text)) return 'warning';
  if (/\b(?:info|informational)\b/i.test(text)) return 'info';
  return undefined;
}

/** P1 → critical, P2 → error, P3 → warning, P4 and P5 → info. */
export function severityFromPriority(priority: number): string {
  if (priority <= 1) return 'critical';
  if (priority === 2) return 'error';
  if (priority === 3) return 'warning';
  return 'info';
}

function priorityWord(word: string): string | undefined {
  const match = /^(?:P|SEV-?)([1-5])$/i.exec(word);
  return match?.[1] === undefined ? undefined : severityFromPriority(Number(match[1]));
}
