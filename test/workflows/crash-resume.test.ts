/**
 * The durability promise, kept by a real process: opsbot (`node src/main.ts start`, HTTP mode
 * against the Slack emulator) is killed with SIGKILL three times while 220 workflow runs are in
 * flight, each time at a point the test has arranged and confirmed in the database (a shell step
 * running, an HTTP call unanswered, an approval pending, a timed wait armed), then started again
 * on the same file. Every effect of every step lands in a ledger server keyed by the attempt's
 * idempotency key, so the test can count what actually happened outside opsbot.
 *
 * Runs (fixtures in test/fixtures/workflows/crash/: reserve → gate → work → soak → report → finish):
 * - A, 100 `crashy-long` runs: 40 of them (A1, drawn by the seed) are approved and held inside
 *   their non-idempotent `work` shell step at the first kill; the other 60 (A2) wait at the gate,
 *   are approved after it and held inside their idempotent `finish` shell step at the second kill;
 * - B, 100 `crashy-long` runs: held inside their idempotent `reserve` PUT at the first kill, at the
 *   gate at the second, in their `soak` wait at the third;
 * - S, 20 `crashy-short` runs: their approval (3 s) is pending at the first kill and expires
 *   while opsbot is down.
 * After the first restart the seed decides, for each A1 run, retry / mark-done / abort, or to
 * leave it paused through the remaining kills.
 *
 * The shell steps' processes are what the ledger holds: they outlive the killed opsbot (their own
 * process group), carry a marker on their command line, and must be gone after the restart.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/clock.ts';
import { DEFAULT_BOT, DEFAULT_USERS, createSlackEmulator, defaultChannels } from '../../src/local/emulator/index.ts';
import type { SlackEmulator } from '../../src/local/emulator/types.ts';
import { type LedgerServer, createLedgerServer } from '../support/ledger-server.ts';
import { freePort } from '../support/free-port.ts';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const FIXTURES = fileURLToPath(new URL('../fixtures/workflows/crash/', import.meta.url));
const SIGNING_SECRET = 'crash-resume-signing-secret-0123456789';
const BOT_TOKEN = 'xoxb-1111-2222-crashresumetoken';
const REQUESTER = 'U0ALICE';
/** The fixtures' only approver. */
const APPROVER = 'U0BOB';
/** The fixtures' `soak: wait 3s`. */
const SOAK_MS = 3_000;
const SEED = 0x5eed_c0de;
/** How long any one awaited state may take to show in the database (a wait on it, never a sleep). */
const STATE_TIMEOUT_MS = 30_000;

// Who is who: the test's number `n` of each run (its `n` param), by group.
const A = range(0, 100);
const B = range(100, 200);
const S = range(200, 220);
const random = mulberry32(SEED);
const shuffledA = shuffle(A, random);
/** Held inside `work` (not idempotent) at the first kill. */
const A1 = shuffledA.slice(0, 40);
/** At the gate at the first kill, held inside `finish` (idempotent) at the second. */
const A2 = shuffledA.slice(40);
type Resolution = 'retry' | 'mark-done' | 'abort' | 'leave';
/** What a person decides about each interrupted A1 run after the first restart. */
const RESOLUTIONS = new Map<number, Resolution>(shuffle(A1, random).map((n, i) => [n, i < 4 ? 'leave' : (['retry', 'mark-done', 'abort'] as const)[i % 3]!]));
const resolved = (r: Resolution) => A1.filter((n) => RESOLUTIONS.get(n) === r);

interface RunRow {
  id: string;
  n: number;
  workflow: string;
  status: string;
  error: string | null;
}

interface StepRow {
  run_id: string;
  path: string;
  status: string;
  attempt: number;
  idempotency_key: string | null;
  error: string | null;
  pid: number | null;
  wake_at: number | null;
  finished_at: number | null;
}

interface ApprovalRow {
  id: number;
  run_id: string;
  path: string;
  status: string;
  expires_at: number;
  decided_at: number | null;
}

interface Snapshot {
  /** Rows in workflow_runs. */
  total: number;
  /** By n. */
  runs: Map<number, RunRow>;
  step(n: number, path: string): StepRow | undefined;
  approval(n: number): ApprovalRow | undefined;
}

interface Opsbot {
  child: ChildProcess;
  /** When it logged that its workflow runs were taken up again (its own clock: the system's). */
  resumedAt: number;
  readonly stdout: string;
  readonly stderr: string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * One opsbot process at a time on one database (a temp folder holding only the fixtures as
 * workflows/), the Slack emulator with `channels` added, and the ledger server. Every process
 * started is SIGKILLed after the tests if still alive, and so is anything carrying the marker.
 */
function useOpsbotProcess(channels: readonly string[]) {
  /** On every command line a fixture's shell step starts: how orphans are found in /proc. */
  const marker = `crash-resume-${process.pid}-${Date.now().toString(36)}`;
  const children = new Set<ChildProcess>();
  let dir: string | undefined;
  let ledger: LedgerServer | undefined;
  let slack: SlackEmulator | undefined;
  let db: Database.Database | undefined;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'opsbot-crash-'));
    // opsbot reads workflows/ relative to its working directory: only the fixtures live there.
    mkdirSync(join(dir, 'workflows'));
    for (const file of readdirSync(FIXTURES)) cpSync(join(FIXTURES, file), join(dir, 'workflows', file));
    writeFileSync(join(dir, 'opsbot.yaml'), '');
    ledger = createLedgerServer();
    await ledger.start();
    const members = [...DEFAULT_USERS.map((u) => u.id), DEFAULT_BOT.userId];
    slack = createSlackEmulator({
      clock: systemClock(),
      signingSecret: SIGNING_SECRET,
      botToken: BOT_TOKEN,
      channels: [...defaultChannels(DEFAULT_BOT.userId), ...channels.map((id) => ({ id, name: id.toLowerCase(), members }))],
    });
    await slack.start();
  });

  afterAll(async () => {
    db?.close();
    await Promise.all(
      [...children].map(async (child) => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        const gone = once(child, 'exit');
        child.kill('SIGKILL');
        await gone;
      }),
    );
    // Whatever a failed run of the tests left behind.
    for (const pid of markedProcesses()) killQuietly(pid);
    await ledger?.stop();
    await slack?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  function required<T>(value: T | undefined, what: string): T {
    if (value === undefined) throw new Error(`${what} is not set up yet`);
    return value;
  }

  /** Live processes whose command line carries the marker (zombies have none). */
  function markedProcesses(): number[] {
    const pids: number[] = [];
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').includes(marker)) pids.push(Number(entry));
      } catch {
        // Gone while we looked.
      }
    }
    return pids.sort((a, b) => a - b);
  }

  return {
    marker,
    markedProcesses,
    get ledger(): LedgerServer {
      return required(ledger, 'the ledger');
    },
    get slack(): SlackEmulator {
      return required(slack, 'the emulator');
    },
    /** Read-only, on the file opsbot writes; open from the first start on. */
    get db(): Database.Database {
      return required(db, 'the database');
    },

    /** `opsbot start` in HTTP mode; resolves once it has resumed its workflow runs. */
    async start(): Promise<Opsbot> {
      const home = required(dir, 'the folder');
      const emulator = required(slack, 'the emulator');
      const port = await freePort();
      const env: Record<string, string> = {
        // `node` in the fixtures' argv must be this Node.
        PATH: [dirname(process.execPath), process.env.PATH ?? ''].join(delimiter),
        HOME: home,
        DATABASE_PATH: join(home, 'opsbot.db'),
        OPSBOT_CONFIG: join(home, 'opsbot.yaml'),
        SLACK_API_URL: emulator.apiUrl,
        SLACK_BOT_TOKEN: BOT_TOKEN,
        SLACK_SIGNING_SECRET: SIGNING_SECRET,
        PORT: String(port),
        HOST: '127.0.0.1',
        OPS_ADMINS: REQUESTER,
        LOG_LEVEL: 'info',
      };
      const child = spawn(process.execPath, [join(REPO, 'src/main.ts'), 'start'], { cwd: home, env, stdio: ['ignore', 'pipe', 'pipe'] });
      children.add(child);
      let stdout = '';
      let stderr = '';
      child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
      child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
      const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
      let gone = false;
      void exited.then(() => (gone = true));
      // Requests reach commands only once the engine has resumed, which it logs.
      await until(
        'opsbot to resume its workflow runs',
        () => {
          if (gone) throw new Error(`opsbot exited during start-up\nstderr: ${stderr}\nstdout: ${stdout.slice(-4000)}`);
          return resumedLine(stdout) !== undefined;
        },
        20_000,
      );
      emulator.setEventsUrl(`http://127.0.0.1:${port}/slack/events`);
      db ??= new Database(join(home, 'opsbot.db'), { readonly: true, fileMustExist: true });
      return {
        child,
        exited,
        resumedAt: Date.parse((JSON.parse(resumedLine(stdout) ?? '{}') as { time?: string }).time ?? ''),
        get stdout() {
          return stdout;
        },
        get stderr() {
          return stderr;
        },
      };
    },

    /** SIGKILL; resolves with the wall-clock time once the process is gone. */
    async kill9(opsbot: Opsbot): Promise<number> {
      opsbot.child.kill('SIGKILL');
      expect(await opsbot.exited).toEqual({ code: null, signal: 'SIGKILL' });
      return Date.now();
    },

    async command(user: string, channel: string, text: string): Promise<void> {
      const response = await required(slack, 'the emulator').slashCommand({ user, channel, text });
      if (response.status !== 200) throw new Error(`/ops ${text} answered ${response.status} ${response.error ?? ''}: ${response.body}`);
    },

    /** Requests opsbot accepted and has not finished working on (start-up works them off again). */
    unfinishedRequests(): number {
      return required(db, 'the database').prepare<[], { c: number }>(`SELECT count(*) AS c FROM inbox WHERE status IN ('pending', 'running')`).get()?.c ?? 0;
    },
  };
}

// Each phase drives hundreds of runs through a real process; one may take tens of seconds.
describe('opsbot killed with SIGKILL three times with 220 workflow runs in flight', { timeout: 90_000 }, () => {
  // Each run is started in a channel of its own: opsbot paces its posts per channel (about one a
  // second, as Slack asks), and 220 runs in one channel would take minutes to announce.
  const rig = useOpsbotProcess([...A, ...B, ...S].map(channelOf));
  let bot: Opsbot | undefined;
  let runIds: Map<number, string>;

  // The phases build on each other: after one fails, the rest would only report its consequences.
  let broken: string | undefined;
  beforeEach((ctx) => {
    if (broken) ctx.skip(`an earlier phase failed: ${broken}`);
  });
  afterEach((ctx) => {
    if (ctx.task.result?.state === 'fail') broken ??= ctx.task.name;
  });

  /**
   * Every request opsbot accepted is worked off first, so the database at the kill is the whole
   * story: start-up works unfinished requests off again (at least once), and a `workflow run`
   * worked off twice would start a second run.
   */
  async function kill9(opsbot: Opsbot): Promise<number> {
    await waitFor('every accepted request to be worked off', () => rig.unfinishedRequests() === 0);
    return rig.kill9(opsbot);
  }

  // ---- what a person does ---------------------------------------------------------------------

  const command = (user: string, n: number, text: string) => rig.command(user, channelOf(n), text);

  async function startRuns(workflow: string, ns: readonly number[]): Promise<void> {
    await pool(ns, 4, (n) => command(REQUESTER, n, `workflow run ${workflow} n=${n} ledger_port=${rig.ledger.port} marker=${rig.marker}`));
    await waitFor(`${ns.length} runs of ${workflow} to be recorded`, () => {
      const rows = rig.db.prepare<[], { id: string; n: string }>(`SELECT id, json_extract(params, '$.n') AS n FROM workflow_runs`).all();
      runIds = new Map(rows.map((r) => [Number(r.n), r.id]));
      return ns.every((n) => runIds.has(n));
    });
  }

  const approve = (ns: readonly number[]) => pool(ns, 4, (n) => command(APPROVER, n, `workflow approve ${id(n)}`));

  // ---- what the database says ---------------------------------------------------------------

  function id(n: number): string {
    const runId = runIds.get(n);
    if (!runId) throw new Error(`run n=${n} was never recorded`);
    return runId;
  }

  function snapshot(): Snapshot {
    const read = rig.db;
    const runs = read
      .prepare<[], Omit<RunRow, 'n'> & { n: string }>(`SELECT id, json_extract(params, '$.n') AS n, workflow, status, error FROM workflow_runs`)
      .all()
      .map((r) => ({ ...r, n: Number(r.n) }));
    const steps = new Map(
      read
        .prepare<[], StepRow>(`SELECT run_id, path, status, attempt, idempotency_key, error, pid, wake_at, finished_at FROM workflow_steps`)
        .all()
        .map((s) => [`${s.run_id} ${s.path}`, s]),
    );
    const approvals = new Map(read.prepare<[], ApprovalRow>(`SELECT id, run_id, path, status, expires_at, decided_at FROM workflow_approvals`).all().map((a) => [a.run_id, a]));
    return {
      total: runs.length,
      runs: new Map(runs.map((r) => [r.n, r])),
      step: (n, path) => steps.get(`${id(n)} ${path}`),
      approval: (n) => approvals.get(id(n)),
    };
  }

  /** The runs of `ns` whose step `path` is in `status` (and, for a process, has it recorded). */
  function where(ns: readonly number[], path: string, status: string, options: { pid?: boolean } = {}): number[] {
    const now = snapshot();
    return ns.filter((n) => {
      const step = now.step(n, path);
      return step?.status === status && (!options.pid || step.pid !== null);
    });
  }

  function runStatus(ns: readonly number[], status: string): number[] {
    const now = snapshot();
    return ns.filter((n) => now.runs.get(n)?.status === status);
  }

  /** Waits on a database or ledger state; a timeout says where every group of runs stands. */
  function waitFor(what: string, check: () => boolean, ms = STATE_TIMEOUT_MS): Promise<void> {
    return until(what, check, ms, () => {
      const now = snapshot();
      const groups = { A1, A2, B, S };
      const lines = Object.entries(groups).map(([name, ns]) => {
        const tally = new Map<string, number>();
        for (const n of ns) {
          const run = now.runs.get(n);
          const steps = ['reserve', 'gate', 'work', 'soak', 'report', 'finish'].map((p) => `${p}:${now.step(n, p)?.status ?? '-'}`).join(' ');
          const k = `${run?.status ?? 'missing'} ${steps}`;
          tally.set(k, (tally.get(k) ?? 0) + 1);
        }
        return `${name}: ${[...tally].map(([k, c]) => `${c}× ${k}`).join('; ')}`;
      });
      const held = rig.ledger.held().map((a) => a.effect);
      return [...lines, `held by the ledger: ${held.length} (${[...new Set(held)].join(', ')})`, `opsbot stderr: ${bot?.stderr.slice(-2000) ?? ''}`].join('\n');
    });
  }

  const heldBy = (effect: string) => rig.ledger.held().filter((a) => a.effect === effect).map((a) => Number(a.query.n));

  // ---- the cycles ---------------------------------------------------------------------------

  let firstKill: { at: number; snapshot: Snapshot; orphans: number[] };

  it('is killed while 40 runs are inside a shell step, 100 inside an HTTP call and 80 wait for an approval', async () => {
    bot = await rig.start();
    await startRuns('crashy-long', A);
    await waitFor('every A run to wait at its gate', () => where(A, 'gate', 'waiting').length === A.length);

    // A1 passes the gate and stays inside `work`: its script has posted and awaits the answer.
    rig.ledger.hold((a) => a.effect === 'work');
    await approve(A1);
    await waitFor('40 work scripts to be held by the ledger', () => heldBy('work').length === A1.length && where(A1, 'work', 'running', { pid: true }).length === A1.length);

    // B stays inside `reserve`: the PUT has been applied, its answer is withheld.
    rig.ledger.hold((a) => a.effect === 'work' || (a.effect === 'reserve' && B.includes(Number(a.query.n))));
    await startRuns('crashy-long', B);
    await waitFor('100 reserve calls to be held', () => heldBy('reserve').length === B.length);

    // S comes last, so its 3-second approvals are still pending when opsbot dies.
    await startRuns('crashy-short', S);
    await waitFor('every S run to wait at its gate', () => where(S, 'gate', 'waiting').length === S.length);

    const at = await kill9(bot);
    const killed = snapshot();
    firstKill = { at, snapshot: killed, orphans: rig.markedProcesses() };

    expect(killed.total).toBe(220);
    expect(A1.filter((n) => killed.step(n, 'work')?.status === 'running' && killed.step(n, 'work')?.pid !== null)).toEqual(A1);
    expect(B.filter((n) => killed.step(n, 'reserve')?.status === 'running')).toEqual(B);
    expect(A2.filter((n) => killed.approval(n)?.status === 'pending')).toEqual(A2);
    // On a machine slow enough, an S approval may already have expired with opsbot up; the next
    // phase checks those that were pending, which must expire while it is down.
    expect(S.filter((n) => ['pending', 'expired'].includes(killed.approval(n)?.status ?? ''))).toEqual(S);
    // The work scripts outlived opsbot: they are what resume must kill.
    expect(firstKill.orphans).toHaveLength(A1.length);
  });

  it('after the restart: orphans are killed, interrupted shell steps pause their runs, HTTP calls are re-sent with the same key, and approvals that expired during the outage fail', async () => {
    // Down until every S approval that was pending at the kill has passed its expiry.
    const expiring = S.filter((n) => {
      const approval = firstKill.snapshot.approval(n);
      return approval?.status === 'pending' && approval.expires_at > firstKill.at;
    });
    expect(expiring.length).toBeGreaterThan(0);
    await sleepUntil(Math.max(...expiring.map((n) => firstKill.snapshot.approval(n)!.expires_at)) + 50);
    // The orphans' requests stay unanswered: only a kill ends them. Re-sent PUTs pass.
    rig.ledger.hold(() => false);

    bot = await rig.start();
    await waitFor('the orphaned work scripts to be gone', () => firstKill.orphans.every((pid) => !alive(pid)));
    expect(rig.ledger.held()).toEqual([]);
    await waitFor('A1 to pause, B to reach its gate and S to fail', () => runStatus(A1, 'paused').length === A1.length && where(B, 'gate', 'waiting').length === B.length && runStatus(S, 'failed').length === S.length);

    const now = snapshot();
    expect(now.total).toBe(220);
    for (const n of A1) {
      expect(now.step(n, 'work')).toMatchObject({ status: 'interrupted', attempt: 1, pid: null, error: expect.stringMatching(/^step work may or may not have completed/) });
      expect(rig.ledger.entry(`${id(n)}:work:1`)).toMatchObject({ method: 'POST', arrivals: 1, applied: 1 });
    }
    for (const n of B) {
      expect(now.step(n, 'reserve')).toMatchObject({ status: 'succeeded', attempt: 1, idempotency_key: `${id(n)}:reserve:1` });
      expect(rig.ledger.entry(`${id(n)}:reserve:1`)).toMatchObject({ method: 'PUT', arrivals: 2, applied: 1 });
    }
    for (const n of expiring) {
      // Settled by the restarted opsbot, not before the kill.
      expect(now.approval(n)).toMatchObject({ status: 'expired', decided_at: expect.any(Number) });
      expect(now.approval(n)!.decided_at).toBeGreaterThan(firstKill.at);
      expect(now.step(n, 'gate')).toMatchObject({ status: 'failed', error: expect.stringMatching(/^the approval expired after 3s/) });
      expect(now.step(n, 'work')).toBeUndefined();
    }
    expect(where(A2, 'gate', 'waiting')).toEqual(A2);
    rig.ledger.release();
  });

  let secondKill: { orphans: number[]; finishing: number[] };

  it('is killed while 84 runs are inside an idempotent shell step and 100 wait for an approval', async () => {
    rig.ledger.hold((a) => a.effect === 'finish');
    await pool(A1.filter((n) => RESOLUTIONS.get(n) !== 'leave'), 4, (n) => command(REQUESTER, n, `workflow resolve ${id(n)} work ${RESOLUTIONS.get(n)}`));
    await approve(A2);
    const finishing = [...resolved('retry'), ...resolved('mark-done'), ...A2].sort((a, b) => a - b);
    await waitFor('84 finish scripts to be held by the ledger', () => heldBy('finish').length === finishing.length && where(finishing, 'finish', 'running', { pid: true }).length === finishing.length);
    await waitFor('aborted runs to fail', () => runStatus(resolved('abort'), 'failed').length === resolved('abort').length);

    await kill9(bot!);
    const killed = snapshot();
    secondKill = { orphans: rig.markedProcesses(), finishing };

    expect(secondKill.orphans).toHaveLength(finishing.length);
    expect(B.filter((n) => killed.approval(n)?.status === 'pending')).toEqual(B);
    expect(resolved('leave').filter((n) => killed.runs.get(n)?.status === 'paused')).toEqual(resolved('leave'));
  });

  it('after the restart: the idempotent shell step runs again with the same key, so its effect is applied once', async () => {
    rig.ledger.hold(() => false);
    bot = await rig.start();
    await waitFor('the orphaned finish scripts to be gone', () => secondKill.orphans.every((pid) => !alive(pid)));
    await waitFor('the finishing runs to succeed', () => runStatus(secondKill.finishing, 'succeeded').length === secondKill.finishing.length);
    rig.ledger.release();

    const now = snapshot();
    for (const n of secondKill.finishing) {
      expect(now.step(n, 'finish')).toMatchObject({ status: 'succeeded', attempt: 1, idempotency_key: `${id(n)}:finish:1` });
      expect(rig.ledger.entry(`${id(n)}:finish:1`)).toMatchObject({ method: 'PUT', arrivals: 2, applied: 1 });
    }
    // Nobody decided about these: they still wait, their step not run again.
    for (const n of resolved('leave')) {
      expect(now.runs.get(n)?.status).toBe('paused');
      expect(now.step(n, 'work')).toMatchObject({ status: 'interrupted', attempt: 1 });
    }
    await waitFor('no shell step process to be left', () => rig.markedProcesses().length === 0);
  });

  it('is killed while 100 runs are in a timed wait, whose time passes during the outage; they end at start-up, not a whole wait later', async () => {
    // B is held in `work` until all of it can enter the wait together, well inside its 3 s.
    rig.ledger.hold((a) => a.effect === 'work');
    await approve(B);
    await waitFor('100 work scripts to be held', () => heldBy('work').length === B.length);
    rig.ledger.hold(() => false);
    rig.ledger.release();
    await waitFor('every B run to be in its wait', () => where(B, 'soak', 'waiting').length + where(B, 'soak', 'succeeded').length === B.length);

    await kill9(bot!);
    const killed = snapshot();
    const waiting = B.filter((n) => killed.step(n, 'soak')?.status === 'waiting');
    expect(waiting.length).toBeGreaterThan(0);

    const wakes = new Map(waiting.map((n) => [n, killed.step(n, 'soak')!.wake_at!]));
    await sleepUntil(Math.max(...wakes.values()) + 50);
    // The step after the wait (an HTTP call) is held, so nothing but the waits' ends keeps the
    // restarted opsbot busy: each ends as its run is taken up again, not a whole wait later.
    rig.ledger.hold((a) => a.effect === 'report');
    bot = await rig.start();
    await waitFor('every B run to be past its wait', () => where(B, 'soak', 'succeeded').length === B.length);
    const now = snapshot();
    for (const n of waiting) {
      const soak = now.step(n, 'soak')!;
      expect(soak.finished_at).toBeGreaterThanOrEqual(wakes.get(n)!);
      expect(soak.finished_at).toBeLessThan(bot.resumedAt + SOAK_MS);
    }

    rig.ledger.release();
    await waitFor('every B run to succeed', () => runStatus(B, 'succeeded').length === B.length);
  });

  it('loses no run, applies every idempotent effect once, never repeats a non-idempotent attempt, and leaves no process behind', async () => {
    bot!.child.kill('SIGTERM');
    expect(await bot!.exited).toEqual({ code: 0, signal: null });
    expect(rig.markedProcesses()).toEqual([]);

    const end = snapshot();
    expect(end.total).toBe(220);
    const expected = new Map<number, string>();
    for (const n of [...A2, ...B, ...resolved('retry'), ...resolved('mark-done')]) expected.set(n, 'succeeded');
    for (const n of [...S, ...resolved('abort')]) expected.set(n, 'failed');
    for (const n of resolved('leave')) expected.set(n, 'paused');
    expect(new Map([...end.runs].map(([n, run]) => [n, run.status]))).toEqual(expected);

    // The ledger, key by key: what each run's steps did outside opsbot.
    const keysOf = (n: number) => rig.ledger.entries().filter((e) => e.key.startsWith(`${id(n)}:`)).map((e) => e.key).sort();
    for (const n of [...A, ...B, ...S]) {
      const key = (step: string, attempt = 1) => `${id(n)}:${step}:${attempt}`;
      const resolution = RESOLUTIONS.get(n);
      const keys =
        S.includes(n) ? [key('reserve')]
        : resolution === 'leave' || resolution === 'abort' ? [key('reserve'), key('work')]
        : resolution === 'retry' ? [key('finish'), key('report'), key('reserve'), key('work'), key('work', 2)]
        : [key('finish'), key('report'), key('reserve'), key('work')];
      expect(keysOf(n), `ledger keys of run n=${n} (${id(n)})`).toEqual(keys.sort());
    }
    const known = new Set(runIds.values());
    expect(rig.ledger.entries().filter((e) => !known.has(e.key.split(':')[0]!))).toEqual([]);
    for (const entry of rig.ledger.entries()) {
      // A PUT applies once however often it arrives; a POST would apply again, and never arrived twice.
      expect(entry, entry.key).toMatchObject(entry.method === 'POST' ? { arrivals: 1, applied: 1 } : { applied: 1 });
    }
  });
});

/** opsbot's JSON log line saying its runs were taken up again, once written whole. */
function resumedLine(stdout: string): string | undefined {
  return stdout.split('\n').slice(0, -1).find((line) => line.includes('"msg":"workflow runs resumed"'));
}

function channelOf(n: number): string {
  return `C0CRASH${String(n).padStart(3, '0')}`;
}

function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

// ---- waiting ----------------------------------------------------------------------------------

async function until(what: string, check: () => boolean, ms = STATE_TIMEOUT_MS, state?: () => string): Promise<void> {
  for (const started = Date.now(); !check(); ) {
    if (Date.now() - started > ms) throw new Error(`timed out waiting for ${what}${state ? `\n${state()}` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Real time, because opsbot's clock is the system's: only used to outlast an expiry it recorded. */
async function sleepUntil(wallClockMs: number): Promise<void> {
  const left = wallClockMs - Date.now();
  if (left > 0) await new Promise((resolve) => setTimeout(resolve, left));
}

async function pool<T>(items: readonly T[], width: number, work: (item: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  await Promise.all(
    Array.from({ length: Math.min(width, queue.length) }, async () => {
      for (let item = queue.shift(); item !== undefined; item = queue.shift()) await work(item);
    }),
  );
}


// ---- the seed -----------------------------------------------------------------------------------

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, i) => from + i);
}

/** A small seeded PRNG: the same seed draws the same runs for each kill point. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function shuffle<T>(items: readonly T[], next: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
