import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from '../src/duration.ts';
import { UserError } from '../src/errors.ts';

describe('parseDuration', () => {
  it.each([
    ['250ms', 250],
    ['30s', 30_000],
    ['5m', 300_000],
    ['4h', 14_400_000],
    ['7d', 604_800_000],
    ['2w', 1_209_600_000],
    ['1h30m', 5_400_000],
    ['1d2h3m4s5ms', 93_784_005],
    ['0', 0],
    ['0s', 0],
    [' 5m ', 300_000],
  ])('reads %j as %i milliseconds', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['', 'soon', '5', '5x', '-5m', '1.5h', '5 m', '30m1h', '5m5m', 'm', '1h 30m', '5M'])('rejects %j with a message showing what to write', (text) => {
    expect(() => parseDuration(text)).toThrow(UserError);
    expect(() => parseDuration(text)).toThrow(`expected a duration like 30s, 5m, 4h, 7d or 1h30m, got ${JSON.stringify(text)}`);
  });

  it('rejects a number too large to count milliseconds exactly', () => {
    expect(() => parseDuration('99999999999999999999d')).toThrow(UserError);
  });
});

describe('formatDuration', () => {
  it.each([
    [0, '0s'],
    [250, '250ms'],
    [30_000, '30s'],
    [5_400_000, '1h30m'],
    [604_800_000, '1w'],
    [93_784_005, '1d2h3m4s5ms'],
    [-90_000, '-1m30s'],
    [1_499.6, '1s500ms'],
  ])('writes %i milliseconds as %j', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it('writes what parseDuration reads back to the same value', () => {
    for (const ms of [1, 999, 61_000, 3_600_001, 90_061_001, 2_000_000_000]) expect(parseDuration(formatDuration(ms))).toBe(ms);
  });

  it('refuses a value that is not a finite number', () => {
    expect(() => formatDuration(Number.NaN)).toThrow(RangeError);
    expect(() => formatDuration(Number.POSITIVE_INFINITY)).toThrow(RangeError);
  });
});
