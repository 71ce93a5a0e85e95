/**
 * Line splitting and normalisation for CI logs. Lines are numbered 1-based, splitting on `\n`,
 * `\r\n` and a lone `\r` (old Jenkins and progress-bar output use bare carriage returns).
 */

export function splitLogLines(log: string): string[] {
  return log.split(/\r\n|\r|\n/);
}

// eslint-disable-next-line no-control-regex -- ANSI colour codes are control sequences by definition
const ANSI = /\u001b\[[0-9;?]*[A-Za-z]/g;
// GitHub Actions "job<TAB>step<TAB>timestamp " prefix and bare ISO timestamps.
const GITHUB_PREFIX = /^[^\t]*\t[^\t]*\t(?=\d{4}-\d\d-\d\dT)/;
const ISO_TIMESTAMP = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z?\s?/;

/** The line as a person reads it: no colour codes, no runner prefix or timestamp. */
export function cleanLine(line: string): string {
  return line.replace(ANSI, '').replace(GITHUB_PREFIX, '').replace(ISO_TIMESTAMP, '').trimEnd();
}

/**
 * A key under which the same message from two runs compares equal: timestamps, durations, hex ids,
 * temp-file names and numbers are masked, so pass-log lines match their fail-log twins.
 */
export function comparableLine(cleaned: string): string {
  return cleaned
    .replace(/\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:[.,]\d+)?Z?/g, '<ts>')
    .replace(/\b\d\d:\d\d:\d\d(?:[.,]\d+)?\b/g, '<ts>')
    .replace(/\b[0-9a-f]{7,}\b/gi, '<id>')
    .replace(/\d+(?:\.\d+)?\s*(?:ms|s|sec|min|m)\b/g, '<dur>')
    .replace(/\d+/g, '#')
    .replace(/\s+/g, ' ')
    .trim();
}
