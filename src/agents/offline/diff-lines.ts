/**
 * Unified-diff hunk parsing for the offline PR reviewer: the lines a patch adds, numbered as in
 * the new file, so a finding can point at `file:line` the way GitHub's review UI does.
 *
 * Input is one file's patch: GitHub's PR files API gives hunks only (`@@ -1,3 +1,4 @@` onwards);
 * `git diff` output with `diff --git` / `---` / `+++` headers is accepted too, for one file.
 */

export interface AddedLine {
  /** 1-based line number in the new file. */
  line: number;
  /** The added text without its leading `+` (and without a CRLF file's trailing `\r`). */
  text: string;
}

const HUNK_HEADER = /^@@ -\d+(?:,(\d+))? \+(\d+)(?:,(\d+))? @@/;

export function addedLines(patch: string): AddedLine[] {
  const added: AddedLine[] = [];
  let newLine = 0;
  // Lines still expected in the current hunk. Counting them (rather than trusting the first
  // character) is what tells an added line "++x" inside a hunk from a "+++ b/file" header after it.
  let oldLeft = 0;
  let newLeft = 0;

  for (const raw of patch.split('\n')) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (oldLeft <= 0 && newLeft <= 0) {
      const header = HUNK_HEADER.exec(line);
      if (header) {
        oldLeft = header[1] === undefined ? 1 : Number(header[1]);
        newLeft = header[3] === undefined ? 1 : Number(header[3]);
        newLine = Number(header[2]);
        // `+0,0` (a deleted file) names line 0; an added line can only follow a real start.
        if (newLeft > 0 && newLine === 0) newLine = 1;
      }
      continue;
    }
    const marker = line[0];
    if (marker === '+') {
      added.push({ line: newLine, text: line.slice(1) });
      newLine += 1;
      newLeft -= 1;
    } else if (marker === '-') {
      oldLeft -= 1;
    } else if (marker === '\\') {
      // "\ No newline at end of file": about the previous line, not a line of its own.
    } else {
      // Context; an empty line is context whose leading space was trimmed by an editor or mailer.
      newLine += 1;
      newLeft -= 1;
      oldLeft -= 1;
    }
  }
  return added;
}
