import { describe, expect, it } from 'vitest';
import { boltLogger, createLogger } from '../src/logger.ts';
import { createRedactor } from '../src/redact.ts';
import { ORDINARY_TEXT, SECRET_SAMPLES } from './secret-samples.ts';

const CONFIGURED_SECRET = '8f14e45fceea167a5a36dedd4bea2543';

/** A logger writing into memory, as a test (or a log shipper) would read it. */
function capture(options: { pretty: boolean; level?: string }) {
  const chunks: string[] = [];
  const log = createLogger({
    level: options.level ?? 'trace',
    pretty: options.pretty,
    redactor: createRedactor([CONFIGURED_SECRET]),
    destination: { write: (chunk: string) => void chunks.push(chunk) },
  });
  return { log, output: () => chunks.join(''), lines: () => chunks.join('').split('\n').filter((l) => l !== '') };
}

/** Logs `value` every way a secret can reach a log line. */
function logEverywhere(log: ReturnType<typeof capture>['log'], value: string): void {
  log.info(`posting with ${value} failed`);
  log.warn({ request: { body: { text: `see ${value}`, list: [value] } } }, 'nested');
  log.error(new Error(`posting with ${value} failed`));
  const err = new Error('call failed') as Error & Record<string, unknown>;
  err.data = { detail: value };
  err.cause = new Error(`cause: ${value}`);
  log.error({ err }, 'with extra properties');
  log.info('format %s and %o', value, { note: value });
  log.child({ request: `bound ${value}` }).info('from a child');
  log.child({ component: 'x' }).child({ deeper: value }).debug('from a grandchild');
}

describe.each([
  ['JSON', false],
  ['pretty', true],
])('createLogger, %s output', (_mode, pretty) => {
  it.each(SECRET_SAMPLES)('never prints a $family, wherever it was logged', ({ value, secret }) => {
    const { log, output } = capture({ pretty });
    logEverywhere(log, value);
    expect(output()).not.toContain(secret);
    expect(output()).toContain('[REDACTED]');
  });

  it('never prints a configured secret value', () => {
    const { log, output } = capture({ pretty });
    logEverywhere(log, CONFIGURED_SECRET);
    expect(output()).not.toContain(CONFIGURED_SECRET);
  });

  it('prints values under secret keys as [REDACTED]', () => {
    const { log, output } = capture({ pretty });
    log.info({ headers: { authorization: 'opaque', cookie: 'sid=42' }, password: 12345678 }, 'request');
    expect(output()).not.toContain('opaque');
    expect(output()).not.toContain('sid=42');
    expect(output()).not.toContain('12345678');
  });

  it.each(ORDINARY_TEXT)('prints ordinary text as it is: %s', (text) => {
    const { log, output } = capture({ pretty });
    log.info({ detail: text }, text);
    // Once as the message, once as the field.
    expect(output().split(text).length - 1).toBe(2);
  });
});

describe('createLogger, JSON output', () => {
  it('writes one parseable JSON object per line with level, time, message and the error', () => {
    const { log, lines } = capture({ pretty: false });
    log.error(new Error('boom with xoxb-1234-abcd'), 'deploy failed');
    const [line] = lines();
    const entry = JSON.parse(line ?? '') as { level: number; time: string; msg: string; err: { type: string; message: string; stack: string } };
    expect(entry.level).toBe(50);
    expect(entry.time).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(entry.msg).toBe('deploy failed');
    expect(entry.err.type).toBe('Error');
    expect(entry.err.message).toBe('boom with xoxb-[REDACTED]');
    expect(entry.err.stack).toContain('boom with xoxb-[REDACTED]');
  });

  it('serializes an error logged under `error` as well as `err`', () => {
    const { log, lines } = capture({ pretty: false });
    log.warn({ error: new Error('retrying') }, 'slack call');
    const entry = JSON.parse(lines()[0] ?? '') as { error: { message: string; stack: string } };
    expect(entry.error.message).toBe('retrying');
    expect(entry.error.stack).toContain('retrying');
  });

  it('drops lines below the configured level', () => {
    const { log, lines } = capture({ pretty: false, level: 'warn' });
    log.info('quiet');
    log.warn('loud');
    expect(lines()).toHaveLength(1);
    expect(lines()[0]).toContain('loud');
  });

  it('survives logging an object that refers to itself', () => {
    const { log, lines } = capture({ pretty: false });
    const loop: Record<string, unknown> = { token: 'xoxb-1-2' };
    loop.self = loop;
    log.info({ loop }, 'cyclic');
    expect(lines()).toHaveLength(1);
    expect(lines()[0]).not.toContain('xoxb-1-2');
  });
});

describe('createLogger, pretty output', () => {
  it('prints a readable line with the level and message instead of JSON', () => {
    const { log, output } = capture({ pretty: true });
    log.info('opsbot started');
    expect(output()).toMatch(/INFO.*opsbot started/);
    expect(output().trim().startsWith('{')).toBe(false);
  });

  it('has no colour codes when writing to something that is not a terminal', () => {
    const { log, output } = capture({ pretty: true });
    log.warn('plain');
    expect(output()).not.toContain('\u001b[');
  });
});

describe('boltLogger', () => {
  it('sends Bolt and Web API messages through the same redaction', () => {
    const { log, output } = capture({ pretty: false });
    const slack = boltLogger(log);
    slack.debug('http request url: https://slack.com/api/chat.postMessage', { token: 'xoxb-9-9', channel: 'C0123456789' });
    slack.info('connected with', 'xapp-1-A1-2-abc');
    slack.warn('rate limited');
    slack.error(new Error('invalid_auth for xoxb-1234-abcd'));
    const text = output();
    expect(text).not.toContain('xoxb-9-9');
    expect(text).not.toContain('A1-2-abc');
    expect(text).not.toContain('1234-abcd');
    expect(text).toContain('C0123456789');
    expect(text).toContain('rate limited');
  });

  it('writes variadic arguments as one message, objects as structured args, and an Error as err', () => {
    const { log, lines } = capture({ pretty: false });
    boltLogger(log).error('An unhandled error occurred', 42, new Error('boom'), { retry: 2 });
    const entry = JSON.parse(lines()[0] ?? '') as { name: string; msg: string; args: unknown[]; err: { message: string } };
    expect(entry).toMatchObject({ name: 'slack', msg: 'An unhandled error occurred 42', args: [{ retry: 2 }], err: { message: 'boom' } });
  });

  it('has its own level, so Bolt setting debug does not make the rest of opsbot chatty', () => {
    const { log, lines } = capture({ pretty: false, level: 'info' });
    const slack = boltLogger(log);
    expect(slack.getLevel()).toBe('info');
    slack.debug('hidden');
    slack.setLevel('debug' as Parameters<typeof slack.setLevel>[0]);
    expect(slack.getLevel()).toBe('debug');
    slack.debug('shown');
    log.debug('still hidden');
    expect(lines().map((l) => (JSON.parse(l) as { msg: string }).msg)).toEqual(['shown']);
  });

  it('names its lines after setName, keeping the level', () => {
    const { log, lines } = capture({ pretty: false, level: 'info' });
    const slack = boltLogger(log);
    slack.setLevel('warn' as Parameters<typeof slack.setLevel>[0]);
    slack.setName('bolt-app');
    slack.info('hidden');
    slack.warn('named');
    expect(lines()).toHaveLength(1);
    expect(JSON.parse(lines()[0] ?? '')).toMatchObject({ name: 'bolt-app', msg: 'named' });
  });
});
