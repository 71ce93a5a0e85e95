/**
 * `/ops help` ack latency, opsbot beside a bare Bolt app (DESIGN §6: within 1.5x of bare Bolt,
 * never above 50 ms p99, even while backend calls take seconds).
 *
 * Four processes, all on loopback, all the same Node binary with the same flags:
 * - this one: the load generator (signed requests over keep-alive connections, timed here);
 * - opsbot: the real `node src/main.ts start` in HTTP mode, database in a temp dir;
 * - bench/bare-bolt.ts: a plain Bolt app answering the same command (ack, then respond() with a
 *   help message of the same size through its response_url), without durability or audit;
 * - bench/emulator-child.ts: the Slack Web API opsbot calls after each ack (see its header for
 *   why it is not in this process).
 *
 * Phases:
 * 1. Latency at concurrency 1 and 8 (c workers; each alternates opsbot / bare request by request,
 *    even workers starting on opsbot and odd ones on bare, so both apps see the same machine).
 *    A warm-up is discarded. Between phases opsbot's answers are allowed to drain.
 * 2. Throughput at each concurrency: each app alone, in ABBA blocks (interleaving would make
 *    both apps' rates equal by construction).
 * 3. Backend in flight: 20 commands from first-time users whose users.info the emulator holds
 *    for seconds are kept in flight (a finished one is replaced at once; starts are staggered so
 *    completions are spread), while `/ops help` from known users is measured, interleaved.
 * Correctness is checked as it goes: every ack must be HTTP 200, and every opsbot command must
 * be answered through its response_url, and so must every baseline command (an ack that drops
 * work is not a win).
 */
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { BenchContext, Benchmark } from './lib/benchmark.ts';
import { type EmulatorClient, startEmulatorChild } from './lib/emulator-client.ts';
import { SLOW_USER_PREFIX } from './lib/emulator-protocol.ts';
import { type Child, forkNode, freePort, makeTempDir, nextMessage, removeTempDir, spawnNode, stopChild, waitForHttp200 } from './lib/processes.ts';
import { type Row, row } from './lib/report.ts';
import { keepAliveAgent, postSigned, type Sample, type SlackTarget } from './lib/signed-client.ts';
import { type LatencySummary, summarize } from './lib/stats.ts';

const NAME = 'ack latency';
const COMMAND = '/ops';
const TEXT = 'help';
const CHANNEL = 'C0GENERAL';
/** Known users: after their first command opsbot has them cached, so `/ops help` needs no backend call before its answer. */
const KNOWN_USERS = ['U0ALICE', 'U0BOB', 'U0CAROL'];
const P99_BUDGET_MS = 50;
const RATIO_BUDGET = 1.5;

const MAIN_TS = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const BARE_BOLT_TS = fileURLToPath(new URL('./bare-bolt.ts', import.meta.url));

interface Plan {
  levels: number[];
  warmupPerApp: number;
  samplesPerApp: number;
  /** Requests per app per throughput block; two blocks per app (ABBA). */
  throughputBlock: (concurrency: number) => number;
  inflight: {
    slowCommands: number;
    /**
     * How long users.info takes for a slow user. Below opsbot's Web API timeout (10 s,
     * src/slack/web-client.ts), so the slow calls succeed instead of ending as timeouts.
     */
    slowBackendMs: number;
    minSamplesPerApp: number;
    /** A bound on the prepared commands; the window below should end first. */
    maxSamplesPerApp: number;
    /** Longer than slowBackendMs, so the window sees every slot's command finish and be replaced. */
    minMeasureMs: number;
    /** First-time users available to the slow commands. */
    slowUsers: number;
  };
}

const FULL: Plan = {
  levels: [1, 8],
  warmupPerApp: 400,
  samplesPerApp: 5_000,
  throughputBlock: (c) => (c === 1 ? 1_000 : 2_500),
  inflight: { slowCommands: 20, slowBackendMs: 9_000, minSamplesPerApp: 2_000, maxSamplesPerApp: 20_000, minMeasureMs: 12_000, slowUsers: 120 },
};

const QUICK: Plan = {
  levels: [1, 8],
  warmupPerApp: 50,
  samplesPerApp: 400,
  throughputBlock: () => 300,
  inflight: { slowCommands: 20, slowBackendMs: 3_000, minSamplesPerApp: 300, maxSamplesPerApp: 6_000, minMeasureMs: 4_000, slowUsers: 80 },
};

/** One app under load: where to send, what to send, what came back. */
interface AppUnderTest {
  target: SlackTarget;
  nextBody(): string;
  /** Requests sent to this app so far (all phases, warm-up included). */
  sent: number;
  /** Non-200 answers by status or error, all phases. */
  failures: Map<string, number>;
}

interface PhaseResult {
  opsbot: LatencySummary;
  bare: LatencySummary;
}

export const ackLatency: Benchmark = {
  name: NAME,
  async run(ctx) {
    const plan = ctx.quick ? QUICK : FULL;
    const env = await startServers(plan, ctx);
    try {
      return await measure(plan, env, ctx);
    } finally {
      await env.stop();
    }
  },
};

interface Servers {
  emulator: EmulatorClient;
  opsbotChild: Child;
  opsbotPort: number;
  barePort: number;
  signingSecret: string;
  stop(): Promise<void>;
}

async function startServers(plan: Plan, ctx: BenchContext): Promise<Servers> {
  const signingSecret = randomBytes(16).toString('hex');
  const botToken = `xoxb-bench-${randomBytes(12).toString('hex')}`;
  const dir = makeTempDir('opsbot-bench-ack-');
  // Children get a minimal environment: nothing from the caller's shell (a SLACK_APP_TOKEN, an
  // OPSBOT_CONFIG) may change what is measured.
  const baseEnv: Record<string, string> = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? dir, TMPDIR: dir };
  let emulator: EmulatorClient | undefined;
  let opsbotChild: Child | undefined;
  let bareChild: Child | undefined;
  const stop = async () => {
    await Promise.allSettled([bareChild ? stopChild(bareChild) : undefined, opsbotChild ? stopChild(opsbotChild) : undefined]);
    await emulator?.stop().catch(() => {});
    removeTempDir(dir);
  };
  try {
    ctx.progress('starting the Slack emulator, opsbot and bare Bolt');
    emulator = await startEmulatorChild(
      { BENCH_SIGNING_SECRET: signingSecret, BENCH_BOT_TOKEN: botToken, BENCH_SLOW_USERS: String(plan.inflight.slowUsers), BENCH_SLOW_MS: String(plan.inflight.slowBackendMs) },
      baseEnv,
    );
    const opsbotPort = await freePort();
    opsbotChild = spawnNode('opsbot', MAIN_TS, ['start'], {
      // cwd: the temp dir, so no ./opsbot.yaml of the checkout is read.
      cwd: dir,
      env: {
        ...baseEnv,
        SLACK_BOT_TOKEN: botToken,
        SLACK_SIGNING_SECRET: signingSecret,
        SLACK_API_URL: emulator.apiUrl,
        PORT: String(opsbotPort),
        HOST: '127.0.0.1',
        DATABASE_PATH: `${dir}/opsbot.db`,
        LOG_LEVEL: 'warn',
      },
    });
    bareChild = forkNode('bare-bolt', BARE_BOLT_TS, {
      env: {
        ...baseEnv,
        SLACK_SIGNING_SECRET: signingSecret,
        SLACK_BOT_TOKEN: botToken,
        SLACK_API_URL: emulator.apiUrl,
        BOT_ID: emulator.botId,
        BOT_USER_ID: emulator.botUserId,
        OPS_COMMAND: COMMAND,
      },
    });
    const listening = nextMessage(bareChild, (m): m is { op: 'listening'; port: number } => typeof m === 'object' && m !== null && (m as { op?: unknown }).op === 'listening', 20_000);
    // /readyz turns 200 once auth.test passed and the Bolt receiver is mounted.
    await waitForHttp200(`http://127.0.0.1:${opsbotPort}/readyz`, opsbotChild, 20_000);
    const { port: barePort } = await listening;
    return { emulator, opsbotChild, opsbotPort, barePort, signingSecret, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

async function measure(plan: Plan, servers: Servers, ctx: BenchContext): Promise<Row[]> {
  const { emulator } = servers;
  const latencyForms = plan.levels.reduce((sum, c) => sum + c * (Math.ceil(plan.warmupPerApp / c) + Math.ceil(plan.samplesPerApp / c)), 0);
  const throughputForms = plan.levels.reduce((sum, c) => sum + 2 * plan.throughputBlock(c), 0);
  const knownForms = latencyForms + throughputForms + plan.inflight.maxSamplesPerApp;
  ctx.progress(`preparing ${2 * knownForms + plan.inflight.slowUsers} signed /ops help commands (valid response_url each)`);
  const harvestStarted = performance.now();
  const known = await emulator.harvest(
    Array.from({ length: knownForms }, (_, i) => KNOWN_USERS[i % KNOWN_USERS.length]!),
    CHANNEL,
    TEXT,
  );
  // The baseline answers too, so its commands also need response_urls the emulator issued.
  const bareKnown = await emulator.harvest(
    Array.from({ length: knownForms }, (_, i) => KNOWN_USERS[i % KNOWN_USERS.length]!),
    CHANNEL,
    TEXT,
  );
  const slowForms = await emulator.harvest(
    Array.from({ length: plan.inflight.slowUsers }, (_, i) => `${SLOW_USER_PREFIX}${i + 1}`),
    CHANNEL,
    TEXT,
  );
  ctx.progress(`  prepared in ${((performance.now() - harvestStarted) / 1000).toFixed(1)} s`);

  let knownNext = 0;
  const opsbot: AppUnderTest = {
    target: target('opsbot', servers.opsbotPort, servers.signingSecret, 1),
    nextBody: () => {
      const body = known[knownNext++];
      if (body === undefined) throw new Error('ack latency: ran out of prepared commands (plan arithmetic is wrong)');
      return body;
    },
    sent: 0,
    failures: new Map(),
  };
  let bareNext = 0;
  const bare: AppUnderTest = {
    target: target('bare Bolt', servers.barePort, servers.signingSecret, 1),
    nextBody: () => {
      const body = bareKnown[bareNext++];
      if (body === undefined) throw new Error('ack latency: ran out of prepared baseline commands (plan arithmetic is wrong)');
      return body;
    },
    sent: 0,
    failures: new Map(),
  };
  // opsbot commands that must each be answered through their response_url.
  let opsbotCommands = 0;
  const countedSend = async (app: AppUnderTest): Promise<Sample> => {
    const sample = await postSigned(app.target, app.nextBody());
    app.sent += 1;
    if (app === opsbot) opsbotCommands += 1;
    if (sample.status !== 200) {
      const key = sample.error ?? `HTTP ${sample.status}`;
      app.failures.set(key, (app.failures.get(key) ?? 0) + 1);
    }
    return sample;
  };
  const drain = async (label: string) => {
    const delivered = await waitDelivered(emulator, opsbotCommands, 30_000);
    if (delivered < opsbotCommands) ctx.progress(`  after ${label}: only ${delivered} of ${opsbotCommands} answers delivered after 30 s; going on`);
  };

  const rows: Row[] = [];

  for (const c of plan.levels) {
    ctx.progress(`latency at concurrency ${c}: ${plan.warmupPerApp} warm-up + ${plan.samplesPerApp} samples per app, interleaved`);
    withAgents([opsbot, bare], c);
    const result = await interleaved({ opsbot, bare, send: countedSend, workers: c, warmupPerApp: plan.warmupPerApp, samplesPerApp: plan.samplesPerApp });
    await drain(`concurrency ${c}`);

    ctx.progress(`throughput at concurrency ${c}: each app alone, ABBA blocks of ${plan.throughputBlock(c)}`);
    const rates = await throughput({ opsbot, bare, send: countedSend, workers: c, perBlock: plan.throughputBlock(c) });
    await drain(`throughput ${c}`);

    const at = `c=${c}`;
    rows.push(
      row(NAME, `p50 @ ${at}`, result.opsbot.p50, 'ms', { baseline: result.bare.p50 }),
      row(NAME, `p99 @ ${at} (${result.opsbot.n} samples/app)`, result.opsbot.p99, 'ms', { budget: { op: '<', value: P99_BUDGET_MS }, baseline: result.bare.p99 }),
      row(NAME, `p99 opsbot/bare @ ${at}`, result.opsbot.p99 / result.bare.p99, 'x', { budget: { op: '<=', value: RATIO_BUDGET } }),
      row(NAME, `req/s @ ${at} (each app alone)`, Math.round(rates.opsbot), 'req/s', { baseline: Math.round(rates.bare) }),
    );
  }

  ctx.progress(
    `latency with ${plan.inflight.slowCommands} commands in flight whose users.info takes ${plan.inflight.slowBackendMs / 1000} s (ramp-up ${plan.inflight.slowBackendMs / 1000} s)`,
  );
  withAgents([opsbot, bare], 1);
  const inflight = await withSlowCommandsInFlight(plan, servers, slowForms, opsbot, bare, countedSend, () => (opsbotCommands += 1), ctx);
  await drain('in-flight phase');

  rows.push(
    row(NAME, `p50 @ c=1, ${plan.inflight.slowCommands} slow cmds in flight`, inflight.result.opsbot.p50, 'ms', { baseline: inflight.result.bare.p50 }),
    row(NAME, `p99 @ c=1, ${plan.inflight.slowCommands} slow cmds in flight (${inflight.result.opsbot.n} samples/app)`, inflight.result.opsbot.p99, 'ms', {
      budget: { op: '<', value: P99_BUDGET_MS },
      baseline: inflight.result.bare.p99,
    }),
    row(NAME, `p99 opsbot/bare @ c=1, slow cmds in flight`, inflight.result.opsbot.p99 / inflight.result.bare.p99, 'x'),
    row(NAME, `slow backend calls in flight while measured (min)`, inflight.minInFlight, 'calls'),
    row(NAME, `in-flight measurement window`, inflight.windowMs / 1000, 's'),
    row(NAME, `slow backend calls completed (of ${inflight.slowSent} slow cmds)`, inflight.slowDone, 'calls', { budget: { op: '>=', value: inflight.slowSent } }),
  );

  for (const app of [opsbot, bare]) app.target.agent.destroy();

  // Correctness over the whole run.
  const stats = await emulator.stats();
  const failed = (app: AppUnderTest) => [...app.failures.values()].reduce((a, b) => a + b, 0);
  if (opsbot.failures.size || bare.failures.size) {
    ctx.progress(`  non-200 acks: opsbot ${JSON.stringify(Object.fromEntries(opsbot.failures))}, bare ${JSON.stringify(Object.fromEntries(bare.failures))}`);
  }
  const otherCalls = Object.entries(stats.methods)
    .filter(([method]) => method !== 'users.info' && method !== 'auth.test')
    .map(([method, n]) => `${method} ${n}`);
  if (otherCalls.length) ctx.progress(`  other Web API calls by opsbot: ${otherCalls.join(', ')}`);
  const opsbotLogLines = servers.opsbotChild.lines.stdout + servers.opsbotChild.lines.stderr;
  if (opsbotLogLines > 0) ctx.progress(`  opsbot logged (LOG_LEVEL=warn):\n${servers.opsbotChild.tail()}`);
  rows.push(
    row(NAME, `acks not HTTP 200 (of ${opsbot.sent} opsbot, ${bare.sent} bare)`, failed(opsbot), 'requests', { budget: { op: '=', value: 0 }, baseline: failed(bare) }),
    row(NAME, `opsbot answers delivered via response_url (of ${opsbotCommands} commands)`, stats.responseUrlOk, 'answers', { budget: { op: '>=', value: opsbotCommands } }),
    row(NAME, `bare Bolt answers delivered via response_url (of ${bare.sent} commands)`, stats.bareAnswers, 'answers', { budget: { op: '>=', value: bare.sent } }),
    row(NAME, `response_url POSTs refused by Slack`, stats.responseUrlFailed, 'answers', { budget: { op: '=', value: 0 } }),
    row(NAME, `opsbot log lines at warn or above`, opsbotLogLines, 'lines', { budget: { op: '=', value: 0 } }),
  );
  return rows;
}

function target(name: string, port: number, signingSecret: string, workers: number): SlackTarget {
  return { name, port, path: '/slack/events', signingSecret, agent: keepAliveAgent(workers) };
}

/** Fresh keep-alive pools per phase: no socket left idle between phases (a server may have closed it). */
function withAgents(apps: AppUnderTest[], workers: number): void {
  for (const app of apps) {
    app.target.agent.destroy();
    app.target.agent = keepAliveAgent(workers);
  }
}

type Send = (app: AppUnderTest) => Promise<Sample>;

/**
 * c workers, each alternating opsbot / bare request by request (even workers start on opsbot,
 * odd on bare). Each worker's first pairs are warm-up and discarded.
 */
async function interleaved(args: { opsbot: AppUnderTest; bare: AppUnderTest; send: Send; workers: number; warmupPerApp: number; samplesPerApp: number }): Promise<PhaseResult> {
  const { opsbot, bare, send, workers } = args;
  const warmPairs = Math.ceil(args.warmupPerApp / workers);
  const pairs = Math.ceil(args.samplesPerApp / workers);
  const samples = { opsbot: [] as number[], bare: [] as number[] };
  const worker = async (w: number) => {
    const order = w % 2 === 0 ? [opsbot, bare] : [bare, opsbot];
    for (let k = 0; k < warmPairs + pairs; k++) {
      for (const app of order) {
        const s = await send(app);
        if (k >= warmPairs && s.status === 200) (app === opsbot ? samples.opsbot : samples.bare).push(s.ms);
      }
    }
  };
  await Promise.all(Array.from({ length: workers }, (_, w) => worker(w)));
  return { opsbot: summarize(samples.opsbot), bare: summarize(samples.bare) };
}

/** Requests/s of each app alone at `workers` concurrency, in ABBA blocks so drift hits both. */
async function throughput(args: { opsbot: AppUnderTest; bare: AppUnderTest; send: Send; workers: number; perBlock: number }): Promise<{ opsbot: number; bare: number }> {
  const { opsbot, bare, send, workers, perBlock } = args;
  const totals = new Map<AppUnderTest, { requests: number; ms: number }>([
    [opsbot, { requests: 0, ms: 0 }],
    [bare, { requests: 0, ms: 0 }],
  ]);
  for (const app of [opsbot, bare, bare, opsbot]) {
    let left = perBlock;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: workers }, async () => {
        while (left > 0) {
          left -= 1;
          await send(app);
        }
      }),
    );
    const t = totals.get(app)!;
    t.requests += perBlock;
    t.ms += performance.now() - started;
  }
  const rate = (app: AppUnderTest) => {
    const t = totals.get(app)!;
    return (t.requests / t.ms) * 1000;
  };
  return { opsbot: rate(opsbot), bare: rate(bare) };
}

interface InflightResult {
  result: PhaseResult;
  windowMs: number;
  minInFlight: number;
  slowSent: number;
  slowDone: number;
}

/**
 * Keeps `slowCommands` opsbot commands in flight whose backend call (users.info for a first-time
 * user) the emulator holds, and measures interleaved acks of known users meanwhile (one worker).
 */
async function withSlowCommandsInFlight(
  plan: Plan,
  servers: Servers,
  slowForms: string[],
  opsbot: AppUnderTest,
  bare: AppUnderTest,
  send: Send,
  countOpsbotCommand: () => void,
  ctx: BenchContext,
): Promise<InflightResult> {
  const { slowCommands, slowBackendMs } = plan.inflight;
  const slowTarget = target('opsbot (slow commands)', servers.opsbotPort, servers.signingSecret, slowCommands);
  let inFlight = 0;
  let slowSent = 0;
  let slowDone = 0;
  const waiting = new Map<string, () => void>();
  servers.emulator.onSlow((phase, user) => {
    if (phase === 'start') inFlight += 1;
    else {
      inFlight -= 1;
      slowDone += 1;
      waiting.get(user)?.();
      waiting.delete(user);
    }
  });

  let stopping = false;
  let exhausted = false;
  const slot = async (i: number) => {
    // Staggered starts: completions (and their replacements) are spread over the cycle.
    await sleep((i * slowBackendMs) / slowCommands);
    while (!stopping) {
      const form = slowForms.shift();
      if (!form) {
        exhausted = true;
        return;
      }
      const user = new URLSearchParams(form).get('user_id') ?? '';
      let timer: NodeJS.Timeout | undefined;
      const done = new Promise<boolean>((resolve) => {
        waiting.set(user, () => resolve(true));
        timer = setTimeout(() => resolve(false), slowBackendMs + 20_000);
      });
      const sample = await postSigned(slowTarget, form);
      slowSent += 1;
      opsbot.sent += 1;
      countOpsbotCommand();
      if (sample.status !== 200) {
        const key = `slow command: ${sample.error ?? `HTTP ${sample.status}`}`;
        opsbot.failures.set(key, (opsbot.failures.get(key) ?? 0) + 1);
      }
      const answered = await done;
      clearTimeout(timer);
      if (!answered) {
        ctx.progress(`  slow command of ${user} never reached its backend call; slot ${i} stops`);
        return;
      }
    }
  };
  const slots = Array.from({ length: slowCommands }, (_, i) => slot(i));

  try {
    // Ramp-up: every slot has its first command waiting on the backend.
    const rampDeadline = performance.now() + slowBackendMs + 10_000;
    while (inFlight < slowCommands && performance.now() < rampDeadline) await sleep(20);
    if (inFlight < slowCommands) throw new Error(`only ${inFlight} of ${slowCommands} slow commands reached their backend call`);

    const samples = { opsbot: [] as number[], bare: [] as number[] };
    let minInFlight = inFlight;
    const started = performance.now();
    const { minSamplesPerApp, maxSamplesPerApp, minMeasureMs } = plan.inflight;
    while (samples.opsbot.length < maxSamplesPerApp && (samples.opsbot.length < minSamplesPerApp || performance.now() - started < minMeasureMs)) {
      for (const app of [opsbot, bare]) {
        minInFlight = Math.min(minInFlight, inFlight);
        const s = await send(app);
        if (s.status === 200) (app === opsbot ? samples.opsbot : samples.bare).push(s.ms);
      }
    }
    if (exhausted) ctx.progress('  ran out of first-time slow users during the measurement (raise inflight.slowUsers)');
    const windowMs = performance.now() - started;
    stopping = true;
    await Promise.all(slots);
    return { result: { opsbot: summarize(samples.opsbot), bare: summarize(samples.bare) }, windowMs, minInFlight, slowSent, slowDone };
  } finally {
    stopping = true;
    slowTarget.agent.destroy();
  }
}

/** Polls the emulator until `expected` answers arrived through response_urls (or `timeoutMs`). */
async function waitDelivered(emulator: EmulatorClient, expected: number, timeoutMs: number): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const { responseUrlOk, responseUrlFailed } = await emulator.stats();
    if (responseUrlOk + responseUrlFailed >= expected || performance.now() > deadline) return responseUrlOk;
    await sleep(100);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
