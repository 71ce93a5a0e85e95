/** Plain-text cutting for Slack's length limits. */

export const FENCE = '```';
export const ELLIPSIS = '…';

/**
 * Cuts text into pieces of at most `limit` characters at line boundaries (inside a line only
 * when one line alone is too long). With `fences` (mrkdwn), a cut inside a ``` block closes
 * the block and reopens it in the next piece, so code stays code on both sides.
 */
export function splitText(text: string, limit: number, options: { fences?: boolean } = {}): string[] {
  if (text.length <= limit) return [text];
  const fences = options.fences ?? true;
  // "\n```" closes a piece, "```\n" reopens the next one.
  const reserve = fences ? FENCE.length + 1 : 0;
  const room = limit - 2 * reserve;
  const pieces = text.split('\n').flatMap((line) => hardWrap(line, room));

  const chunks: string[] = [];
  let current: string[] = [];
  let length = 0;
  let inFence = false;
  for (const piece of pieces) {
    const toggles = fences && countFences(piece) % 2 === 1;
    const inFenceAfter: boolean = inFence !== toggles;
    const added = (current.length > 0 ? 1 : 0) + piece.length;
    if (current.length > 0 && length + added + (inFenceAfter ? reserve : 0) > limit) {
      chunks.push(current.join('\n') + (inFence ? `\n${FENCE}` : ''));
      current = inFence ? [FENCE] : [];
      length = inFence ? FENCE.length : 0;
    }
    length += (current.length > 0 ? 1 : 0) + piece.length;
    current.push(piece);
    inFence = inFenceAfter;
  }
  if (current.length > 0) chunks.push(current.join('\n'));
  return chunks;
}

function hardWrap(line: string, room: number): string[] {
  const out: string[] = [];
  let rest = line;
  while (rest.length > room) {
    const space = rest.lastIndexOf(' ', room - 1);
    let cut = space >= room / 2 ? space + 1 : room;
    if (isHighSurrogate(rest.charCodeAt(cut - 1))) cut -= 1;
    // Never cut a ``` marker in two: it would stop being a fence on both sides.
    while (cut > 1 && rest[cut - 1] === '`' && rest[cut] === '`') cut -= 1;
    if (cut <= 1) cut = room;
    out.push(rest.slice(0, cut));
    rest = rest.slice(cut);
  }
  out.push(rest);
  return out;
}

function countFences(line: string): number {
  return line.split(FENCE).length - 1;
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

/** Cuts to `max` characters, the last one an ellipsis; never splits a surrogate pair. */
export function truncateText(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = max - 1;
  if (isHighSurrogate(text.charCodeAt(end - 1))) end -= 1;
  return text.slice(0, end) + ELLIPSIS;
}

