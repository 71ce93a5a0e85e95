/**
 * The last `capBytes` bytes of a stream. Command output is kept from the end because that is
 * where a failure explains itself; what was dropped is counted and noted at the top.
 */
export interface TailBuffer {
  push(chunk: Buffer): void;
  /** The kept text, led by a note when bytes were dropped. */
  text(): string;
  readonly droppedBytes: number;
}

export function createTailBuffer(capBytes: number): TailBuffer {
  let chunks: Buffer[] = [];
  let kept = 0;
  let dropped = 0;

  const trim = () => {
    let excess = kept - capBytes;
    while (excess > 0) {
      const first = chunks[0];
      if (!first) break;
      if (first.length <= excess) {
        chunks.shift();
        excess -= first.length;
        kept -= first.length;
        dropped += first.length;
      } else {
        chunks[0] = first.subarray(excess);
        kept -= excess;
        dropped += excess;
        excess = 0;
      }
    }
  };

  return {
    push(chunk) {
      chunks.push(chunk);
      kept += chunk.length;
      if (kept > capBytes) trim();
    },
    text() {
      let bytes = Buffer.concat(chunks);
      chunks = [bytes];
      if (dropped === 0) return bytes.toString('utf8');
      // The cut may land inside a UTF-8 sequence: skip its continuation bytes rather than show U+FFFD.
      let start = 0;
      while (start < bytes.length && start < 3 && ((bytes[start] ?? 0) & 0xc0) === 0x80) start++;
      bytes = bytes.subarray(start);
      return `[… ${dropped + start} bytes cut; the last ${bytes.length} follow]\n${bytes.toString('utf8')}`;
    },
    get droppedBytes() {
      return dropped;
    },
  };
}
