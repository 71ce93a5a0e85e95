import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { extractCharCount, extractErrorLines } from '../../../src/agents/offline/ci-log-extract.ts';
import { splitLogLines } from '../../../src/agents/offline/ci-log-lines.ts';

const fixture = (name: string): string => readFileSync(new URL(`../../fixtures/ci-logs/mimecraft_2316/${name}`, import.meta.url), 'utf8');

describe('extractErrorLines', () => {
  it('numbers lines splitting on \\n, \\r\\n and a lone \\r', () => {
    const log = 'one\r\ntwo\rthree\nERROR: four\r\nfive';

    expect(splitLogLines(log)).toEqual(['one', 'two', 'three', 'ERROR: four', 'five']);
    expect(extractErrorLines(log).lines).toEqual([{ number: 4, text: 'ERROR: four' }]);
  });

  it('keeps at most 40 lines and 3,000 characters of a huge log, and says it cut', () => {
    const noise = Array.from({ length: 20_000 }, (_, i) => (i % 50 === 0 ? `[ERROR] module-${i} failed: ${'x'.repeat(300)} code ${i}` : `[INFO] step ${i}`));

    const extract = extractErrorLines(noise.join('\n'));

    expect(extract.lines.length).toBeLessThanOrEqual(40);
    expect(extractCharCount(extract)).toBeLessThanOrEqual(3000);
    expect(extract.truncated).toBe(true);
    expect(extract.lines.map((l) => l.number)).toEqual([...extract.lines.map((l) => l.number)].sort((a, b) => a - b));
  });

  it("finds a Maven failure's [ERROR] lines, numbered as the ground truth numbers them", () => {
    const extract = extractErrorLines(fixture('fail.log'), { passLog: fixture('pass.log') });
    const byNumber = new Map(extract.lines.map((l) => [l.number, l.text]));

    // groundtruth: E 200-208, E 210-211
    expect(byNumber.get(200)).toMatch(/^\[ERROR\] Plugin fr\.inria\.gforge\.spoon:spoon-maven-plugin:3\.5-SNAPSHOT or one of its dependencies could not be resolved/);
    expect(byNumber.get(211)).toMatch(/^ERROR: Step .Publish XML Summary Reports. failed/);
    expect([...byNumber.values()].some((t) => t.includes('To see the full stack trace'))).toBe(false);
  });

  it("yields a JUnit assertion's line, not its stack frames", () => {
    const log = [
      '[INFO] Running com.example.CartTest',
      '[ERROR] Tests run: 3, Failures: 1, Errors: 0, Skipped: 0, Time elapsed: 0.12 s <<< FAILURE! - in com.example.CartTest',
      '[ERROR] totalIncludesTax(com.example.CartTest)  Time elapsed: 0.01 s  <<< FAILURE!',
      'java.lang.AssertionError: expected:<110> but was:<100>',
      '\tat org.junit.Assert.fail(Assert.java:89)',
      '\tat org.junit.Assert.failNotEquals(Assert.java:835)',
      '\tat com.example.CartTest.totalIncludesTax(CartTest.java:42)',
      '[INFO] BUILD FAILURE',
    ].join('\n');

    const texts = extractErrorLines(log).lines.map((l) => l.text);

    expect(texts).toContain('java.lang.AssertionError: expected:<110> but was:<100>');
    expect(texts.some((t) => t.trim().startsWith('at '))).toBe(false);
  });

  it('drops noise the passing log also printed', () => {
    const pass = ['2024-01-01T10:00:00.000Z warning: deprecated API used in Foo.java (took 12 ms)', 'BUILD SUCCESS'].join('\n');
    const fail = ['2024-01-02T11:30:00.000Z warning: deprecated API used in Foo.java (took 40 ms)', 'error: cannot open config.yml', 'BUILD FAILURE'].join('\n');

    const withoutPass = extractErrorLines(fail, { maxLines: 2 }).lines.map((l) => l.number);
    const withPass = extractErrorLines(fail, { passLog: pass, maxLines: 2 }).lines.map((l) => l.number);

    expect(withoutPass).toContain(2);
    expect(withPass).toEqual([2, 3]);
  });
});
