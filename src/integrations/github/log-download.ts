/**
 * Downloads a log from where GitHub's log endpoint redirected to (signed storage on another host).
 * No Authorization header goes there: the URL is its own credential, and the token must not leave
 * GitHub. Logs can be very large and a CI failure's error is near the end, so the download stops
 * at `maxDownloadBytes` and only the last `keepBytes` are kept, marked as cut.
 */
export interface LogDownloadOptions {
  fetch: typeof fetch;
  timeoutMs: number;
  keepBytes: number;
  maxDownloadBytes: number;
}

export async function downloadLog(location: string, options: LogDownloadOptions): Promise<string> {
  const url = new URL(location);
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error(`log redirect to a ${url.protocol} URL`);
  const response = await options.fetch(url, { redirect: 'follow', signal: AbortSignal.timeout(options.timeoutMs) });
  if (!response.ok || !response.body) throw new Error(`log storage answered ${response.status}`);
  const chunks: Buffer[] = [];
  let kept = 0;
  let total = 0;
  let stopped = false;
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    const chunk = Buffer.from(value);
    total += chunk.length;
    chunks.push(chunk);
    kept += chunk.length;
    // Keep a window a little over keepBytes; the final cut happens once, below.
    while (kept - (chunks[0]?.length ?? 0) >= options.keepBytes) kept -= chunks.shift()!.length;
    if (total >= options.maxDownloadBytes) {
      stopped = true;
      await reader.cancel();
      break;
    }
  }
  let tail = Buffer.concat(chunks);
  const cut = total - Math.min(tail.length, options.keepBytes);
  if (tail.length > options.keepBytes) tail = tail.subarray(tail.length - options.keepBytes);
  let text = tail.toString('utf8');
  // The cut may have split a line (or a UTF-8 sequence): start at the next whole line.
  if (cut > 0) text = text.slice(text.indexOf('\n') + 1);
  if (cut === 0 && !stopped) return text;
  const note = stopped
    ? `[log cut: only the first ${options.maxDownloadBytes} bytes were downloaded and the last ${options.keepBytes} of those are shown]`
    : `[log cut: the first ${cut} bytes are not shown]`;
  return `${note}\n${text}`;
}
