import type { Row } from './report.ts';

export interface BenchContext {
  /** Smaller sample counts for developing a benchmark; figures from it are not for reporting. */
  quick: boolean;
  /** Progress for the person waiting (stderr); the table is the result. */
  progress(line: string): void;
}

export interface Benchmark {
  name: string;
  run(ctx: BenchContext): Promise<Row[]>;
}
