import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import { ConfigError } from '../errors.ts';

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

/** Parses `text`; a syntax error throws a one-line ConfigError `file:line:col: …`. */
export function parseYamlSource(text: string, file: string): YamlSource {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: true, uniqueKeys: true });
  const first = doc.errors[0];
  if (first !== undefined) {
    const at = first.linePos?.[0] ?? { line: 1, col: 1 };
    throw new ConfigError(`${file}:${at.line}:${at.col}: invalid YAML: ${yamlMessage(first.message)}`);
  }

  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    // Unresolved or exploding aliases surface only when converting.
    throw new ConfigError(`${file}:1:1: invalid YAML: ${yamlMessage(err instanceof Error ? err.message : String(err))}`);
  }

  return {
    data,
    locate(path, at) {
      const offset = findOffset(doc, path, at);
      return offset === undefined ? { line: 1, col: 1 } : lineCounter.linePos(offset);
    },
  };
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
