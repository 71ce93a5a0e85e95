import { describe, expect, it } from 'vitest';
import { categorizeCiFailure } from '../../../src/agents/offline/ci-failure-category.ts';

const lines = (...texts: string[]) => texts.map((text, i) => ({ number: i + 1, text }));

describe('categorizeCiFailure', () => {
  it('calls a full disk a resource failure and cites the line', () => {
    const guess = categorizeCiFailure(lines('[INFO] compiling', 'java.io.IOException: No space left on device'));

    expect(guess).toMatchObject({ category: 'resource', evidence: [2] });
  });

  it('calls an unresolvable artifact a dependency failure', () => {
    expect(categorizeCiFailure(lines('[ERROR] Failed to execute goal on project app: Could not resolve dependencies for project com.example:app')).category).toBe('dependency');
  });

  it('calls a failing assertion a test failure', () => {
    expect(categorizeCiFailure(lines('[ERROR] Tests run: 3, Failures: 1, Errors: 0', 'java.lang.AssertionError: expected:<1> but was:<2>')).category).toBe('test');
  });

  it('calls an unreachable remote infrastructure', () => {
    expect(categorizeCiFailure(lines("fatal: unable to access 'https://github.com/o/r.git/': The requested URL returned error: 503")).category).toBe('infrastructure');
  });

  it('calls a missing tool environment and a timeout flaky', () => {
    expect(categorizeCiFailure(lines('/bin/sh: 1: mvn: command not found')).category).toBe('environment');
    expect(categorizeCiFailure(lines('java.net.SocketTimeoutException: Read timed out')).category).toBe('flaky');
  });

  it('falls back to test with low confidence when nothing matches', () => {
    expect(categorizeCiFailure(lines('something odd happened'))).toEqual({ category: 'test', confidence: 0.2, evidence: [] });
  });
});
