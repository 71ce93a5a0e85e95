import { describe, expect, it } from 'vitest';
import { addedLines } from '../../../src/agents/offline/diff-lines.ts';

describe('addedLines', () => {
  it('numbers added lines as in the new file, counting context and skipping removals', () => {
    const patch = ['@@ -10,4 +10,5 @@ export function start() {', ' const a = 1;', '-const b = 2;', '+const b = 3;', '+const c = 4;', ' const d = 5;', ' return a;'].join('\n');

    expect(addedLines(patch)).toEqual([
      { line: 11, text: 'const b = 3;' },
      { line: 12, text: 'const c = 4;' },
    ]);
  });

  it('restarts numbering at each hunk header', () => {
    const patch = ['@@ -1,2 +1,3 @@', ' one', '+two', ' three', '@@ -40,2 +41,2 @@ function later()', '-old', '+new', ' tail'].join('\n');

    expect(addedLines(patch)).toEqual([
      { line: 2, text: 'two' },
      { line: 41, text: 'new' },
    ]);
  });

  it('reads a new file from line 1 and a deleted file as adding nothing', () => {
    expect(addedLines('@@ -0,0 +1,2 @@\n+first\n+second')).toEqual([
      { line: 1, text: 'first' },
      { line: 2, text: 'second' },
    ]);
    expect(addedLines('@@ -1,2 +0,0 @@\n-first\n-second')).toEqual([]);
  });

  it('accepts hunk headers without counts, meaning one line', () => {
    expect(addedLines('@@ -3 +3 @@\n-x\n+y')).toEqual([{ line: 3, text: 'y' }]);
  });

  it('treats an added line that starts with "++" as content, and a "+++" header after the hunk as a header', () => {
    const diff = [
      'diff --git a/a.md b/a.md',
      '--- a/a.md',
      '+++ b/a.md',
      '@@ -1 +1,2 @@',
      ' title',
      '+++ not a header',
      'diff --git a/b.md b/b.md',
      '--- a/b.md',
      '+++ b/b.md',
    ].join('\n');

    expect(addedLines(diff)).toEqual([{ line: 2, text: '++ not a header' }]);
  });

  it('ignores "\\ No newline at end of file" and the carriage return of a CRLF file', () => {
    const patch = '@@ -1 +1 @@\r\n-a\r\n\\ No newline at end of file\r\n+b\r\n\\ No newline at end of file';

    expect(addedLines(patch)).toEqual([{ line: 1, text: 'b' }]);
  });

  it('counts an empty line inside a hunk as context whose space was trimmed', () => {
    expect(addedLines('@@ -1,3 +1,4 @@\n a\n\n c\n+d')).toEqual([{ line: 4, text: 'd' }]);
  });

  it("finds nothing in GitHub's documented example patch, which has hunk headers but no lines", () => {
    // The `patch` of the diff-entry example in GitHub's REST API description (pulls/{n}/files).
    expect(addedLines('@@ -132,7 +132,7 @@ module Test @@ -1000,7 +1000,7 @@ module Test')).toEqual([]);
  });
});
