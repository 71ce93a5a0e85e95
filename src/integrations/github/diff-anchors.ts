/**
 * The lines of a file's new version a review comment can be anchored on: GitHub accepts a
 * `line` (side RIGHT) only inside the patch's hunks, on an added or a context line; anything else
 * is refused with "Line could not be resolved". Counting each hunk's lines, as the header says,
 * is what tells an added "++x" line from a following "+++" header. Pure.
 */
const HUNK_HEADER = /^@@ -\d+(?:,(\d+))? \+(\d+)(?:,(\d+))? @@/;

export function commentableLines(patch: string | undefined): Set<number> {
  const lines = new Set<number>();
  if (!patch) return lines;
  let newLine = 0;
  let oldLeft = 0;
  let newLeft = 0;
  for (const raw of patch.split('\n')) {
    const text = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (oldLeft <= 0 && newLeft <= 0) {
      const header = HUNK_HEADER.exec(text);
      if (header) {
        oldLeft = header[1] === undefined ? 1 : Number(header[1]);
        newLeft = header[3] === undefined ? 1 : Number(header[3]);
        newLine = Number(header[2]);
      }
      continue;
    }
    const marker = text[0];
    if (marker === '-') {
      oldLeft -= 1;
    } else if (marker === '\\') {
      // "\ No newline at end of file" belongs to the line before it.
    } else if (marker === '+') {
      lines.add(newLine++);
      newLeft -= 1;
    } else {
      lines.add(newLine++);
      newLeft -= 1;
      oldLeft -= 1;
    }
  }
  return lines;
}
