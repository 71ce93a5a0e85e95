/**
 * What workflow runs cost in Slack (issue 3: "Slack API calls per run (updates coalesced; no 429
 * left unhandled)"): N runs of a 10-step no-op workflow, started at once by `/ops workflow run`
 * in five channels, against the Slack emulator with Slack's rate limits ENFORCED (chat.postMessage
 * per channel: a burst of 5, then 1/s; chat.update: Tier 3, 50 per minute per workspace).
 *
 * In this process: the real app (createApp: Bolt, intake, inbox, engine, workflow UI, outbox,
 * real SQLite in a temp dir, a real child process per shell step) and the emulator, both on one
 * ManualClock (bench/lib/stepped-clock.ts). In-process with a manual clock rather than a
 * `node src/main.ts start` child on the wall clock because Slack's pacing is the thing measured:
 * at 50 updates a minute, a hundred runs' updates take minutes of real waiting, far over the
 * bench's time, and a wall clock would measure the same pacing arithmetic slowly. The clock:
 * - while runs are still executing, it follows real time (advanced by the real milliseconds
 *   elapsed, every few ms), so Slack's pacing interleaves with the runs' progress as it would in
 *   production — renders coalesce against the real speed of the engine;
 * - once every run has finished in the engine, only Slack delivery is left, and the clock is
 *   fast-forwarded: whenever the emulator has been quiet for a few real ms, it jumps to the next
 *   due timer (a lane's posting pace, a Retry-After pause).
 * Simulated times below are on that clock: Slack pacing time, not the bench's own run time.
 *
 * Figures (calls as the emulator recorded them, from the first command on): Web API calls per
 * run by method (parent posts and thread posts apart), response_url POSTs, total calls, 429s
 * received, calls given up (a 429 never got past, or any call that failed for good: budget 0),
 * runs whose parent message ends showing exactly the finished run, text and blocks (budget N:
 * coalescing must not drop the last state), how many parent posts went out after their run had
 * finished yet showed it unfinished (each costs a chat.update at Tier 3), and the simulated time
 * until every parent message was final.
 *
 * Acks are not measured here (bench/ack-latency.ts does, with opsbot in its own process): the
 * sender shares this event loop with the app and its step processes.
 */
import { writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import type { EmulatedChannel, EmulatedUser, RecordedCall, SlackEmulator } from '../src/local/emulator/types.ts';
import { runMessage } from '../src/slack/views/workflow-views.ts';
import { FINISHED_RUN_STATUSES } from '../src/store/types.ts';
import type { OpsApp } from '../src/app.ts';
import type { BenchContext, Benchmark } from './lib/benchmark.ts';
import { createBenchOpsbot, startBenchEmulator } from './lib/bench-opsbot.ts';
import { makeTempDir, removeTempDir } from './lib/processes.ts';
import { type Row, row } from './lib/report.ts';
import { SteppedClock } from './lib/stepped-clock.ts';
import { percentile } from './lib/stats.ts';

const NAME = 'workflow slack';
const STEPS = 10;
const WORKFLOW = 'noop-10';
const CHANNELS = ['C0BENCH1', 'C0BENCH2', 'C0BENCH3', 'C0BENCH4', 'C0BENCH5'];
const USERS: EmulatedUser[] = Array.from({ length: 10 }, (_, i) => ({ id: `U0BENCH${String(i + 1).padStart(2, '0')}`, name: `bench${i + 1}` }));
/** Real quiet on the emulator before the clock jumps to the next timer: loopback calls answer well within it. */
const QUIET_MS = 10;
/** Real-time step of the clock while runs execute. */
const FOLLOW_MS = 2;
/** Bounds, so a UI that never settles ends the benchmark with a finding instead of hanging it. */
const MAX_SIMULATED_MS = 60 * 60_000;
const MAX_REAL_MS = 45_000;
const FINISHED = new Set<string>(FINISHED_RUN_STATUSES);
/** The outbox's own words when it stops trying a call (src/slack/outbox.ts). */
const GAVE_UP_RATE_LIMITED = 'slack kept rate limiting; giving up';
const RATE_LIMITED_NOTICE = 'slack rate limited';
/** A parent message's fallback text names the run's status (runMessage: `noop-10 wf-3: succeeded, …`). */
const FINISHED_TEXT = new RegExp(`^${WORKFLOW} wf-\\d+: (?:${FINISHED_RUN_STATUSES.map((s) => s.replace('_', ' ')).join('|')})\\b`);

export const workflowSlack: Benchmark = {
  name: NAME,
  async run(ctx) {
    const runs = ctx.quick ? 25 : 100;
    const dir = makeTempDir('opsbot-bench-wf-slack-');
    try {
      return await measure(runs, dir, ctx);
    } finally {
      removeTempDir(dir);
    }
  },
};

interface Rig {
  app: OpsApp;
  emulator: SlackEmulator;
  clock: SteppedClock;
  logs: Array<Record<string, unknown>>;
  stop(): Promise<void>;
}

async function startRig(dir: string): Promise<Rig> {
  const workflowsDir = path.join(dir, 'workflows');
  mkdirSync(workflowsDir);
  // JSON is YAML: the loader reads it like any definition.
  writeFileSync(
    path.join(workflowsDir, `${WORKFLOW}.yaml`),
    JSON.stringify({
      name: WORKFLOW,
      description: 'Ten idempotent no-op steps',
      params: {},
      role: 'viewer',
      steps: Array.from({ length: STEPS }, (_, i) => ({ id: `step-${i + 1}`, name: `Step ${i + 1}`, action: 'shell.idempotent', with: { argv: ['true'] } })),
    }),
  );

  // Bolt checks request timestamps against the real clock, so the clock starts at real now.
  const clock = new SteppedClock(Date.now());
  const people = USERS.map((u) => u.id);
  const channels: EmulatedChannel[] = CHANNELS.map((id, i) => ({ id, name: `bench-${i + 1}`, members: [...people, 'U0OPSBOT'] }));
  const emulator = await startBenchEmulator(clock, { channels, users: USERS });

  const { app, logs } = createBenchOpsbot({ dir, clock, emulator, workflowsDir, baseEnv: { PATH: process.env.PATH ?? '/usr/bin:/bin' } });
  try {
    const { url } = await app.start();
    emulator.setEventsUrl(`${url}/slack/events`);
  } catch (err) {
    await emulator.stop();
    throw err;
  }
  return {
    app,
    emulator,
    clock,
    logs,
    async stop() {
      // Whatever is still queued for Slack goes out on the clock, not in real time.
      const stopping = app.stop();
      let stopped = false;
      void stopping.finally(() => (stopped = true));
      for (let i = 0; i < 100 && !stopped; i++) await clock.advance(1_000);
      await stopping;
      await emulator.stop();
    },
  };
}

async function measure(runs: number, dir: string, ctx: BenchContext): Promise<Row[]> {
  const rig = await startRig(dir);
  try {
    return await drive(rig, runs, ctx);
  } finally {
    await rig.stop();
  }
}

interface ParentTarget {
  runId: string;
  channel: string;
  ts: string;
  /** When the run finished in the engine (clock ms), if it did. */
  finishedAt: number | null;
}

async function drive(rig: Rig, runs: number, ctx: BenchContext): Promise<Row[]> {
  const { app, emulator, clock } = rig;
  const t0 = clock.now();
  const realStart = performance.now();
  const firstCall = emulator.calls.length;
  const runIds = Array.from({ length: runs }, (_, i) => `wf-${i + 1}`);

  ctx.progress(`   ${runs} x /ops workflow run ${WORKFLOW} over ${CHANNELS.length} channels, rate limits enforced`);
  await startAndRun(rig, runIds, realStart, ctx);
  const finishedMs = clock.now() - t0;
  ctx.progress(`   runs finished in the engine after ${(finishedMs / 1000).toFixed(1)} s (clock followed real time)`);
  const jumps = await fastForward(rig, runIds, t0, realStart, ctx);
  const realMs = performance.now() - realStart;
  ctx.progress(`   Slack delivery fast-forwarded in ${jumps} clock jumps; ${(realMs / 1000).toFixed(1)} s real in all`);

  const calls = emulator.calls.slice(firstCall);
  const tally = tallyCalls(calls, parents(app, runIds), t0);
  ctx.progress(`   calls by method: ${[...tally.byMethod].map(([m, n]) => `${m} ${n}${tally.limited.has(m) ? ` (${tally.limited.get(m)} x 429)` : ''}`).join(', ')}`);
  ctx.progress(`   runs by chat.update count: ${[...tally.runsByUpdates].sort(([a], [b]) => a - b).map(([n, r]) => `${n}: ${r}`).join(', ')}`);

  const succeeded = runIds.filter((id) => app.workflows.get(id)?.status === 'succeeded').length;
  const finalShown = runIds.filter((id) => showsFinal(app, emulator, id)).length;
  // Given up: the outbox reports a call that failed for good as 'failed', except one it stopped
  // waiting out 429s for, which only its log line tells.
  const gaveUpLimited = rig.logs.filter((l) => l.msg === GAVE_UP_RATE_LIMITED).length;
  const failedCalls = (await app.metrics.slackCalls.get()).values.filter((v) => v.labels.outcome === 'failed').reduce((a, v) => a + v.value, 0);
  const warnings = rig.logs.filter((l) => Number(l.level) >= 40 && l.msg !== RATE_LIMITED_NOTICE);
  if (warnings.length) ctx.progress(`   opsbot warned (besides "${RATE_LIMITED_NOTICE}"):\n${warnings.slice(0, 10).map((l) => `     ${JSON.stringify(l)}`).join('\n')}`);

  const per = (n: number) => n / runs;
  const s = (ms: number) => ms / 1000;
  const ok = (method: string) => tally.okByMethod.get(method) ?? 0;
  const others = [...tally.byMethod].filter(([m]) => !NAMED_METHODS.has(m));
  const { finalAt } = tally;
  return [
    row(NAME, `runs succeeded (${runs} started at once by /ops workflow run, ${CHANNELS.length} channels)`, succeeded, 'runs', { budget: { op: '=', value: runs } }),
    row(NAME, 'chat.postMessage per run: parent message', per(tally.parentPosts), 'calls'),
    row(NAME, 'chat.postMessage per run: thread', per(tally.threadPosts), 'calls'),
    row(NAME, `chat.update per run (naive: ${2 * STEPS}+; lower is better)`, per(ok('chat.update')), 'calls'),
    row(NAME, 'chat.update for one run, most', tally.maxUpdates, 'calls'),
    row(NAME, `parent posts that already showed the finished run (of ${tally.parentPosts})`, tally.postedFinal, 'posts'),
    row(NAME, 'parent posts sent after their run finished, showing it unfinished', tally.postedStale, 'posts'),
    row(NAME, 'chat.postEphemeral per run', per(ok('chat.postEphemeral')), 'calls'),
    row(NAME, 'response_url POSTs per run', per(ok('response_url')), 'calls'),
    row(NAME, `other Web API calls per run (${others.map(([m, n]) => `${m} ${n}`).join(', ') || 'none'})`, per(others.reduce((a, [, n]) => a + n, 0)), 'calls'),
    row(NAME, 'Slack calls per run, all (429s included)', per(calls.length), 'calls'),
    row(NAME, 'Slack calls, total', calls.length, 'calls'),
    row(NAME, `429s received (${[...tally.limited].map(([m, n]) => `${m} ${n}`).join(', ') || 'none'})`, [...tally.limited.values()].reduce((a, b) => a + b, 0), '429s'),
    row(NAME, '429s for one message, most (the outbox gives a call up after 10)', tally.maxLimited, '429s'),
    row(NAME, '429s left unhandled (calls given up after rate limiting)', gaveUpLimited, 'calls', { budget: { op: '=', value: 0 } }),
    row(NAME, 'Slack calls failed for good (any cause)', failedCalls + gaveUpLimited, 'calls', { budget: { op: '=', value: 0 } }),
    row(NAME, `parent messages showing the final run (of ${runs})`, finalShown, 'runs', { budget: { op: '=', value: runs } }),
    row(NAME, 'runs finished in the engine (clock = real time)', s(finishedMs), 's'),
    row(NAME, 'last parent message posted, simulated (1 post/s per channel)', s(tally.lastParentPostAt), 's'),
    row(NAME, 'parent message final, p50 over runs, simulated', s(percentile(finalAt, 50)), 's'),
    row(NAME, 'every parent message final, simulated (Slack pacing)', finalAt.length === runs ? s(finalAt[finalAt.length - 1]!) : Number.NaN, 's'),
    row(NAME, 'opsbot log lines at warn+ (besides 429 notices)', warnings.length, 'lines'),
    row(NAME, 'real time of the measurement', s(realMs), 's'),
  ];
}

/**
 * Phase 1: the commands, all at once, and the runs to their end, while the clock follows real
 * time (so Slack's pacing interleaves with the runs' progress as it would in production).
 */
async function startAndRun(rig: Rig, runIds: readonly string[], realStart: number, ctx: BenchContext): Promise<void> {
  const { app, emulator, clock } = rig;
  const follow = clock.follower();
  let sending = true;
  const follower = (async () => {
    while (sending || !allFinished(app, runIds)) {
      await new Promise((resolve) => setTimeout(resolve, FOLLOW_MS));
      await follow();
      if (performance.now() - realStart > MAX_REAL_MS) {
        const statuses = runIds.map((id) => `${id} ${app.workflows.get(id)?.status ?? 'not started'}`).join(', ');
        throw new Error(`runs not finished after ${MAX_REAL_MS / 1000} s of real time: ${statuses}`);
      }
    }
  })();
  const acks = await Promise.all(
    runIds.map(async (_, i) => {
      const sent = performance.now();
      const response = await emulator.slashCommand({ user: USERS[i % USERS.length]!.id, channel: CHANNELS[i % CHANNELS.length]!, text: `workflow run ${WORKFLOW}` });
      return { status: response.status, ms: performance.now() - sent };
    }),
  );
  sending = false;
  await follower;
  // The last advance took real time of its own (a busy event loop makes each turn long).
  await follow();
  // Not an ack-latency figure (bench/ack-latency.ts is one): here the sender, the emulator and the
  // app share one event loop that a hundred runs' step processes keep busy. Said, not hidden.
  const late = acks.filter((a) => a.status !== 200);
  if (late.length) ctx.progress(`   ${late.length} of ${runIds.length} acks not 200 within 3 s here (one shared event loop; slowest ${Math.max(...acks.map((a) => a.ms)).toFixed(0)} ms); every run was recorded all the same`);
}

/**
 * Phase 2: only Slack delivery is left. Whenever the emulator has been quiet for a few real ms,
 * the clock jumps to the next due timer (a lane's posting pace, a Retry-After pause), until the
 * outbox is empty and every parent message shows its finished run. Returns the jumps made.
 */
async function fastForward(rig: Rig, runIds: readonly string[], t0: number, realStart: number, ctx: BenchContext): Promise<number> {
  const { app, emulator, clock } = rig;
  for (let jumps = 0; ; jumps++) {
    await emulator.settle(QUIET_MS, 30_000);
    if ((await outboxDepth(app)) === 0 && runIds.every((id) => showsFinal(app, emulator, id))) return jumps;
    const next = clock.nextDueAt();
    if (next === undefined) {
      ctx.progress('   stopped waiting: nothing left to wait for, and not every parent message shows its finished run');
      return jumps;
    }
    if (clock.now() - t0 > MAX_SIMULATED_MS || performance.now() - realStart > MAX_REAL_MS) {
      ctx.progress(`   stopped waiting: still delivering after ${((clock.now() - t0) / 60_000).toFixed(0)} min simulated, ${((performance.now() - realStart) / 1000).toFixed(0)} s real`);
      return jumps;
    }
    await clock.advance(Math.max(0, next - clock.now()));
  }
}

const NAMED_METHODS = new Set(['chat.postMessage', 'chat.update', 'chat.postEphemeral', 'response_url']);

interface Tally {
  byMethod: Map<string, number>;
  okByMethod: Map<string, number>;
  /** 429s by method. */
  limited: Map<string, number>;
  parentPosts: number;
  threadPosts: number;
  /** Parent posts whose content already showed a finished run: no update needed after them. */
  postedFinal: number;
  /** Parent posts sent after their run had finished that still showed it unfinished (rendered before they waited their turn). */
  postedStale: number;
  maxUpdates: number;
  maxLimited: number;
  /** chat.update count → runs with that many. */
  runsByUpdates: Map<number, number>;
  /** Per run, when (clock ms after t0) its parent message was last written, ascending. */
  finalAt: number[];
  lastParentPostAt: number;
}

function tallyCalls(calls: readonly RecordedCall[], targets: readonly ParentTarget[], t0: number): Tally {
  const tally: Tally = {
    byMethod: new Map(),
    okByMethod: new Map(),
    limited: new Map(),
    parentPosts: 0,
    threadPosts: 0,
    postedFinal: 0,
    postedStale: 0,
    maxUpdates: 0,
    maxLimited: 0,
    runsByUpdates: new Map(),
    finalAt: [],
    lastParentPostAt: Number.NaN,
  };
  const bump = <K>(map: Map<K, number>, key: K) => map.set(key, (map.get(key) ?? 0) + 1);
  const updates = new Map<string, number>();
  const limitedPerMessage = new Map<string, number>();
  const lastWrite = new Map<string, number>();
  /** Parent post per message: when (clock ms), and whether it showed a finished run. */
  const posted = new Map<string, { at: number; final: boolean }>();
  for (const c of calls) {
    bump(tally.byMethod, c.method);
    if (c.status === 429) bump(tally.limited, c.method);
    if (c.status !== 200) {
      if (c.method === 'chat.update' && c.status === 429) bump(limitedPerMessage, `${String(c.args.channel)} ${String(c.args.ts)}`);
      continue;
    }
    bump(tally.okByMethod, c.method);
    if (c.method === 'chat.postMessage' && c.args.thread_ts) tally.threadPosts++;
    else if (c.method === 'chat.postMessage') {
      tally.parentPosts++;
      const final = FINISHED_TEXT.test(String(c.args.text ?? ''));
      if (final) tally.postedFinal++;
      tally.lastParentPostAt = c.at - t0;
      const key = `${String(c.response.channel ?? c.args.channel)} ${String(c.response.ts)}`;
      lastWrite.set(key, c.at - t0);
      posted.set(key, { at: c.at, final });
    } else if (c.method === 'chat.update') {
      const key = `${String(c.args.channel)} ${String(c.args.ts)}`;
      bump(updates, key);
      lastWrite.set(key, c.at - t0);
    }
  }
  for (const t of targets) {
    const key = `${t.channel} ${t.ts}`;
    bump(tally.runsByUpdates, updates.get(key) ?? 0);
    const at = lastWrite.get(key);
    if (at !== undefined) tally.finalAt.push(at);
    const post = posted.get(key);
    if (post && !post.final && t.finishedAt !== null && post.at > t.finishedAt) tally.postedStale++;
  }
  tally.finalAt.sort((a, b) => a - b);
  tally.maxUpdates = Math.max(0, ...updates.values());
  tally.maxLimited = Math.max(0, ...limitedPerMessage.values());
  return tally;
}

function allFinished(app: OpsApp, runIds: readonly string[]): boolean {
  return runIds.every((id) => FINISHED.has(app.workflows.get(id)?.status ?? ''));
}

async function outboxDepth(app: OpsApp): Promise<number> {
  return (await app.metrics.outboxDepth.get()).values[0]?.value ?? 0;
}

/** Where each run's parent message is (runs whose message was posted). */
function parents(app: OpsApp, runIds: readonly string[]): ParentTarget[] {
  return runIds.flatMap((runId) => {
    const run = app.store.workflowRuns.get(runId);
    return run?.channel && run.threadTs ? [{ runId, channel: run.channel, ts: run.threadTs, finishedAt: run.finishedAt }] : [];
  });
}

/** The parent message in Slack is exactly the finished run's message (text and blocks). */
function showsFinal(app: OpsApp, emulator: SlackEmulator, runId: string): boolean {
  const view = app.workflows.get(runId);
  const run = app.store.workflowRuns.get(runId);
  if (!view || !FINISHED.has(view.status) || !run?.channel || !run.threadTs) return false;
  const message = emulator.messages(run.channel).find((m) => m.ts === run.threadTs);
  // A finished run's message does not depend on `now` (elapsed is createdAt to finishedAt).
  const expected = runMessage(view, { now: view.finishedAt ?? 0 });
  return message?.text === expected.text && JSON.stringify(message.blocks ?? []) === JSON.stringify(expected.blocks ?? []);
}
