import { UserError } from './errors.ts';

/**
 * Durations as people write them in opsbot.yaml, the environment and Slack commands:
 * `250ms`, `30s`, `5m`, `4h`, `7d`, `2w`, or a descending combination such as `1h30m`.
 */

const UNIT_MS = { w: 604_800_000, d: 86_400_000, h: 3_600_000, m: 60_000, s: 1_000, ms: 1 } as const;
type Unit = keyof typeof UNIT_MS;
const UNITS_DESCENDING = Object.keys(UNIT_MS) as Unit[];

// `ms` must come before `m` in the alternation or "250ms" would read as 250 minutes + "s".
const PART = /(\d+)(ms|w|d|h|m|s)/y;

export const DURATION_EXAMPLES = '30s, 5m, 4h, 7d or 1h30m';

/** Milliseconds in `text`; throws a UserError (safe to show) when it is not a duration. */
export function parseDuration(text: string): number {
  const source = text.trim();
  const fail = () =>
    new UserError('invalid_duration', `expected a duration like ${DURATION_EXAMPLES}, got ${JSON.stringify(text)}`);
  // A bare zero needs no unit: "no wait" reads the same in every unit.
  if (source === '0') return 0;
  if (source === '') throw fail();

  let total = 0;
  let index = 0;
  let previousRank = -1;
  while (index < source.length) {
    PART.lastIndex = index;
    const match = PART.exec(source);
    if (!match) throw fail();
    const unit = match[2] as Unit;
    const rank = UNITS_DESCENDING.indexOf(unit);
    // "30m1h" or "5m5m" are more likely typos than intent.
    if (rank <= previousRank) throw fail();
    previousRank = rank;
    total += Number(match[1]) * UNIT_MS[unit];
    index = PART.lastIndex;
  }
  if (!Number.isSafeInteger(total)) throw fail();
  return total;
}

/** The shortest form parseDuration reads back to the same value: 5400000 → "1h30m". */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) throw new RangeError(`formatDuration: not a finite number: ${ms}`);
  let rest = Math.round(Math.abs(ms));
  if (rest === 0) return '0s';
  let out = '';
  for (const unit of UNITS_DESCENDING) {
    const size = UNIT_MS[unit];
    const count = Math.floor(rest / size);
    if (count > 0) {
      out += `${count}${unit}`;
      rest -= count * size;
    }
  }
  return ms < 0 ? `-${out}` : out;
}
