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

interface Rule {
  source: string;
  replace: Replace;
}

function rules(literals: string[]): Rule[] {
  const list: Rule[] = [
    {
      // Also a key cut off before its END line (truncated output): redact to the end of the text.
      source: String.raw`(-----BEGIN[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----)[\s\S]*?(?:(-----END[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----)|$)`,
      replace: ([begin, end]) => `${begin}${REDACTED}${end ?? ''}`,
    },
  ];
  if (literals.length > 0) list.push({ source: literals.map(escapeRegExp).join('|'), replace: () => REDACTED });
  list.push(
    {
      source: String.raw`(https://hooks\.slack\.com/(?:services|workflows|triggers)/)[A-Za-z0-9_/-]+`,
      replace: ([prefix]) => `${prefix}${REDACTED}`,
    },
    {
      // scheme://user:password@host. Matching from "://" (the scheme stays as it is) keeps the
      // scan cheap: no variable-length prefix to try at every letter.
      source: String.raw`(://[^\s:/?#@"'<>\\]*:)[^\s/?#@"'<>\\]+@`,
      replace: ([prefix]) => `${prefix}${REDACTED}@`,
    },
    {
      // xoxb- xoxp- xoxa- xoxe- xoxs- …, rotating xoxe.xoxp-, and app-level xapp- tokens.
      source: String.raw`(xox[a-z](?:\.xox[a-z])?-|xapp-)[A-Za-z0-9][A-Za-z0-9-]*`,
      replace: ([prefix]) => `${prefix}${REDACTED}`,
    },
    {
      source: String.raw`(gh[pousr]_|github_pat_)[A-Za-z0-9_]{20,}`,
      replace: ([prefix]) => `${prefix}${REDACTED}`,
    },
    {
      source: String.raw`(sk-ant-)[A-Za-z0-9_-]{6,}`,
      replace: ([prefix]) => `${prefix}${REDACTED}`,
    },
    {
      source: String.raw`(AKIA|ASIA)[A-Z0-9]{16}(?![A-Za-z0-9])`,
      replace: ([prefix]) => `${prefix}${REDACTED}`,
    },
    {
      // A JWT: base64url JSON header ("eyJ" = '{"'), payload, optional signature.
      source: String.raw`eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*`,
      replace: () => REDACTED,
    },
    {
      // `key=value`, `key: value`, `"key":"value"`, `?token=…&`. The value runs to whitespace, a
      // quote, & or ; (a quoted value to its closing quote), after an optional auth scheme. The
      // match starts at the keyword, so DB_PASSWORD= and client_secret: are caught by their ends
      // (and what comes before stays untouched).
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

/** One pass of one combined regex: every rule is an alternative, told apart by its outer group. */
function compile(list: Rule[], redactLiterals: (s: string) => string): (s: string) => string {
  const slots: Array<{ start: number; inner: number; rule: Rule }> = [];
  let next = 1;
  for (const rule of list) {
    const inner = groupCount(rule.source);
    slots.push({ start: next, inner, rule });
    next += 1 + inner;
  }
  const combined = new RegExp(list.map((rule) => `(${rule.source})`).join('|'), 'g');

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
