/**
 * Secret redaction for everything that leaves the process as text: log lines, and untrusted text
 * handed to an LLM. Two nets: well-known credential shapes (and the configured secret values)
 * anywhere inside a string, and whole values stored under secret-sounding keys.
 */

export const REDACTED = '[REDACTED]';

export interface Redactor {
  /** `s` with every recognised secret replaced; text without secrets comes back unchanged. */
  redactString(s: string): string;
  /** A redacted deep copy (objects, arrays, Maps, Sets, Errors); the input is never mutated. */
  redactValue(v: unknown): unknown;
}

/** Configured secrets shorter than this are too likely to occur in ordinary text. */
export const MIN_LITERAL_SECRET_LENGTH = 6;

// Beyond this depth pino prints "[Object]" anyway; stopping bounds the work on huge payloads.
const MAX_DEPTH = 16;

/**
 * Values under these keys are redacted whatever they hold. Anchored at the end so
 * `slackBotToken`, `x-api-key` and `client_secret` match but `max_tokens`, `tokenType` and
 * `secretName` (a Kubernetes reference, not a secret) do not.
 */
const SECRET_KEY =
  /(?:passwords?|passwd|passphrase|secrets?|token|authorization|auth|credentials?|cookies?|signature|(?:api|access|secret|private|routing|signing|encryption|master|license)[-_]?key|apikey)$/i;

export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key);
}

// The same words for `key=value` text. JS has no portable inline case-insensitivity (regexp
// modifiers need a newer V8 than Node 22 ships), so the words are spelled out case-insensitively.
const KV_KEYWORDS = [
  'password',
  'passwd',
  'passphrase',
  'secret',
  'token',
  'authorization',
  'auth',
  'credentials?',
  'cookie',
  'signature',
  'sig',
  '(?:api|access|secret|private|routing|signing|encryption|master|license)[-_]?key',
  'apikey',
]
  .map(anyCase)
  .join('|');

// A value after `password:` that is one of these is a sentence about the key, not the key
// ("SLACK_BOT_TOKEN: expected a bot token…", "password: required").
const PROSE = new Set([
  'a', 'an', 'the', 'is', 'are', 'was', 'not', 'no', 'yes', 'none', 'null', 'undefined', 'true', 'false',
  'set', 'unset', 'empty', 'missing', 'required', 'expected', 'invalid', 'must', 'should', 'provided',
  'present', 'configured', 'ok', REDACTED.toLowerCase(),
]);

// Schemes in an Authorization value: kept, so the line still says which kind of credential it was.
const AUTH_SCHEMES = `(?:${['bearer', 'basic', 'token', 'bot'].map(anyCase).join('|')}|Digest|Negotiate|AWS4-HMAC-SHA256)`;
// Outside a header only these two read as "a credential follows" ("bot U0123…" is a Slack user).
const STANDALONE_SCHEMES = `(?:${['bearer', 'basic'].map(anyCase).join('|')})`;

/** Replaces the match, or returns null to keep it (the candidate turned out not to be a secret). */
type Replace = (groups: ReadonlyArray<string | undefined>) => string | null;

/** What a found credential is called; the finder reports this, never the credential. */
export type SecretKind =
  | 'private key'
  | 'configured secret'
  | 'Slack webhook URL'
  | 'password in a URL'
  | 'Slack token'
  | 'GitHub token'
  | 'Anthropic API key'
  | 'AWS access key ID'
  | 'JWT'
  /** `password: "…"`: a quoted value under a secret-sounding key. */
  | 'quoted secret assignment'
  /** `password=…` unquoted: in code usually a variable (`token = getToken()`), in config a value. */
  | 'secret assignment'
  | 'bearer or basic credential';

interface Rule {
  kind: SecretKind | ((groups: ReadonlyArray<string | undefined>) => SecretKind);
  source: string;
  replace: Replace;
  /** Where the value starts inside the match, for rules whose value may itself be a known token. */
  valueOffset?: (groups: ReadonlyArray<string | undefined>) => number;
}

function rules(literals: string[]): Rule[] {
  const list: Rule[] = [
    {
      kind: 'private key',
      // Also a key cut off before its END line (truncated output): redact to the end of the text.
      source: String.raw`(-----BEGIN[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----)[\s\S]*?(?:(-----END[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----)|$)`,
      replace: ([begin, end]) => `${begin}${REDACTED}${end ?? ''}`,
    },
  ];
  if (literals.length > 0) list.push({ kind: 'configured secret', source: literals.map(escapeRegExp).join('|'), replace: () => REDACTED });
  list.push(
    {
      kind: 'Slack webhook URL',
      source: String.raw`(https://hooks\.slack\.com/(?:services|workflows|triggers)/)[A-Za-z0-9_/-]+`,
      replace: ([prefix]) => `${prefix}${REDACTED}`,
    },
    {
      kind: 'password in a URL',
      // scheme://user:password@host. Matching from "://" (the scheme stays as it is) keeps the
      // scan cheap: no variable-length prefix to try at every letter.
      source: String.raw`(://[^\s:/?#@"'<>\\]*:)[^\s/?#@"'<>\\]+@`,
      replace: ([prefix]) => `${prefix}${REDACTED}@`,
    },
    {
      kind: 'Slack token',
      // xoxb- xoxp- xoxa- xoxe- xoxs- …, rotating xoxe.xoxp-, and app-level xapp- tokens.
      source: String.raw`(xox[a-z](?:\.xox[a-z])?-|xapp-)[A-Za-z0-9][A-Za-z0-9-]*`,
      replace: ([prefix]) => `${prefix}${REDACTED}`,
    },
    {
      kind: 'GitHub token',
      source: String.raw`(gh[pousr]_|github_pat_)[A-Za-z0-9_]{20,}`,
      replace: ([prefix]) => `${prefix}${REDACTED}`,
    },
    {
      kind: 'Anthropic API key',
      source: String.raw`(sk-ant-)[A-Za-z0-9_-]{6,}`,
      replace: ([prefix]) => `${prefix}${REDACTED}`,
    },
    {
      kind: 'AWS access key ID',
      source: String.raw`(AKIA|ASIA)[A-Z0-9]{16}(?![A-Za-z0-9])`,
      replace: ([prefix]) => `${prefix}${REDACTED}`,
    },
    {
      kind: 'JWT',
      // A JWT: base64url JSON header ("eyJ" = '{"'), payload, optional signature.
      source: String.raw`eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*`,
      replace: () => REDACTED,
    },
    {
      // `key=value`, `key: value`, `"key":"value"`, `?token=…&`. The value runs to whitespace, a
      // quote, & or ; (a quoted value to its closing quote), after an optional auth scheme. The
      // match starts at the keyword, so DB_PASSWORD= and client_secret: are caught by their ends
      // (and what comes before stays untouched).
      kind: ([, , doubleQuoted, singleQuoted]) => ((doubleQuoted ?? singleQuoted) !== undefined ? 'quoted secret assignment' : 'secret assignment'),
      valueOffset: ([key, sep]) => (key ?? '').length + (sep ?? '').length,
      source:
        String.raw`(${KV_KEYWORDS})((?:\\?["'])?[ \t]*[:=][ \t]*)` +
        String.raw`(?:"((?:[^"\\\r\n]|\\.)*)"|'([^'\r\n]*)'|(\\?["']?)(${AUTH_SCHEMES}[ \t]+)?(?!=)((?:\\.|[^\s"'&;\\])+))`,
      replace: ([key, sep, doubleQuoted, singleQuoted, stray, scheme, bare]) => {
        const quoted = doubleQuoted ?? singleQuoted;
        if (quoted !== undefined) {
          if (quoted === '' || PROSE.has(quoted.toLowerCase())) return null;
          const q = doubleQuoted !== undefined ? '"' : "'";
          return `${key}${sep}${q}${REDACTED}${q}`;
        }
        if (bare === undefined || (scheme === undefined && PROSE.has(bare.toLowerCase()))) return null;
        return `${key}${sep}${stray ?? ''}${scheme ?? ''}${REDACTED}`;
      },
    },
    {
      kind: 'bearer or basic credential',
      valueOffset: ([scheme]) => (scheme ?? '').length,
      // `Bearer …`, `Basic …` outside a header line. Only credential-looking words count, so
      // "Basic configuration" or "Token validation failed" stay readable.
      source: String.raw`(${STANDALONE_SCHEMES}[ \t]+)([A-Za-z0-9._~+/-]{8,}=*)`,
      replace: ([scheme, credential]) => (credential !== undefined && looksLikeCredential(credential) ? `${scheme}${REDACTED}` : null),
    },
  );
  return list;
}

function looksLikeCredential(word: string): boolean {
  return /[0-9._~+/=-]/.test(word) || /[A-Z]/.test(word.slice(1));
}

function anyCase(word: string): string {
  return word.replace(/[a-z]/g, (c) => `[${c}${c.toUpperCase()}]`);
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}

/** The forms a configured secret takes in logs: raw, URL-encoded, form-encoded, JSON-escaped. */
function literalForms(secrets: string[]): string[] {
  const forms = new Set<string>();
  for (const secret of secrets) {
    if (typeof secret !== 'string' || secret.length < MIN_LITERAL_SECRET_LENGTH) continue;
    const encoded = encodeURIComponent(secret);
    forms.add(secret);
    forms.add(encoded);
    forms.add(encoded.replace(/%20/g, '+'));
    forms.add(JSON.stringify(secret).slice(1, -1));
  }
  // Longest first, so a secret that contains another is replaced whole.
  return [...forms].sort((a, b) => b.length - a.length);
}

function groupCount(source: string): number {
  return (new RegExp(`${source}|`).exec('') as RegExpExecArray).length - 1;
}

interface Slot {
  start: number;
  inner: number;
  rule: Rule;
}

/** Every rule as one alternative of one regex, told apart by its outer group. */
function combine(list: Rule[]): { combined: RegExp; slots: Slot[] } {
  const slots: Slot[] = [];
  let next = 1;
  for (const rule of list) {
    const inner = groupCount(rule.source);
    slots.push({ start: next, inner, rule });
    next += 1 + inner;
  }
  return { combined: new RegExp(list.map((rule) => `(${rule.source})`).join('|'), 'g'), slots };
}

/** One pass of one combined regex. */
function compile(list: Rule[], redactLiterals: (s: string) => string): (s: string) => string {
  const { combined, slots } = combine(list);

  return (s) =>
    s.replace(combined, (...args: unknown[]) => {
      const match = args[0] as string;
      for (const { start, inner, rule } of slots) {
        if (args[start] === undefined) continue;
        const replaced = rule.replace(args.slice(start + 1, start + 1 + inner) as Array<string | undefined>);
        // A rejected candidate may still contain a configured secret ("Bearer <secret>").
        return replaced ?? redactLiterals(match);
      }
      return match;
    });
}

export function createRedactor(secrets: string[]): Redactor {
  const literals = literalForms(secrets);
  const literalRe = literals.length > 0 ? new RegExp(literals.map(escapeRegExp).join('|'), 'g') : undefined;
  const redactLiterals = (s: string) => (literalRe ? s.replace(literalRe, REDACTED) : s);
  const redactString = compile(rules(literals), redactLiterals);

  const redactValue = (value: unknown): unknown => walk(value, 0, new Map());

  function walk(value: unknown, depth: number, seen: Map<object, unknown>): unknown {
    if (typeof value === 'string') return redactString(value);
    if (value === null || typeof value !== 'object') return value;
    const known = seen.get(value);
    if (known !== undefined) return known;
    if (depth >= MAX_DEPTH) return '[Truncated]';
    if (value instanceof Error) return walkError(value, depth, seen);
    if (Array.isArray(value)) {
      const out: unknown[] = [];
      seen.set(value, out);
      for (const item of value) out.push(walk(item, depth + 1, seen));
      return out;
    }
    if (value instanceof Map) {
      const out = new Map<unknown, unknown>();
      seen.set(value, out);
      for (const [k, v] of value) {
        out.set(walk(k, depth + 1, seen), typeof k === 'string' && isSecretKey(k) ? hide(v) : walk(v, depth + 1, seen));
      }
      return out;
    }
    if (value instanceof Set) {
      const out = new Set<unknown>();
      seen.set(value, out);
      for (const item of value) out.add(walk(item, depth + 1, seen));
      return out;
    }
    if (value instanceof Date || value instanceof RegExp || value instanceof ArrayBuffer || ArrayBuffer.isView(value)) return value;
    const toJSON = (value as { toJSON?: unknown }).toJSON;
    // URL, and any class that chooses its own JSON form (which is what a log line would show).
    if (typeof toJSON === 'function') return walk(safely(() => toJSON.call(value)), depth + 1, seen);
    const out: Record<string, unknown> = {};
    seen.set(value, out);
    for (const key of Object.keys(value)) {
      const v = safely(() => (value as Record<string, unknown>)[key]);
      out[key] = isSecretKey(key) ? hide(v) : walk(v, depth + 1, seen);
    }
    return out;
  }

  function walkError(err: Error, depth: number, seen: Map<object, unknown>): Error {
    // Same prototype, so `instanceof`, `name` and pino's err serializer see the same kind of error.
    const copy = Object.create(Object.getPrototypeOf(err) as object) as Error;
    seen.set(err, copy);
    for (const key of Object.getOwnPropertyNames(err)) {
      const descriptor = Object.getOwnPropertyDescriptor(err, key);
      const raw = safely(() => (err as unknown as Record<string, unknown>)[key]);
      const value = isSecretKey(key) ? hide(raw) : walk(raw, depth + 1, seen);
      Object.defineProperty(copy, key, {
        value,
        enumerable: descriptor?.enumerable ?? true,
        writable: true,
        configurable: true,
      });
    }
    return copy;
  }

  return { redactString, redactValue };
}

export interface SecretMatch {
  kind: SecretKind;
  /** Where the match sits in the scanned text (UTF-16 offsets). Callers must not show that text. */
  start: number;
  end: number;
}

/**
 * The same nets as the redactor, reporting what they caught instead of replacing it: for checks
 * that must say "a GitHub token was added on line 12" without repeating the token.
 */
export function createSecretFinder(secrets: string[]): (s: string) => SecretMatch[] {
  const literals = literalForms(secrets);
  const containsLiteral = literals.length > 0 ? new RegExp(literals.map(escapeRegExp).join('|')) : undefined;
  const { combined, slots } = combine(rules(literals));

  const find = (s: string, offset: number): SecretMatch[] => {
    const found: SecretMatch[] = [];
    // matchAll works on a copy of the regex, so calls share no lastIndex.
    for (const m of s.matchAll(combined)) {
      const start = offset + m.index;
      const end = start + m[0].length;
      const slot = slots.find(({ start: group }) => m[group] !== undefined);
      if (!slot) continue;
      const groups = m.slice(slot.start + 1, slot.start + 1 + slot.inner);
      if (slot.rule.replace(groups) === null) {
        // A rejected candidate may still contain a configured secret, as in the redactor.
        if (containsLiteral?.test(m[0])) found.push({ kind: 'configured secret', start, end });
        continue;
      }
      // `token=ghp_…` is one match of the key=value rule; the token inside is the better name.
      const valueAt = slot.rule.valueOffset?.(groups);
      const inner = valueAt === undefined ? [] : find(m[0].slice(valueAt), start + valueAt);
      if (inner.length > 0) found.push(...inner);
      else found.push({ kind: typeof slot.rule.kind === 'function' ? slot.rule.kind(groups) : slot.rule.kind, start, end });
    }
    return found;
  };
  return (s) => find(s, 0);
}

/** What a value under a secret key becomes: its absence or emptiness is still worth seeing. */
function hide(value: unknown): unknown {
  if (value === undefined || value === null || value === '' || typeof value === 'boolean') return value;
  return REDACTED;
}

function safely(read: () => unknown): unknown {
  try {
    return read();
  } catch {
    return '[Unreadable]';
  }
}
