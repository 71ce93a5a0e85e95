import { describe, expect, it } from 'vitest';
import { createRedactor, isSecretKey, REDACTED } from '../src/redact.ts';
import { ORDINARY_TEXT, SECRET_SAMPLES } from './secret-samples.ts';

const redactor = createRedactor([]);

describe('redactString', () => {
  it.each(SECRET_SAMPLES)('removes a $family from the middle of a sentence', ({ value, secret }) => {
    const out = redactor.redactString(`posting with ${value} failed`);
    expect(out).not.toContain(secret);
    expect(out).toContain(REDACTED);
    expect(out.startsWith('posting with ')).toBe(true);
    expect(out.endsWith(' failed')).toBe(true);
  });

  it.each(SECRET_SAMPLES)('removes a $family wherever it sits: start, end, quotes, JSON, after a newline', ({ value, secret }) => {
    for (const text of [value, `${value} at start`, `at end: ${value}`, `"${value}"`, `'${value}'`, JSON.stringify({ text: `x ${value}` }), `line one\n${value}\nline three`]) {
      expect(redactor.redactString(text)).not.toContain(secret);
    }
  });

  it('keeps a hint of what kind of token was removed', () => {
    expect(redactor.redactString('posting with xoxb-1234-abcd failed')).toBe(`posting with xoxb-${REDACTED} failed`);
    expect(redactor.redactString('Authorization: Bearer abc123def456')).toBe(`Authorization: Bearer ${REDACTED}`);
    expect(redactor.redactString('https://deploy:pa55w0rd@registry.example.com/')).toBe(`https://deploy:${REDACTED}@registry.example.com/`);
  });

  it.each(ORDINARY_TEXT)('leaves ordinary text alone: %s', (text) => {
    expect(redactor.redactString(text)).toBe(text);
  });

  it('redacts key=value pairs only up to whitespace, quote, & or ;', () => {
    expect(redactor.redactString('https://x.example/cb?token=abc123&state=ok')).toBe(`https://x.example/cb?token=${REDACTED}&state=ok`);
    expect(redactor.redactString('DB_PASSWORD=hunter2; export X=1')).toBe(`DB_PASSWORD=${REDACTED}; export X=1`);
    expect(redactor.redactString('{"client_secret":"two words","user":"bob"}')).toBe(`{"client_secret":"${REDACTED}","user":"bob"}`);
    expect(redactor.redactString("x-api-key: 'k 1'")).toBe(`x-api-key: '${REDACTED}'`);
  });

  it('keeps a JSON document valid when a secret sits inside an escaped string', () => {
    const json = JSON.stringify({ msg: 'connect password="hunter2" to xoxb-1-2\nnext' });
    const out = redactor.redactString(json);
    expect(out).not.toContain('hunter2');
    expect(() => JSON.parse(out) as unknown).not.toThrow();
  });

  it('redacts a private key cut off before its END line to the end of the text', () => {
    const out = redactor.redactString('key:\n-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA');
    expect(out).not.toContain('b3BlbnNzaC1rZXktdjEAAAAA');
  });

  it('is idempotent: redacting twice changes nothing more', () => {
    for (const { value } of SECRET_SAMPLES) {
      const once = redactor.redactString(`a ${value} b`);
      expect(redactor.redactString(once)).toBe(once);
    }
  });

  it('stays fast on a long line without separators', () => {
    const blob = 'A'.repeat(200_000) + '/' + 'b1'.repeat(100_000);
    const started = performance.now();
    redactor.redactString(blob);
    expect(performance.now() - started).toBeLessThan(500);
  });
});

describe('configured secrets', () => {
  const signingSecret = '8f14e45fceea167a5a36dedd4bea2543';
  const withSecrets = createRedactor([signingSecret, 'p@ss word/+1', 'short']);

  it('removes a configured value wherever it appears', () => {
    expect(withSecrets.redactString(`sig ${signingSecret}!`)).toBe(`sig ${REDACTED}!`);
    expect(withSecrets.redactString(`x${signingSecret}y`)).not.toContain(signingSecret);
  });

  it('removes its URL-encoded and JSON-escaped forms too', () => {
    const out = withSecrets.redactString(`q=${encodeURIComponent('p@ss word/+1')} form=p%40ss+word%2F%2B1 raw=p@ss word/+1`);
    expect(out).not.toContain('p%40ss');
    expect(out).not.toContain('p@ss');
  });

  it('ignores values shorter than six characters, which would mangle ordinary words', () => {
    expect(withSecrets.redactString('a short note')).toBe('a short note');
  });

  it('still finds a configured value inside a word that only looked like a credential', () => {
    const letters = createRedactor(['abcdefghijkl']);
    expect(letters.redactString('Bearer abcdefghijkl')).toBe(`Bearer ${REDACTED}`);
  });
});

describe('redactValue', () => {
  it('redacts strings at any depth in objects and arrays', () => {
    const input = { a: { b: [{ c: 'use xoxb-1234-abcd' }] }, n: 1, ok: true, nothing: null };
    expect(redactor.redactValue(input)).toEqual({ a: { b: [{ c: `use xoxb-${REDACTED}` }] }, n: 1, ok: true, nothing: null });
  });

  it('redacts whatever sits under a secret-sounding key', () => {
    const out = redactor.redactValue({
      password: 'plain',
      headers: { Authorization: 'anything', cookie: 'sid=1', 'x-api-key': 42 },
      slack: { botToken: 'not-shaped-like-a-token', signingSecret: { nested: 'x' } },
      private_key: 'k',
      routingKey: 'r',
      client_secret: 'c',
      hasPassword: false,
      emptyToken: '',
    });
    expect(out).toEqual({
      password: REDACTED,
      headers: { Authorization: REDACTED, cookie: REDACTED, 'x-api-key': REDACTED },
      slack: { botToken: REDACTED, signingSecret: REDACTED },
      private_key: REDACTED,
      routingKey: REDACTED,
      client_secret: REDACTED,
      hasPassword: false,
      emptyToken: '',
    });
  });

  it('keeps counters and references that only mention tokens or secrets', () => {
    const input = { max_tokens: 1024, input_tokens: 12, tokenType: 'bot', secretName: 'db-credentials-ref', author: 'alice' };
    expect(redactor.redactValue(input)).toEqual(input);
  });

  it('does not mutate its input', () => {
    const input = { token: 'xoxb-1-2', list: ['ghp_' + 'x'.repeat(36)] };
    const before = structuredClone(input);
    redactor.redactValue(input);
    expect(input).toEqual(before);
  });

  it('survives cycles and keeps shared references shared', () => {
    const shared = { note: 'xoxb-1-2' };
    const input: Record<string, unknown> = { a: shared, b: shared };
    input.self = input;
    const out = redactor.redactValue(input) as Record<string, unknown>;
    expect(out.self).toBe(out);
    expect(out.a).toBe(out.b);
    expect((out.a as { note: string }).note).toBe(`xoxb-${REDACTED}`);
  });

  it('redacts an Error message, stack, cause and extra properties, keeping its class', () => {
    class SlackApiError extends Error {
      override name = 'SlackApiError';
    }
    const cause = new Error('inner ghp_' + 'y'.repeat(36));
    const err = new SlackApiError('posting with xoxb-1234-abcd failed', { cause }) as SlackApiError & Record<string, unknown>;
    err.data = { token: 'abc', detail: 'see xapp-1-A1-2-3' };
    const out = redactor.redactValue(err) as SlackApiError & Record<string, unknown>;
    expect(out).toBeInstanceOf(SlackApiError);
    expect(out.name).toBe('SlackApiError');
    expect(out.message).toBe(`posting with xoxb-${REDACTED} failed`);
    expect(out.stack).not.toContain('1234-abcd');
    expect((out.cause as Error).message).not.toContain('yyyy');
    expect(out.data).toEqual({ token: REDACTED, detail: `see xapp-${REDACTED}` });
    expect(err.message).toContain('xoxb-1234-abcd');
  });

  it('redacts Map and Set contents and URL objects', () => {
    const out = redactor.redactValue({
      m: new Map<string, string>([
        ['password', 'x'],
        ['note', 'xoxb-1-2'],
      ]),
      s: new Set(['xoxb-3-4']),
      u: new URL('https://bob:hunter2@example.com/'),
    }) as { m: Map<string, string>; s: Set<string>; u: string };
    expect(out.m.get('password')).toBe(REDACTED);
    expect(out.m.get('note')).toBe(`xoxb-${REDACTED}`);
    expect([...out.s]).toEqual([`xoxb-${REDACTED}`]);
    expect(out.u).not.toContain('hunter2');
  });

  it('passes primitives through', () => {
    expect(redactor.redactValue(5)).toBe(5);
    expect(redactor.redactValue(undefined)).toBeUndefined();
    expect(redactor.redactValue('xoxb-1-2')).toBe(`xoxb-${REDACTED}`);
  });
});

describe('isSecretKey', () => {
  it.each(['password', 'DB_PASSWORD', 'client_secret', 'botToken', 'Authorization', 'x-api-key', 'apiKey', 'private_key', 'cookie', 'signing_secret', 'webhookSecret'])(
    'treats %s as secret',
    (key) => expect(isSecretKey(key)).toBe(true),
  );
  it.each(['max_tokens', 'tokenType', 'secretName', 'author', 'channel', 'keyspace'])('treats %s as ordinary', (key) => expect(isSecretKey(key)).toBe(false));
});
