/**
 * Offline CI-failure analyst, part one: the error lines that matter in a failing build log, by
 * deterministic heuristics (no model). Each line is scored by error markers across ecosystems,
 * discounted when it also appears in the passing log or repeats, and the best lines that fit the
 * budget are returned in log order.
 */
import { cleanLine, comparableLine, splitLogLines } from './ci-log-lines.ts';

export interface ExtractOptions {
  /** A passing log of the same job: lines it also has are less likely to be the cause. */
  passLog?: string;
  maxLines?: number;
  maxChars?: number;
}

export interface ExtractedLine {
  /** 1-based, counting `\n`, `\r\n` and lone `\r` as line ends. */
  number: number;
  text: string;
}

export interface Extract {
  lines: ExtractedLine[];
  /** True when more lines scored as relevant than the budget allowed. */
  truncated: boolean;
}

export const DEFAULT_MAX_LINES = 40;
export const DEFAULT_MAX_CHARS = 3000;
/** Longer lines are cut so one giant line cannot eat the whole character budget. */
const MAX_LINE_CHARS = 160;
/** Lines whose masked text starts the same are one family of messages. */
const FAMILY_PREFIX = 48;

interface Rule {
  pattern: RegExp;
  score: number;
}

// Ordered roughly by how surely the line names the failure; a line takes its best-scoring rule.
const RULES: readonly Rule[] = [
  { pattern: /Failed to execute goal|BUILD FAILURE|FAILURE: Build failed|Execution failed for task/, score: 10 },
  { pattern: /No space left on device|OutOfMemoryError|Killed|out of memory|Too many open files/i, score: 9 },
  { pattern: /^\s*(?:[\w$]+\.)+[\w$]*(?:Exception|Error)\b(?::|$)/, score: 8 },
  { pattern: /^\s*(?:Caused by|Caused):/, score: 7 },
  { pattern: /^\s*(?:\w*Error|\w*Exception): /, score: 8 },
  { pattern: /^(?:FATAL|ERROR):|^\s*fatal:|^npm ERR!|^\s*error(?:\[\w+\])?:|^Error:/, score: 8 },
  { pattern: /^\S+:\d+(?::\d+)?:\s*(?:fatal )?error\b|\.\w+:\[\d+,\d+\]/, score: 8 },
  { pattern: /\bTests run: \d+, Failures: [1-9]|\bTests run: \d+, Failures: \d+, Errors: [1-9]|Tests in error|Failed tests:/, score: 8 },
  { pattern: /AssertionError|AssertionFailedError|ComparisonFailure|expected:?\s*<.*> but was/, score: 8 },
  { pattern: /Exception in thread|^Traceback \(most recent call last\)/, score: 8 },
  { pattern: /\bFAILED\b|^FAIL\b|\bFAILURE\b|marked build as failure/, score: 6 },
  { pattern: /Something went wrong|could not be resolved|Could not resolve|Could not find|does not exist|Unable to|Cannot |cannot |not found|Permission denied|returned (?:status|exit) code [1-9]|exit code [1-9]|timed out/i, score: 5 },
  { pattern: /^\[ERROR\]|\berror\b/i, score: 4 },
  { pattern: /^\[WARNING\].*(?:Exception|fail)/i, score: 2 },
];

// Maven's and Gradle's closing advice: marked as errors, but the same in every failure.
const BOILERPLATE =
  /^\[ERROR\]\s*$|To see the full stack trace|Re-run Maven|For more information about the errors|^\[ERROR\]\s*(?:-> )?\[Help \d\]|Run with --(?:stacktrace|info|debug|scan)|Get more help at|^\s*at |^\s*\.\.\. \d+ more|^\s*\|\s*$/;
// Lines that talk about errors without being one (counts of zero, flags, file names).
const NOT_AN_ERROR = /Failures: 0, Errors: 0|errors?: 0\b|-Werror|error_prone|errorprone|\b0 errors?\b|ignoreErrors|onError|ErrorHandler\.java|\bINFO\b.*\berror\b/i;

function ruleScore(text: string): number {
  if (text.trim() === '' || BOILERPLATE.test(text)) return 0;
  let best = 0;
  for (const rule of RULES) if (rule.score > best && rule.pattern.test(text)) best = rule.score;
  if (best > 0 && best < 8 && NOT_AN_ERROR.test(text)) best = Math.min(best, 1);
  return best;
}

function truncateText(text: string): string {
  return text.length <= MAX_LINE_CHARS ? text : `${text.slice(0, MAX_LINE_CHARS - 1)}…`;
}

export function extractErrorLines(log: string, options: ExtractOptions = {}): Extract {
  const maxLines = options.maxLines ?? DEFAULT_MAX_LINES;
  const maxChars = options.maxChars ?? DEFAULT_MAX_CHARS;
  const raw = splitLogLines(log);
  const cleaned = raw.map(cleanLine);
  const passKeys = new Set(options.passLog === undefined ? [] : splitLogLines(options.passLog).map((l) => comparableLine(cleanLine(l))));

  const seen = new Map<string, number>();
  const families = new Map<string, number>();
  const scored: Array<{ index: number; score: number }> = [];
  const total = cleaned.length;
  cleaned.forEach((text, index) => {
    // Closing advice and stack frames are never the message, even when only the failing run printed them.
    if (BOILERPLATE.test(text)) return;
    const base = ruleScore(text);
    const key = comparableLine(text);
    const repeats = seen.get(key) ?? 0;
    seen.set(key, repeats + 1);
    // Same opening, different tail (one stack per module): keep the first few, not all of them.
    const family = key.slice(0, FAMILY_PREFIX);
    const kin = families.get(family) ?? 0;
    families.set(family, kin + 1);
    // Lines only the failing run printed are candidates even without a marker (e.g. a script's report).
    const novel = options.passLog !== undefined && key !== '' && !passKeys.has(key);
    if (base === 0 && !novel) return;
    let score = base === 0 ? 1 : base;
    if (options.passLog !== undefined) score *= novel ? 1.5 : 0.3;
    if (repeats > 0) score *= 0.2;
    else if (kin > 0) score *= 0.6 ** Math.min(kin, 4);
    // The cause is usually reported near the end, where the build stopped.
    score *= 1 + index / Math.max(total, 1);
    scored.push({ index, score });
  });

  scored.sort((a, b) => b.score - a.score || b.index - a.index);
  const chosen: ExtractedLine[] = [];
  let chars = 0;
  let truncated = false;
  for (const candidate of scored) {
    const text = truncateText(cleaned[candidate.index] ?? '');
    if (chosen.length >= maxLines || chars + text.length + 1 > maxChars) {
      truncated = true;
      if (chosen.length >= maxLines) break;
      continue;
    }
    chosen.push({ number: candidate.index + 1, text });
    chars += text.length + 1;
  }
  chosen.sort((a, b) => a.number - b.number);
  return { lines: chosen, truncated };
}

/** Characters the extract takes: every line plus its line break (the budget is checked on this). */
export function extractCharCount(extract: Extract): number {
  return extract.lines.reduce((sum, l) => sum + l.text.length + 1, 0);
}
