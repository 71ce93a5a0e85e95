/**
 * The rows every benchmark returns and the one table `npm run bench` prints. A row is one
 * figure; where DESIGN §6 sets a budget the row carries it and its verdict, and where the same
 * run measured a baseline (e.g. a bare Bolt app) the row carries that too.
 */

export type Verdict = 'ok' | 'over' | 'info';

/** A DESIGN §6 budget: the figure must satisfy `value <op> budget.value`. */
export interface Budget {
  op: '<' | '<=' | '>=' | '=';
  value: number;
}

export interface Row {
  benchmark: string;
  figure: string;
  value: number;
  unit: string;
  budget?: Budget;
  /** The same figure for the baseline measured side by side in this run. */
  baseline?: number;
  verdict: Verdict;
}

export function withinBudget(value: number, budget: Budget): boolean {
  switch (budget.op) {
    case '<':
      return value < budget.value;
    case '<=':
      return value <= budget.value;
    case '>=':
      return value >= budget.value;
    case '=':
      return value === budget.value;
  }
}

/** Builds a row; the verdict follows from the budget (none: 'info'). NaN never passes a budget. */
export function row(benchmark: string, figure: string, value: number, unit: string, extra: { budget?: Budget; baseline?: number } = {}): Row {
  const verdict: Verdict = extra.budget ? (Number.isFinite(value) && withinBudget(value, extra.budget) ? 'ok' : 'over') : 'info';
  return {
    benchmark,
    figure,
    value,
    unit,
    ...(extra.budget ? { budget: extra.budget } : {}),
    ...(extra.baseline !== undefined ? { baseline: extra.baseline } : {}),
    verdict,
  };
}

function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (Number.isInteger(value)) return String(value);
  return Math.abs(value) >= 100 ? value.toFixed(0) : value.toFixed(2);
}

function formatBudget(budget: Budget | undefined, unit: string): string {
  return budget ? `${budget.op} ${formatNumber(budget.value)} ${unit}`.trimEnd() : '';
}

/** As formatNumber, with more decimals where two would make a figure look equal to its budget. */
function formatValue(r: Row): string {
  const shown = formatNumber(r.value);
  if (!r.budget || !Number.isFinite(r.value) || r.value === r.budget.value || shown !== formatNumber(r.budget.value)) return shown;
  for (let digits = 3; digits <= 6; digits++) {
    const precise = r.value.toFixed(digits);
    if (Number(precise) !== r.budget.value) return precise;
  }
  return String(r.value);
}

/** Plain text, aligned columns; the benchmark name is shown on the first row of its group. */
export function formatTable(rows: readonly Row[]): string {
  const header = ['benchmark', 'figure', 'value', 'unit', 'budget', 'baseline', 'verdict'];
  const cells = rows.map((r, i) => [
    i > 0 && rows[i - 1]?.benchmark === r.benchmark ? '' : r.benchmark,
    r.figure,
    formatValue(r),
    r.unit,
    formatBudget(r.budget, r.unit),
    r.baseline !== undefined ? formatNumber(r.baseline) : '',
    r.verdict === 'over' ? 'OVER' : r.verdict,
  ]);
  const widths = header.map((h, col) => Math.max(h.length, ...cells.map((c) => c[col]!.length)));
  // Numbers read best right-aligned.
  const rightAligned = new Set([2, 5]);
  const line = (c: readonly string[]) =>
    c
      .map((text, col) => (rightAligned.has(col) ? text.padStart(widths[col]!) : text.padEnd(widths[col]!)))
      .join('  ')
      .trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  const out = [line(header), rule];
  cells.forEach((c, i) => {
    if (i > 0 && c[0] !== '') out.push('');
    out.push(line(c));
  });
  return out.join('\n');
}
