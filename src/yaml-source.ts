import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import type { z } from 'zod';
import { ConfigError } from './errors.ts';

/**
 * YAML files people write (opsbot.yaml, workflows/, playbooks/) parsed so that every problem can
 * be reported as `file:line:col: key.path: what was expected`: the parsed data keeps a way back
 * to where each value was written, and zod issues are mapped onto those positions.
 */

export interface Position {
  line: number;
  col: number;
}

/** A parsed YAML file that still knows where each value came from. */
export interface YamlSource {
  /** The plain data (null for an empty file). */
  data: unknown;
  /**
   * Where `path` is written: its value, or its key (for "unknown key" and bad map keys). Falls
   * back to the nearest ancestor that exists, then to 1:1.
   */
  locate(path: ReadonlyArray<PropertyKey>, at: 'key' | 'value'): Position;
}

/** The file is not YAML at all; the message is the one line `file:line:col: invalid YAML: …`. */
export class YamlSyntaxError extends ConfigError {
  readonly file: string;
  readonly line: number;
  readonly col: number;
  /** yaml's reason, without the position. */
  readonly reason: string;
  constructor(file: string, at: Position, reason: string) {
    super(`${file}:${at.line}:${at.col}: invalid YAML: ${reason}`);
    this.file = file;
    this.line = at.line;
    this.col = at.col;
    this.reason = reason;
  }
}

/** Parses `text`; a syntax error throws a YamlSyntaxError. */
export function parseYamlSource(text: string, file: string): YamlSource {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: true, uniqueKeys: true });
  const first = doc.errors[0];
  if (first !== undefined) {
    const at = first.linePos?.[0] ?? { line: 1, col: 1 };
    throw new YamlSyntaxError(file, at, yamlMessage(first.message));
  }

  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    // Unresolved or exploding aliases surface only when converting.
    throw new YamlSyntaxError(file, { line: 1, col: 1 }, yamlMessage(err instanceof Error ? err.message : String(err)));
  }

  return {
    data,
    locate(path, at) {
      const offset = findOffset(doc, path, at);
      return offset === undefined ? { line: 1, col: 1 } : lineCounter.linePos(offset);
    },
  };
}

/** One problem found in a YAML file, placed where a person has to change it. */
export interface LocatedProblem extends Position {
  /** Path of the offending key or value in the data. */
  path: PropertyKey[];
  /** What was expected, without the position or the path. */
  message: string;
}

/**
 * zod issues → located problems. An unknown key or a bad map key points at the key; everything
 * else at the value (or, when the key is missing, at the nearest mapping that should hold it).
 * A custom issue can ask for its key with `params: { at: 'key' }`.
 */
export function locateIssues(issues: readonly z.core.$ZodIssue[], source: YamlSource): LocatedProblem[] {
  const place = (path: PropertyKey[], at: 'key' | 'value', message: string): LocatedProblem => ({ ...source.locate(path, at), path, message });
  return issues.flatMap((issue): LocatedProblem[] => {
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => place([...issue.path, key], 'key', `unknown key, ${issue.message}`));
    }
    if (issue.code === 'invalid_key') {
      return [place([...issue.path], 'key', issue.issues[0]?.message ?? issue.message)];
    }
    const at = issue.code === 'custom' && (issue.params as { at?: unknown } | undefined)?.at === 'key' ? 'key' : 'value';
    return [place([...issue.path], at, issue.message)];
  });
}

/** `file:line:col: key.path: message` — the one line every YAML problem is shown as. */
export function formatProblem(file: string, problem: LocatedProblem): string {
  return `${file}:${problem.line}:${problem.col}: ${problem.path.length > 0 ? `${dottedPath(problem.path)}: ` : ''}${problem.message}`;
}

/** ['steps', 2, 'retries', 'max'] → `steps[2].retries.max`. */
export function dottedPath(path: ReadonlyArray<PropertyKey>): string {
  return path.map((segment, i) => (typeof segment === 'number' ? `[${segment}]` : `${i > 0 ? '.' : ''}${String(segment)}`)).join('');
}

// yaml's messages end in " at line L, column C:" plus a multi-line excerpt; the position is
// already in front of ours, and the excerpt would break the one-line rule.
function yamlMessage(message: string): string {
  return message.replace(/ at line \d+, column \d+:[\s\S]*$/, '').split('\n')[0]?.trim() ?? message;
}

function findOffset(doc: Document, path: ReadonlyArray<PropertyKey>, at: 'key' | 'value'): number | undefined {
  let node: unknown = doc.contents;
  let best = startOf(node);
  for (let i = 0; i < path.length; i++) {
    const segment = path[i];
    const last = i === path.length - 1;
    if (isAlias(node)) node = node.resolve(doc);
    if (isMap(node)) {
      const pair = node.items.find((item) => isScalar(item.key) && String(item.key.value) === String(segment));
      if (pair === undefined) return best;
      const keyStart = startOf(pair.key);
      if (last && at === 'key') return keyStart ?? best;
      // An empty value (`channels:`) has no node: point at its key instead.
      node = pair.value;
      best = startOf(node) ?? keyStart ?? best;
    } else if (isSeq(node) && typeof segment === 'number') {
      node = node.items[segment];
      best = startOf(node) ?? best;
    } else {
      return best;
    }
  }
  return best;
}

function startOf(node: unknown): number | undefined {
  const range = (node as Node | null | undefined)?.range;
  return range?.[0];
}
