import { createHash } from 'node:crypto';

/** Hex characters kept of the sha256: as long as Alertmanager's own fingerprints (64 bits). */
export const FINGERPRINT_LENGTH = 16;

/**
 * An alert's identity when its source gives none: sha256 over ALL its labels, sorted by name.
 *
 * All labels, as Alertmanager fingerprints them (model.LabelSet.Fingerprint): labels are the
 * alert's identity there too, and a rule that puts a changing value in a label makes a new alert
 * in Alertmanager as well — leaving some out (severity?) would merge alerts Alertmanager keeps
 * apart, and a webhook alert with and without its fingerprint would then dedup differently.
 * Annotations are not identity (their text changes with the value). JSON of the sorted pairs
 * keeps `a="b,c"` and `a="b", c=…` apart, which plain joining would not.
 */
export function labelsFingerprint(labels: Readonly<Record<string, string>>): string {
  const pairs = Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return createHash('sha256').update(JSON.stringify(pairs)).digest('hex').slice(0, FINGERPRINT_LENGTH);
}

/** Label values without names (Alertmanager's default Slack title) join the identity under a name no label can have. */
export function unkeyedFingerprint(labels: Readonly<Record<string, string>>, values: readonly string[]): string {
  return values.length === 0 ? labelsFingerprint(labels) : labelsFingerprint({ ...labels, '': values.join(' ') });
}
