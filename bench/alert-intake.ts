/**
 * Alert intake (DESIGN §6: 10,000 Alertmanager alerts accepted and grouped in under 5 s on 2
 * cores, zero lost, one triage run per new alert group, Slack's rate limits respected with the
 * delivery they pace reported apart; under 200 MB RSS after the run).
 *
 * In this process, as bench/workflow-slack.ts and for the same reason (Slack's pacing is
 * simulated on a manual clock): the real app (createApp: HTTP server, webhook handler, SQLite in
 * a temp dir, scheduler, outbox, the triage loop with its LLM client), the Slack emulator with
 * Slack's rate limits ENFORCED, and a loopback Messages API answering every agent's schema
 * (bench/lib/schema-messages-api.ts) behind ANTHROPIC_API_KEY, so the triage loop makes real
 * model calls over HTTP. The sender shares the event loop: the intake figure includes its cost.
 *
 * Phases:
 * 1. Intake: 10,000 alerts in 100 POSTs of 100 to /webhooks/alertmanager (4 in flight), each POST
 *    holding 2 alerts of each of 50 groups, as Alertmanager batches a storm. Timed from the first
 *    request to the last 200 (each 200 is sent only after its alerts are stored and grouped, in
 *    one transaction), on the wall clock; the manual clock stands still, so no window elapses.
 * 2. Delivery: the clock jumps past group_wait; then, whenever the emulator has been quiet for a
 *    few real ms, to the next due timer (a lane's 1 post/s, chat.update's Tier 3 pacing, a
 *    Retry-After), until every group has its message and its triage has replied. Simulated time
 *    is Slack's pacing; real time is what the machine spent.
 * Then: what is stored (lost = sent − stored), groups, triage runs (agent runs of the triage
 * agent), LLM calls (requests the Messages API received), Slack calls by method and 429s, and
 * RSS before the first alert and after the run — of this one process, so the emulator and the
 * sender are in it too (with --expose-gc a collection runs before each progress line).
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { EmulatedChannel, SlackEmulator } from '../src/local/emulator/types.ts';
import { alertmanagerBody, type AlertSpec } from '../test/support/alert-webhooks.ts';
import type { OpsApp } from '../src/app.ts';
import type { BenchContext, Benchmark } from './lib/benchmark.ts';
import { createBenchOpsbot, startBenchEmulator } from './lib/bench-opsbot.ts';
import { makeTempDir, removeTempDir } from './lib/processes.ts';
import { type Row, row } from './lib/report.ts';
import { createSchemaMessagesApi, type SchemaMessagesApi } from './lib/schema-messages-api.ts';
import { SteppedClock } from './lib/stepped-clock.ts';

const NAME = 'alert intake';
const CHANNEL = 'C0ALERTS';
const TOKEN = 'bench-alertmanager-token-0123456789';
const GROUP_WAIT_MS = 30_000;
const IN_FLIGHT = 4;
const QUIET_MS = 10;
const MAX_SIMULATED_MS = 2 * 60 * 60_000;
const MAX_REAL_MS = 120_000;
const INTAKE_BUDGET_S = 5;
const RSS_BUDGET_MB = 200;
const MAX_TRIAGE_ITERATIONS = 3;

export const alertIntake: Benchmark = {
  name: NAME,
  async run(ctx) {
    const plan = ctx.quick ? { alerts: 2_000, perPost: 100, groups: 20 } : { alerts: 10_000, perPost: 100, groups: 50 };
    const dir = makeTempDir('opsbot-bench-alerts-');
    try {
      return await measure(plan, dir, ctx);
    } finally {
      removeTempDir(dir);
    }
  },
};

interface Plan {
  alerts: number;
  perPost: number;
  groups: number;
}

interface Rig {
  app: OpsApp;
  emulator: SlackEmulator;
  clock: SteppedClock;
  llm: SchemaMessagesApi;
  url: string;
  logs: Array<Record<string, unknown>>;
  stop(): Promise<void>;
}

async function startRig(dir: string): Promise<Rig> {
  const llm = createSchemaMessagesApi();
  await llm.start();
  // Bolt checks request timestamps against the real clock, so the clock starts at real now.
  const clock = new SteppedClock(Date.now());
  const channels: EmulatedChannel[] = [{ id: CHANNEL, name: 'alerts', members: ['U0ALICE', 'U0OPSBOT'] }];
  const emulator = await startBenchEmulator(clock, { channels });
  mkdirSync(path.join(dir, 'playbooks'));
  const { app, logs } = createBenchOpsbot({
    dir,
    clock,
    emulator,
    env: {
      ALERT_CHANNELS: CHANNEL,
      ALERTMANAGER_WEBHOOK_TOKEN: TOKEN,
      ALERT_GROUP_WAIT: `${GROUP_WAIT_MS / 1000}s`,
      MAX_TRIAGE_ITERATIONS: String(MAX_TRIAGE_ITERATIONS),
      ANTHROPIC_API_KEY: 'sk-ant-bench-0000000000000000',
      ANTHROPIC_BASE_URL: llm.url,
    },
  });
  let url: string;
  try {
    url = (await app.start()).url;
    emulator.setEventsUrl(`${url}/slack/events`);
  } catch (err) {
    await emulator.stop();
    await llm.stop();
    throw err;
  }
  return {
    app,
    emulator,
    clock,
    llm,
    url,
    logs,
    async stop() {
      const stopping = app.stop();
      let stopped = false;
      void stopping.finally(() => (stopped = true));
      for (let i = 0; i < 100 && !stopped; i++) await clock.advance(1_000);
      await stopping;
      await emulator.stop();
      await llm.stop();
    },
  };
}

async function measure(plan: Plan, dir: string, ctx: BenchContext): Promise<Row[]> {
  const rig = await startRig(dir);
  const startRssMb = process.memoryUsage().rss / 1_048_576;
  ctx.progress(`   started: ${memory()}`);
  try {
    return await drive(rig, plan, ctx, startRssMb);
  } finally {
    await rig.stop();
  }
}

/** POST `i`: `perPost` alerts, spread evenly over the groups, every pod new. */
function body(plan: Plan, post: number): Record<string, unknown> {
  const alerts = Array.from({ length: plan.perPost }, (_, i): AlertSpec => ({
    labels: { alertname: `BenchAlert${i % plan.groups}`, namespace: 'shop', service: 'api', pod: `api-${post}-${i}`, severity: 'warning' },
    annotations: { summary: `BenchAlert${i % plan.groups} on api-${post}-${i}`, runbook_url: `https://runbooks.example/BenchAlert${i % plan.groups}` },
  }));
  return alertmanagerBody(alerts);
}

async function drive(rig: Rig, plan: Plan, ctx: BenchContext, startRssMb: number): Promise<Row[]> {
  const { app, emulator, clock } = rig;
  const posts = plan.alerts / plan.perPost;
  const bodies = Array.from({ length: posts }, (_, i) => JSON.stringify(body(plan, i)));
  const firstCall = emulator.calls.length;

  // Phase 1: intake.
  ctx.progress(`   ${plan.alerts} alerts in ${posts} POSTs of ${plan.perPost} (${plan.groups} groups), ${IN_FLIGHT} in flight`);
  let next = 0;
  let refused = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      for (let i = next++; i < posts; i = next++) {
        const res = await fetch(`${rig.url}/webhooks/alertmanager`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: bodies[i] });
        await res.arrayBuffer();
        if (res.status !== 200) refused++;
      }
    }),
  );
  const intakeMs = performance.now() - started;
  const stored = app.alerts.groups.totalAlerts();
  const groups = app.alerts.groups.list({ open: false, limit: 10_000 });
  ctx.progress(`   accepted and grouped in ${(intakeMs / 1000).toFixed(2)} s: ${stored} alerts stored in ${groups.length} groups; ${memory()}`);

  // Phase 2: Slack delivery and triage, on the clock.
  const t0 = clock.now();
  const realStart = performance.now();
  await clock.advance(GROUP_WAIT_MS);
  const jumps = await fastForward(rig, plan, t0, realStart, ctx);
  const deliveredMs = clock.now() - t0;
  const deliveryRealMs = performance.now() - realStart;
  ctx.progress(`   delivered in ${jumps} clock jumps: ${(deliveredMs / 1000).toFixed(0)} s simulated, ${(deliveryRealMs / 1000).toFixed(1)} s real; ${memory()}`);

  const calls = emulator.calls.slice(firstCall);
  const byMethod = new Map<string, number>();
  for (const c of calls) byMethod.set(c.method, (byMethod.get(c.method) ?? 0) + 1);
  const limited = calls.filter((c) => c.status === 429).length;
  const after = app.alerts.groups.list({ open: false, limit: 10_000 });
  const posted = after.filter((g) => g.messageTs !== null).length;
  const triaged = after.filter((g) => g.triage === 'done' || g.triage === 'failed').length;
  const triageRuns = app.store.agentRuns.list(100_000).filter((r) => r.agent === 'triage').length;
  const llmCalls = rig.llm.requests;
  const warnings = rig.logs.filter((l) => Number(l.level) >= 40 && l.msg !== 'slack rate limited');
  if (warnings.length) ctx.progress(`   opsbot warned:\n${warnings.slice(0, 5).map((l) => `     ${JSON.stringify(l).slice(0, 300)}`).join('\n')}`);
  const rssMb = process.memoryUsage().rss / 1_048_576;
  const s = (ms: number) => ms / 1000;
  const methods = [...byMethod].sort(([a], [b]) => a.localeCompare(b)).map(([m, n]) => `${m} ${n}`).join(', ');

  return [
    row(NAME, `alerts accepted and grouped (${plan.alerts} in ${posts} POSTs of ${plan.perPost}, ${IN_FLIGHT} in flight)`, s(intakeMs), 's', { budget: { op: '<', value: INTAKE_BUDGET_S } }),
    row(NAME, 'alerts accepted and grouped per second', plan.alerts / s(intakeMs), 'alerts/s'),
    row(NAME, 'webhook requests not answered 200', refused, 'requests', { budget: { op: '=', value: 0 } }),
    row(NAME, 'alerts lost (sent − stored)', plan.alerts - stored, 'alerts', { budget: { op: '=', value: 0 } }),
    row(NAME, 'alert groups', groups.length, 'groups', { budget: { op: '=', value: plan.groups } }),
    row(NAME, 'group messages posted (one per group)', posted, 'messages', { budget: { op: '=', value: plan.groups } }),
    row(NAME, 'triage runs (one per new group)', triageRuns, 'runs', { budget: { op: '=', value: plan.groups } }),
    row(NAME, 'groups whose triage finished', triaged, 'groups', { budget: { op: '=', value: plan.groups } }),
    row(NAME, `LLM calls (schema-answering Messages API; at most ${1 + 2 * MAX_TRIAGE_ITERATIONS} per group)`, llmCalls, 'calls', { budget: { op: '<=', value: plan.groups * (1 + 2 * MAX_TRIAGE_ITERATIONS) } }),
    row(NAME, `Slack calls (${methods})`, calls.length, 'calls'),
    row(NAME, '429s received (the outbox paces within the limits)', limited, '429s'),
    row(NAME, 'Slack delivery until every group is posted and triaged, simulated (1 post/s per channel)', s(deliveredMs), 's'),
    row(NAME, 'Slack delivery, real time spent', s(deliveryRealMs), 's'),
    row(NAME, 'RSS before the first alert (modules loaded, app and emulator started)', startRssMb, 'MB'),
    row(NAME, 'RSS after the run (app, emulator and sender in one process)', rssMb, 'MB', { budget: { op: '<', value: RSS_BUDGET_MB } }),
  ];
}

/** Jumps the clock to each next due timer whenever the emulator is quiet, until every group is posted and triaged and the outbox is empty. */
async function fastForward(rig: Rig, plan: Plan, t0: number, realStart: number, ctx: BenchContext): Promise<number> {
  const { app, emulator, clock } = rig;
  for (let jumps = 0; ; jumps++) {
    await emulator.settle(QUIET_MS, 30_000);
    // Counted in SQL: reading the groups through the repository each jump would itself churn memory.
    const { total, waiting } = app.store.db
      .prepare<[], { total: number; waiting: number }>("SELECT COUNT(*) AS total, SUM(message_ts IS NULL OR triage NOT IN ('done', 'failed')) AS waiting FROM alert_groups")
      .get()!;
    const done = total >= plan.groups && waiting === 0;
    if (done && (await outboxDepth(app)) === 0) {
      await app.idle();
      return jumps;
    }
    const due = clock.nextDueAt();
    if (due === undefined) {
      ctx.progress('   stopped waiting: nothing left to wait for, and not every group is posted and triaged');
      return jumps;
    }
    if (clock.now() - t0 > MAX_SIMULATED_MS || performance.now() - realStart > MAX_REAL_MS) {
      ctx.progress(`   stopped waiting: still delivering after ${((clock.now() - t0) / 60_000).toFixed(0)} min simulated`);
      return jumps;
    }
    await clock.advance(Math.max(0, due - clock.now()));
  }
}

async function outboxDepth(app: OpsApp): Promise<number> {
  return (await app.metrics.outboxDepth.get()).values[0]?.value ?? 0;
}

function memory(): string {
  (globalThis as { gc?: () => void }).gc?.();
  const m = process.memoryUsage();
  const mb = (n: number) => `${(n / 1_048_576).toFixed(0)} MB`;
  return `rss ${mb(m.rss)}, heap ${mb(m.heapUsed)} of ${mb(m.heapTotal)}, external ${mb(m.external)}`;
}
