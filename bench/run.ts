/**
 * `npm run bench` (node bench/run.ts [--json] [--quick] [--only <name>]): runs every benchmark in
 * BENCHMARKS, one after the other, and prints one table at the end (progress goes to stderr).
 *
 * Reading the table:
 * - figure / value / unit: one measured figure. Latencies are per request, from just before the
 *   request is written to the end of the response, in milliseconds; p50 / p99 by nearest rank.
 * - budget: the DESIGN §6 budget the figure must meet, when there is one ("< 50 ms", "<= 1.5 x");
 *   correctness checks carry one too (e.g. "= 0" non-200 acks).
 * - baseline: the same figure for the baseline measured side by side in the same run (for ack
 *   latency: a bare Bolt app answering the same signed request, requests interleaved with
 *   opsbot's so both saw the same machine).
 * - verdict: ok (within budget), OVER (outside it), info (no budget: context for the others).
 * - ack latency: "@ c=8" means 8 load workers, each alternating opsbot / bare Bolt request by
 *   request (about 4 in flight per app); "each app alone" rows load one app at a time, since
 *   interleaving makes both apps' request rates equal by construction.
 * - "simulated": time on a benchmark's manual clock, fast-forwarded through waits nobody works in
 *   (Slack's pacing, Retry-After), so minutes of rate limiting take seconds to measure.
 * Being OVER a budget is a finding, not a failure: the exit code is 0. It is non-zero only when a
 * benchmark crashed (its error is printed after the table).
 *
 * --json prints the rows as JSON instead of the table. --quick runs smaller sample counts (for
 * developing a benchmark; do not report those figures). --only runs one benchmark by name.
 */
import { ackLatency } from './ack-latency.ts';
import { alertIntake } from './alert-intake.ts';
import { ciLogRecall } from './ci-log-recall.ts';
import { triageOffline } from './triage-offline.ts';
import type { Benchmark, BenchContext } from './lib/benchmark.ts';
import { killAllChildrenSync, removeAllTempDirsSync } from './lib/processes.ts';
import { formatTable, type Row } from './lib/report.ts';
import { workflowSlack } from './workflow-slack.ts';
import { workflowTransitions } from './workflow-transitions.ts';

/** In the order they run. Later issues add workflow transitions, alert intake, CI-log recall… */
const BENCHMARKS: readonly Benchmark[] = [ackLatency, workflowTransitions, workflowSlack, ciLogRecall, triageOffline, alertIntake];

interface Args {
  json: boolean;
  quick: boolean;
  only: string | undefined;
}

function parseArgs(argv: readonly string[]): Args {
  const args: Args = { json: false, quick: false, only: undefined };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--json') args.json = true;
    else if (a === '--quick') args.quick = true;
    else if (a === '--only') args.only = argv[++i];
    else throw new Error(`unknown argument ${a}; usage: node bench/run.ts [--json] [--quick] [--only <benchmark>]`);
  }
  return args;
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  const selected = BENCHMARKS.filter((b) => !args.only || b.name === args.only);
  if (selected.length === 0) throw new Error(`no benchmark named "${args.only}"; there are: ${BENCHMARKS.map((b) => b.name).join(', ')}`);

  const ctx: BenchContext = { quick: args.quick, progress: (line) => process.stderr.write(`${line}\n`) };
  const rows: Row[] = [];
  const crashes: Array<{ benchmark: string; error: string }> = [];
  for (const benchmark of selected) {
    ctx.progress(`== ${benchmark.name}`);
    const started = performance.now();
    try {
      rows.push(...(await benchmark.run(ctx)));
    } catch (err) {
      crashes.push({ benchmark: benchmark.name, error: err instanceof Error ? (err.stack ?? err.message) : String(err) });
    } finally {
      // Whatever a benchmark left behind (it should have stopped its own) does not leak into the next.
      killAllChildrenSync();
      removeAllTempDirsSync();
    }
    ctx.progress(`   ${benchmark.name}: ${((performance.now() - started) / 1000).toFixed(1)} s`);
  }

  if (args.json) {
    process.stdout.write(`${JSON.stringify({ quick: args.quick, rows, crashes }, null, 2)}\n`);
  } else {
    if (args.quick) process.stdout.write('(--quick: small samples, not for reporting)\n');
    process.stdout.write(`${formatTable(rows)}\n`);
    for (const c of crashes) process.stdout.write(`\nCRASHED: ${c.benchmark}\n${c.error}\n`);
  }
  return crashes.length > 0 ? 1 : 0;
}

// Children and temp dirs never outlive the bench, however it ends.
process.on('exit', () => {
  killAllChildrenSync();
  removeAllTempDirsSync();
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    process.stderr.write(`bench: ${signal}, stopping\n`);
    process.exit(130);
  });
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 2;
  },
);
