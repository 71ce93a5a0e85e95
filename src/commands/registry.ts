import type { AnyCommand } from './command-types.ts';
import { ARG_KEY, type Token } from './parser.ts';
import { argShape } from './schema-shape.ts';

export type { AnyCommand } from './command-types.ts';
export { bindArgs } from './bind-args.ts';
export { usage } from './usage.ts';

export type MatchResult<T> =
  | { kind: 'command'; command: AnyCommand; rest: T[] }
  /** `input`: the word(s) that matched nothing, as typed; `suggestions`: full command names. */
  | { kind: 'unknown'; input: string; suggestions: string[] };

export interface Registry {
  /** Longest match of command words at the start: `incident declare x` beats `incident`. */
  match<T extends Token | string>(tokens: readonly T[]): MatchResult<T>;
  get(name: string): AnyCommand | undefined;
  /** Sorted by name. */
  list(): AnyCommand[];
  /** First word → its commands, both sorted; what help shows. */
  groups(): Map<string, AnyCommand[]>;
  /** Up to three command names close to what was typed (typos, a bare group word). */
  suggest(words: readonly string[]): string[];
}

const WORD = /^[a-z][a-z0-9-]*$/;
const MAX_SUGGESTIONS = 3;

/**
 * Checks the definitions once, at start-up, so a mistake in a command file fails loudly instead
 * of shadowing another command at run time:
 * - names are one or more lower-case words and unique;
 * - a command that takes words (`positional` or `rest`) is not a prefix of another command,
 *   because the longer name would always win and those words could never reach it
 *   (`incident <id>` beside `incident declare`: name it `incident show <id>`);
 * - `positional`/`rest` name keys of the args object, and named option keys are typeable
 *   (`[a-z][a-z0-9_-]*`, see parser.ts).
 */
export function createRegistry(commands: readonly AnyCommand[]): Registry {
  const byName = new Map<string, AnyCommand>();
  for (const command of commands) {
    const words = command.name.split(' ');
    if (!words.every((w) => WORD.test(w))) throw new Error(`Command name \`${command.name}\` must be lower-case words separated by single spaces`);
    if (byName.has(command.name)) throw new Error(`Command \`${command.name}\` is defined twice`);
    checkArgs(command);
    byName.set(command.name, command);
  }
  for (const command of byName.values()) {
    if (!command.positional?.length && !command.rest) continue;
    const longer = [...byName.keys()].find((name) => name.startsWith(command.name + ' '));
    if (longer) throw new Error(`Command \`${command.name}\` takes arguments, so \`${longer}\` would shadow them; rename one of them`);
  }

  const sorted = [...byName.values()].sort((a, b) => a.name.localeCompare(b.name));
  const maxWords = Math.max(0, ...sorted.map((c) => c.name.split(' ').length));
  const groups = new Map<string, AnyCommand[]>();
  for (const command of sorted) {
    const group = command.name.split(' ')[0] as string;
    groups.set(group, [...(groups.get(group) ?? []), command]);
  }

  const suggest = (words: readonly string[]): string[] => {
    const lower = words.map((w) => w.toLowerCase());
    const direct = new Map<string, number>();
    for (const command of sorted) {
      const n = command.name.split(' ').length;
      if (lower.length < n) continue;
      const d = damerauLevenshtein(lower.slice(0, n).join(' '), command.name);
      if (d <= tolerance(command.name)) direct.set(command.name, d);
    }
    if (direct.size > 0) return best(direct);
    // Nothing close as a whole: a (mistyped) group word offers that group's commands.
    const first = lower[0] ?? '';
    const byGroup = new Map<string, number>();
    for (const [group, members] of groups) {
      const d = damerauLevenshtein(first, group);
      if (d <= tolerance(group)) for (const m of members) byGroup.set(m.name, d);
    }
    return best(byGroup);
  };

  return {
    match<T extends Token | string>(tokens: readonly T[]): MatchResult<T> {
      const words = tokens.map((t) => (typeof t === 'string' ? t : t.text).toLowerCase());
      for (let n = Math.min(maxWords, words.length); n > 0; n--) {
        const command = byName.get(words.slice(0, n).join(' '));
        if (command) return { kind: 'command', command, rest: tokens.slice(n) };
      }
      const typed = tokens.map((t) => (typeof t === 'string' ? t : t.text));
      // Show the group and the next word when the group exists (`role frobnicate`), else the first word.
      const shown = groups.has(words[0] ?? '') && typed.length > 1 ? typed.slice(0, 2) : typed.slice(0, 1);
      return { kind: 'unknown', input: shown.join(' '), suggestions: suggest(words) };
    },
    get: (name) => byName.get(name.toLowerCase()),
    list: () => [...sorted],
    groups: () => new Map([...groups].map(([k, v]) => [k, [...v]])),
    suggest,
  };
}

function checkArgs(command: AnyCommand): void {
  const shape = argShape(command.args);
  if (!shape) throw new Error(`Command \`${command.name}\`: args must be a zod object (optionally refined or transformed)`);
  const onLine = [...(command.positional ?? []), ...(command.rest ? [command.rest] : [])];
  if (new Set(onLine).size !== onLine.length) throw new Error(`Command \`${command.name}\`: positional/rest names repeat`);
  for (const name of onLine) {
    if (!Object.hasOwn(shape, name)) throw new Error(`Command \`${command.name}\`: \`${name}\` is not a key of its args`);
  }
  if (command.extraNamed !== undefined && (!Object.hasOwn(shape, command.extraNamed) || onLine.includes(command.extraNamed))) {
    throw new Error(`Command \`${command.name}\`: extraNamed \`${command.extraNamed}\` must be a key of its args that is not positional`);
  }
  for (const key of Object.keys(shape)) {
    if (!onLine.includes(key) && key !== command.extraNamed && !ARG_KEY.test(key)) throw new Error(`Command \`${command.name}\`: option \`${key}\` can't be typed as key=value; use lower case`);
  }
}

/** Lower by distance, then by name; at most three. */
function best(scores: Map<string, number>): string[] {
  return [...scores]
    .sort(([a, da], [b, db]) => da - db || a.localeCompare(b))
    .slice(0, MAX_SUGGESTIONS)
    .map(([name]) => name);
}

/** One typo per three letters, at least one, at most three. */
function tolerance(name: string): number {
  return Math.min(3, Math.max(1, Math.floor(name.length / 3)));
}

/** Optimal string alignment distance: insert, delete, substitute, swap two neighbours. */
export function damerauLevenshtein(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = Array.from({ length: rows }, (_, i) => Array.from({ length: cols }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  const at = (i: number, j: number) => d[i]?.[j] ?? Infinity;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, at(i - 2, j - 2) + 1);
      (d[i] as number[])[j] = v;
    }
  }
  return at(a.length, b.length);
}
