/**
 * The offline CI-failure analyst over the cidiff breakages (../shared/fixtures/ci-logs/cidiff):
 * an `E` interval of `groundtruth` is found when the extract holds at least one of its lines;
 * recall is found / intervals per breakage, macro-averaged. `C` lines and `groundtruth2` are ignored.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DEFAULT_MAX_CHARS, DEFAULT_MAX_LINES, extractCharCount, extractErrorLines } from '../src/agents/offline/ci-log-extract.ts';
import type { Benchmark } from './lib/benchmark.ts';
import { row, type Row } from './lib/report.ts';

const NAME = 'ci-log recall';
const BUDGET_RECALL = 0.8;
const DATASET = fileURLToPath(new URL('../../shared/fixtures/ci-logs/cidiff', import.meta.url));

interface Interval {
  from: number;
  to: number;
}

export function parseGroundTruth(text: string): Interval[] {
  const intervals: Interval[] = [];
  for (const line of text.split(/\r?\n/).slice(1)) {
    const m = /^E\s+(\d+)(?:\s*-\s*(\d+))?\s*$/.exec(line.trim());
    if (!m) continue;
    const from = Number(m[1]);
    intervals.push({ from, to: m[2] === undefined ? from : Number(m[2]) });
  }
  return intervals;
}

export const ciLogRecall: Benchmark = {
  name: NAME,
  run(ctx) {
    if (!existsSync(DATASET)) {
      return Promise.resolve([row(NAME, `skipped: dataset not found at ${DATASET}`, Number.NaN, '')]);
    }
    const rows: Row[] = [];
    const recalls: number[] = [];
    let maxLines = 0;
    let maxChars = 0;
    const breakages = readdirSync(DATASET, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name)
      .sort();
    for (const name of breakages) {
      const dir = `${DATASET}/${name}`;
      const intervals = parseGroundTruth(readFileSync(`${dir}/groundtruth`, 'utf8'));
      if (intervals.length === 0) continue;
      const passPath = `${dir}/pass.log`;
      const extract = extractErrorLines(readFileSync(`${dir}/fail.log`, 'utf8'), existsSync(passPath) ? { passLog: readFileSync(passPath, 'utf8') } : {});
      const numbers = extract.lines.map((l) => l.number);
      const found = intervals.filter((iv) => numbers.some((n) => n >= iv.from && n <= iv.to)).length;
      const recall = found / intervals.length;
      const chars = extractCharCount(extract);
      recalls.push(recall);
      maxLines = Math.max(maxLines, extract.lines.length);
      maxChars = Math.max(maxChars, chars);
      ctx.progress(`   ${name}: ${found}/${intervals.length}`);
      rows.push(
        row(NAME, `${name}: recall (${found}/${intervals.length} intervals)`, recall, ''),
        row(NAME, `${name}: extract lines / chars`, extract.lines.length, `lines, ${chars} chars`),
      );
    }
    const macro = recalls.reduce((a, b) => a + b, 0) / Math.max(recalls.length, 1);
    rows.push(
      row(NAME, `recall, macro-averaged over ${recalls.length} breakages`, macro, '', { budget: { op: '>=', value: BUDGET_RECALL } }),
      row(NAME, 'largest extract, lines', maxLines, 'lines', { budget: { op: '<=', value: DEFAULT_MAX_LINES } }),
      row(NAME, 'largest extract, chars', maxChars, 'chars', { budget: { op: '<=', value: DEFAULT_MAX_CHARS } }),
    );
    return Promise.resolve(rows);
  },
};
