/**
 * Durable workflow step transitions (DESIGN §6: at least 2,000/s, Slack delivery excluded).
 *
 * In this process: the real engine (src/workflows/engine.ts) on a real SQLite file in a temp
 * dir, opened as opsbot opens it (WAL, synchronous=NORMAL, checkpoints on a worker thread), the
 * real clock, and a catalog holding one idempotent no-op action. 1,000 runs of a 10-step
 * workflow are started at once and run concurrently to the end; each step makes two durable
 * transitions (recorded running with its idempotency key, then succeeded), each its own
 * committed transaction. Events go nowhere (Slack excluded).
 *
 * Figures: step transitions per second over the whole batch (first start to last run
 * finished), the commits that took, and checks read back from the database afterwards: every
 * run succeeded, every step succeeded once.
 */
import path from 'node:path';
import pino from 'pino';
import { systemClock } from '../src/clock.ts';
import { startCheckpointer } from '../src/store/checkpointer.ts';
import { openDatabase } from '../src/store/open-database.ts';
import { createStore } from '../src/store/store.ts';
import type { ActionCatalog, ActionDefinition } from '../src/workflows/action.ts';
import type { WorkflowDefinition } from '../src/workflows/definition.ts';
import { createWorkflowEngine } from '../src/workflows/engine.ts';
import type { BenchContext, Benchmark } from './lib/benchmark.ts';
import { makeTempDir, removeTempDir } from './lib/processes.ts';
import { type Row, row } from './lib/report.ts';

const NAME = 'workflow transitions';
const STEPS = 10;
/** Per step: recorded running (attempt + idempotency key), then succeeded (+ outputs). */
const TRANSITIONS_PER_STEP = 2;
const BUDGET_PER_SECOND = 2_000;

const noop: ActionDefinition = {
  name: 'noop',
  summary: 'does nothing',
  idempotent: true,
  parse: (input) => input,
  run: async () => ({ result: {} }),
};

const definition: WorkflowDefinition = {
  name: 'noop-10',
  description: 'ten no-op steps',
  params: {},
  run: { role: 'viewer' },
  triggers: { command: true, schedules: [] },
  steps: Array.from({ length: STEPS }, (_, i) => ({ kind: 'action' as const, id: `step-${i + 1}`, action: 'noop', with: {}, continueOnError: false })),
  file: 'bench/noop-10.yaml',
  source: 'workflow',
};

export const workflowTransitions: Benchmark = {
  name: NAME,
  async run(ctx: BenchContext): Promise<Row[]> {
    const runs = ctx.quick ? 100 : 1_000;
    const dir = makeTempDir('opsbot-bench-workflows-');
    try {
      // A warm-up batch in its own file, so the measured one does not pay for JIT and first prepares.
      await measure(path.join(dir, 'warmup.db'), Math.min(100, runs), ctx);
      const result = await measure(path.join(dir, 'opsbot.db'), runs, ctx);
      const transitions = runs * STEPS * TRANSITIONS_PER_STEP;
      const perSecond = transitions / (result.ms / 1000);
      ctx.progress(`   ${runs} runs x ${STEPS} steps: ${transitions} transitions in ${result.ms.toFixed(0)} ms`);
      return [
        row(NAME, `durable step transitions/s (${runs} concurrent runs x ${STEPS} no-op steps)`, Math.round(perSecond), '/s', { budget: { op: '>=', value: BUDGET_PER_SECOND } }),
        row(NAME, 'wall time, first start to last run finished', Math.round(result.ms), 'ms'),
        row(NAME, 'runs in flight at once (peak)', result.peak, 'runs'),
        row(NAME, 'SQLite commits per step transition', result.commits / transitions, 'commits'),
        row(NAME, `runs succeeded (of ${runs})`, result.runsSucceeded, 'runs', { budget: { op: '=', value: runs } }),
        row(NAME, `steps succeeded with attempt 1 (of ${runs * STEPS})`, result.stepsOnce, 'steps', { budget: { op: '=', value: runs * STEPS } }),
        row(NAME, 'RSS after the batch', Math.round(process.memoryUsage().rss / 1_048_576), 'MB'),
      ];
    } finally {
      removeTempDir(dir);
    }
  },
};

interface Measured {
  ms: number;
  commits: number;
  runsSucceeded: number;
  stepsOnce: number;
  /** Runs active at once, right after the starts. */
  peak: number;
}

async function measure(file: string, runs: number, ctx: BenchContext): Promise<Measured> {
  const log = pino({ level: 'warn' });
  const base = createStore(openDatabase(file), { isProcessAlive: () => true });
  let commits = 0;
  const store = {
    ...base,
    transaction: <T>(fn: () => T): T => {
      commits++;
      return base.transaction(fn);
    },
  };
  const checkpointer = startCheckpointer(base.db, { log });
  const catalog: ActionCatalog = new Map([[noop.name, noop as ActionDefinition<never>]]);
  const engine = createWorkflowEngine({
    store,
    clock: systemClock(),
    log,
    catalog,
    definitions: () => new Map([[definition.name, definition]]),
    isApprover: async () => false,
    killOrphans: () => [],
    events: { runChanged: () => {}, approvalRequested: () => {}, approvalDecided: () => {}, stepLog: () => {} },
    dryRun: false,
  });
  try {
    await engine.resume();
    commits = 0;
    const started = performance.now();
    // Every run is recorded and has its first step in flight before any action completes.
    await Promise.all(Array.from({ length: runs }, (_, i) => engine.start(definition.name, {}, { userId: `U${i % 50}`, channel: 'CBENCH' }, 'command')));
    const peak = engine.activeRuns();
    while (engine.activeRuns() > 0) await new Promise<void>((resolve) => setImmediate(resolve));
    const ms = performance.now() - started;

    const db = base.db;
    const runsSucceeded = (db.prepare(`SELECT count(*) AS n FROM workflow_runs WHERE status = 'succeeded'`).get() as { n: number }).n;
    const stepsOnce = (db.prepare(`SELECT count(*) AS n FROM workflow_steps WHERE status = 'succeeded' AND attempt = 1`).get() as { n: number }).n;
    if (runsSucceeded !== runs) ctx.progress(`   only ${runsSucceeded} of ${runs} runs succeeded`);
    return { ms, commits, runsSucceeded, stepsOnce, peak };
  } finally {
    await engine.stop();
    await checkpointer.stop();
    base.close();
  }
}
