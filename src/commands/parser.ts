import { UserError } from '../errors.ts';

/**
 * The one grammar behind `/ops text`, `@opsbot text` and button values (DESIGN §1).
 *
 * Quoting is shell-like with two concessions to chat:
 * - A quote opens only at the start of a word or right after `key=`; inside a word it is an
 *   apostrophe (`isn't`, `db’s`), so ordinary prose in a title never trips an "unterminated
 *   quote" error.
 * - Slack clients turn "…" into “…” and '…' into ‘…’; all of these count as quotes.
 *   A single-quoted part closes only at a quote followed by whitespace or the end, so an
 *   apostrophe inside it (`'it’s down'`) stays text.
 * Inside double quotes a backslash escapes a double quote or a backslash; elsewhere a backslash
 * is literal (paths, regexes). Slack markup (`<@U1|alice>`, `<#C1|general>`, links, user
 * groups) resolves to the bare id or URL, and `&amp; &lt; &gt;` are unescaped, in and out of
 * quotes. Slack escapes a typed `<`, so every raw `<…>` is markup.
 */

export interface Token {
  text: string;
  /** The word started with a quote: it is never read as `key=value` or `--flag`. */
  quoted: boolean;
}

export interface ParsedArgs {
  positional: string[];
  named: Record<string, string>;
}

const DOUBLE_QUOTES = new Set(['"', '“', '”', '„']);
const SINGLE_QUOTES = new Set(["'", '‘', '’']);
const ENTITIES: Record<string, string> = { '&amp;': '&', '&lt;': '<', '&gt;': '>' };
/** Named argument keys: lower case, so that `Re: foo=bar` style prose rarely matches by accident. */
export const ARG_KEY = /^[a-z][a-z0-9_-]*$/;
const NAMED = /^([a-z][a-z0-9_-]*)=([\s\S]*)$/;
const FLAG = /^--([a-z][a-z0-9_-]*)(?:=([\s\S]*))?$/;

export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let current: Token | undefined;
  let i = 0;

  const append = (s: string) => {
    current ??= { text: '', quoted: false };
    current.text += s;
  };
  /** `key=` typed so far, with nothing quoted yet: a quote may open the value. */
  const atValueStart = () => current !== undefined && !current.quoted && /^[a-z][a-z0-9_-]*=$/.test(current.text);

  while (i < text.length) {
    const ch = text[i] as string;

    if (/\s/.test(ch)) {
      if (current) tokens.push(current);
      current = undefined;
      i++;
      continue;
    }

    const isDouble = DOUBLE_QUOTES.has(ch);
    if ((isDouble || SINGLE_QUOTES.has(ch)) && (current === undefined || atValueStart())) {
      if (current === undefined) current = { text: '', quoted: true };
      i = readQuoted(text, i, isDouble, append);
      continue;
    }

    const special = readSpecial(text, i);
    if (special) {
      append(special.value);
      i = special.end;
      continue;
    }
    append(ch);
    i++;
  }
  if (current) tokens.push(current);
  return tokens;
}

/** Reads from the opening quote at `start`; returns the index after the closing quote. */
function readQuoted(text: string, start: number, isDouble: boolean, append: (s: string) => void): number {
  const open = text[start] as string;
  let i = start + 1;
  // Appending an empty string still creates the token, so `""` is an empty argument.
  append('');
  while (i < text.length) {
    const ch = text[i] as string;
    if (isDouble) {
      if (ch === '\\') {
        const next = text[i + 1];
        if (next !== undefined && (next === '\\' || DOUBLE_QUOTES.has(next))) {
          append(next);
          i += 2;
          continue;
        }
      }
      if (DOUBLE_QUOTES.has(ch)) return i + 1;
    } else if (SINGLE_QUOTES.has(ch)) {
      const after = text[i + 1];
      if (after === undefined || /\s/.test(after)) return i + 1;
    }
    const special = readSpecial(text, i);
    if (special) {
      append(special.value);
      i = special.end;
      continue;
    }
    append(ch);
    i++;
  }
  const opened = text.slice(start, start + 21);
  throw new UserError(
    'unterminated_quote',
    `The quote ${open} that starts \`${opened}${text.length > start + 21 ? '…' : ''}\` is never closed.`,
    isDouble ? 'Close it, or write a literal quote inside double quotes as \\".' : 'Close it, or use double quotes around text that contains an apostrophe.',
  );
}

/** Slack markup or an HTML entity at `i`, resolved. */
function readSpecial(text: string, i: number): { value: string; end: number } | undefined {
  const ch = text[i];
  if (ch === '&') {
    for (const [entity, value] of Object.entries(ENTITIES)) {
      if (text.startsWith(entity, i)) return { value, end: i + entity.length };
    }
    return undefined;
  }
  if (ch !== '<') return undefined;
  const close = text.indexOf('>', i + 1);
  // Only the local shell can send a bare `<`; keep it as text.
  if (close === -1) return undefined;
  const inner = text.slice(i + 1, close);
  return { value: resolveMarkup(inner), end: close + 1 };
}

/** The inside of `<…>`: `@U1|alice` → `U1`, `#C1|general` → `C1`, `!subteam^S1|@oncall` → `S1`, `url|label` → url. */
export function resolveMarkup(inner: string): string {
  const bar = inner.indexOf('|');
  const target = bar === -1 ? inner : inner.slice(0, bar);
  const label = bar === -1 ? undefined : inner.slice(bar + 1);
  if (target.startsWith('@') || target.startsWith('#')) return target.slice(1);
  if (target.startsWith('!subteam^')) return target.slice('!subteam^'.length);
  // Dates (`<!date^…|fallback>`) read best as their fallback text; `<!here>` as `@here`.
  if (target.startsWith('!date^')) return label ?? target;
  if (target.startsWith('!')) return '@' + target.slice(1);
  return unescapeEntities(target);
}

function unescapeEntities(s: string): string {
  return s.replace(/&(amp|lt|gt);/g, (m) => ENTITIES[m] ?? m);
}

/**
 * Splits words into positional and named arguments.
 * - `key=value` (key `[a-z][a-z0-9_-]*`, typed unquoted; the value may be quoted) is named.
 * - `--flag` is named with the value `'true'`: flags read like switches (`--force`), and the
 *   `bool` arg type accepts `true`. `--key=value` is the same as `key=value` (habit from CLIs).
 * - `--` on its own ends named parsing; everything after it is positional.
 * - Anything else, including quoted words such as `"a=b"`, is positional.
 * A key given twice is an error naming it (no silent last-one-wins).
 */
export function parseArgs(tokens: readonly (Token | string)[]): ParsedArgs {
  const positional: string[] = [];
  const named: Record<string, string> = {};
  let optionsEnded = false;

  const setNamed = (key: string, value: string, shown: string) => {
    if (Object.hasOwn(named, key)) {
      throw new UserError('duplicate_arg', `\`${key}\` is given twice (\`${shown}\`).`, 'Give each named argument once.');
    }
    named[key] = value;
  };

  for (const raw of tokens) {
    const token = typeof raw === 'string' ? { text: raw, quoted: false } : raw;
    if (optionsEnded || token.quoted) {
      positional.push(token.text);
      continue;
    }
    if (token.text === '--') {
      optionsEnded = true;
      continue;
    }
    const flag = FLAG.exec(token.text);
    if (flag) {
      setNamed(flag[1] as string, flag[2] ?? 'true', token.text);
      continue;
    }
    const pair = NAMED.exec(token.text);
    if (pair) {
      setNamed(pair[1] as string, pair[2] as string, token.text);
      continue;
    }
    positional.push(token.text);
  }
  return { positional, named };
}
