import { readFileSync } from 'node:fs';
import type { Store } from '../../src/store/types.ts';

/**
 * The real Slack payload samples in test/fixtures/slack-payloads (see SOURCE.txt there). Files
 * are never edited; a test that needs a variant builds it in code from the parsed fixture and
 * says what it changed.
 */

type Obj = Record<string, unknown>;

const DIR = new URL('../fixtures/slack-payloads/', import.meta.url);

export function fixtureText(name: string): string {
  return readFileSync(new URL(name, DIR), 'utf8');
}

export function fixtureJson<T = Obj>(name: string): T {
  return JSON.parse(fixtureText(name)) as T;
}

/** A slash command fixture (`*.form.txt`) as its fields, in order. */
export function fixtureForm(name: string): URLSearchParams {
  return new URLSearchParams(fixtureText(name).trim());
}

/** Interactive payloads travel as a form with one `payload` field holding the JSON. */
export function interactiveBody(payload: unknown): string {
  return new URLSearchParams([['payload', JSON.stringify(payload)]]).toString();
}

/** How many rows the intake could have written: what "nothing was written" compares. */
export function intakeRowCounts(store: Store): { audit: number; inbox: number; processed: number } {
  const count = (table: string) => (store.db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
  return { audit: count('audit_log'), inbox: count('inbox'), processed: count('processed_events') };
}

export interface InboxRow {
  id: number;
  key: string;
  kind: string;
  status: string;
  attempts: number;
}

export function inboxRows(store: Store): InboxRow[] {
  return store.db.prepare('SELECT id, key, kind, status, attempts FROM inbox ORDER BY id').all() as InboxRow[];
}

export function processedKeys(store: Store): string[] {
  return (store.db.prepare('SELECT key FROM processed_events ORDER BY at, key').all() as Array<{ key: string }>).map((r) => r.key);
}
