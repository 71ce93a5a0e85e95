import pino from 'pino';
import { beforeEach } from 'vitest';
import { ManualClock } from '../../src/clock.ts';
import { createStore } from '../../src/store/store.ts';
import type { Store } from '../../src/store/types.ts';
import type { ActionCatalog, ActionContext, ActionDefinition, ActionResult } from '../../src/workflows/action.ts';
import type { OrphanRecord } from '../../src/workflows/actions/process-groups.ts';
import type { ActionStep, ApprovalStep, ParallelStep, Step, WaitStep, WorkflowDefinition } from '../../src/workflows/definition.ts';
import { type WorkflowEngine, type WorkflowEngineDeps, createWorkflowEngine } from '../../src/workflows/engine.ts';
import { useTempFiles } from '../store/temp-files.ts';

/**
 * A real engine on a real SQLite file, driven by a ManualClock, with actions that act on a
 * "world" kept here: it outlives an engine (a crash), as real effects would.
 *
 * Actions:
 * - `record` (idempotent): puts `value` in the ledger under the idempotency key, once per key;
 * - `append` (not idempotent): appends `value` to `appended`, every time it runs;
 * - `flaky` (idempotent): fails its first `failures` calls per `name`, then succeeds;
 * - `fail`: always fails with `message`;
 * - `hang` / `hang.idempotent`: first records `value` like `record` (idempotent) or `append`
 *   (not), then runs until the test releases (or fails) its step, or its signal aborts it;
 * - `spawn`: records a process (pid / argv0 from its input) and hangs like `hang`.
 */
export interface World {
  /** Effects of idempotent actions, by idempotency key; each key is applied once. */
  ledger: Map<string, unknown>;
  /** Effects of non-idempotent actions, in order (every call). */
  appended: Array<{ key: string; value: unknown }>;
  /** Every action call: idempotency key, in order. */
  calls: string[];
  /** Why hanging actions were aborted, by idempotency key. */
  aborted: Map<string, string>;
  /** Orphan records handed to killOrphans, per call. */
  orphanChecks: OrphanRecord[][];
  hanging(): string[];
  /** The process died: what hung in it will never finish (and is no longer releasable). */
  crash(): void;
  release(stepPath: string, result?: Record<string, unknown>): void;
  failHanging(stepPath: string, message: string): void;
}

export interface EngineRun {
  engine: WorkflowEngine;
  store: Store;
  clock: ManualClock;
  events: string[];
}

export interface RigOptions {
  /** Users for whom isApprover answers true. */
  approvers?: string[];
  definitions?: WorkflowDefinition[];
  clock?: ManualClock;
}

export function useEngineRig() {
  const files = useTempFiles();

  let world = createWorld();
  let catalog = createTestCatalog(world);
  beforeEach(() => {
    world = createWorld();
    catalog = createTestCatalog(world);
  });

  return {
    get world(): World {
      return world;
    },
    /** An engine on `db` (a file name in the test's temp folder); a second call on the same file is a restart. */
    open(options: RigOptions = {}, db = 'opsbot.db'): EngineRun {
      const store = createStore(files.open(db), { isProcessAlive: () => true });
      const clock = options.clock ?? new ManualClock();
      const events: string[] = [];
      const approvers = new Set(options.approvers ?? ['UAPPROVER1', 'UAPPROVER2', 'UREQUESTER']);
      const definitions = new Map((options.definitions ?? []).map((d) => [d.name, d]));
      const deps: WorkflowEngineDeps = {
        store,
        clock,
        log: pino({ level: 'silent' }),
        catalog,
        definitions: () => definitions,
        isApprover: async (userId) => approvers.has(userId),
        killOrphans: (records) => {
          world.orphanChecks.push(records);
          return [];
        },
        events: {
          runChanged: (runId) => events.push(`run ${runId}`),
          approvalRequested: (id) => events.push(`approval requested ${id}`),
          approvalDecided: (id) => events.push(`approval decided ${id}`),
          stepLog: (runId, path, text) => events.push(`log ${runId} ${path}: ${text}`),
        },
        dryRun: false,
      };
      return { engine: createWorkflowEngine(deps), store, clock, events };
    },
  };
}

/** Lets promise chains and immediate timers settle without moving the clock. */
export async function settle(clock: ManualClock, rounds = 3): Promise<void> {
  for (let i = 0; i < rounds; i++) await clock.advance(0);
}

/** Settles until `check` holds (the engine's work is promise-driven, not timed). */
export async function until(clock: ManualClock, what: string, check: () => boolean): Promise<void> {
  for (let i = 0; i < 50; i++) {
    if (check()) return;
    await clock.advance(0);
  }
  throw new Error(`never happened: ${what}`);
}

export function statusOf(engine: WorkflowEngine, runId: string): string | undefined {
  return engine.get(runId)?.status;
}

export function stepOf(engine: WorkflowEngine, runId: string, path: string) {
  const step = engine.get(runId)?.steps.find((s) => s.path === path);
  if (!step) throw new Error(`no step ${path} in ${runId}`);
  return step;
}

export function steps(engine: WorkflowEngine, runId: string): Record<string, string> {
  return Object.fromEntries((engine.get(runId)?.steps ?? []).map((s) => [s.path, s.status]));
}

// ---- definitions --------------------------------------------------------------------------

export function workflow(name: string, stepList: Step[], extra: Partial<WorkflowDefinition> = {}): WorkflowDefinition {
  return {
    name,
    description: `${name} (test)`,
    params: {},
    run: { role: 'deployer' },
    triggers: { command: true, schedules: [] },
    steps: stepList,
    file: `workflows/${name}.yaml`,
    source: 'workflow',
    ...extra,
  };
}

export function action(id: string, name: string, inputs: ActionStep['with'] = {}, extra: Partial<ActionStep> = {}): ActionStep {
  return { kind: 'action', id, action: name, with: inputs, continueOnError: false, ...extra };
}

export function wait(id: string, durationMs: number, extra: Partial<WaitStep> = {}): WaitStep {
  return { kind: 'wait', id, durationMs, continueOnError: false, ...extra };
}

export function approval(id: string, extra: Partial<ApprovalStep> = {}): ApprovalStep {
  return {
    kind: 'approval',
    id,
    approvers: { users: ['UAPPROVER1', 'UAPPROVER2'], groups: [], roles: [] },
    min: 1,
    expiresMs: 3_600_000,
    continueOnError: false,
    ...extra,
  };
}

export function parallel(id: string, branches: Step[][], extra: Partial<ParallelStep> = {}): ParallelStep {
  return { kind: 'parallel', id, branches, continueOnError: false, ...extra };
}

export const REQUESTER = { userId: 'UREQUESTER', channel: 'C0DEPLOYS' };

// ---- the world and its actions --------------------------------------------------------------

interface Hang {
  key: string;
  stepPath: string;
  resolve: (result: ActionResult) => void;
  reject: (err: Error) => void;
}

function createWorld(): World & { hangs: Hang[]; flakyCalls: Map<string, number> } {
  const hangs: Hang[] = [];
  const take = (stepPath: string): Hang => {
    const index = hangs.findIndex((h) => h.stepPath === stepPath);
    const hang = hangs[index];
    if (!hang) throw new Error(`nothing hangs at ${stepPath}; hanging: ${hangs.map((h) => h.stepPath).join(', ') || 'nothing'}`);
    hangs.splice(index, 1);
    return hang;
  };
  return {
    ledger: new Map(),
    appended: [],
    calls: [],
    aborted: new Map(),
    orphanChecks: [],
    hangs,
    flakyCalls: new Map(),
    hanging: () => hangs.map((h) => h.stepPath),
    crash() {
      hangs.splice(0);
    },
    release(stepPath, result = {}) {
      take(stepPath).resolve({ result });
    },
    failHanging(stepPath, message) {
      take(stepPath).reject(new Error(message));
    },
  };
}

type TestWorld = ReturnType<typeof createWorld>;

function define(name: string, idempotent: boolean, run: (input: Record<string, unknown>, ctx: ActionContext) => Promise<ActionResult>, rawInputs?: string[]): ActionDefinition {
  return {
    name,
    summary: `${name} (test action)`,
    idempotent,
    ...(rawInputs ? { rawInputs } : {}),
    parse: (input) => input,
    run: (input, ctx) => {
      return run(input, ctx);
    },
  };
}

function createTestCatalog(world: TestWorld): ActionCatalog {
  const record = (input: Record<string, unknown>, ctx: ActionContext) => {
    world.calls.push(ctx.idempotencyKey);
    if (!world.ledger.has(ctx.idempotencyKey)) world.ledger.set(ctx.idempotencyKey, input.value ?? null);
  };
  const append = (input: Record<string, unknown>, ctx: ActionContext) => {
    world.calls.push(ctx.idempotencyKey);
    world.appended.push({ key: ctx.idempotencyKey, value: input.value ?? null });
  };
  const hang = (ctx: ActionContext) =>
    new Promise<ActionResult>((resolve, reject) => {
      const entry: Hang = { key: ctx.idempotencyKey, stepPath: ctx.stepPath, resolve, reject };
      world.hangs.push(entry);
      ctx.signal.addEventListener(
        'abort',
        () => {
          const index = world.hangs.indexOf(entry);
          if (index !== -1) world.hangs.splice(index, 1);
          const reason: unknown = ctx.signal.reason;
          world.aborted.set(ctx.idempotencyKey, reason instanceof Error ? reason.message : String(reason));
          reject(reason instanceof Error ? reason : new Error(String(reason)));
        },
        { once: true },
      );
    });

  const actions: ActionDefinition[] = [
    define('record', true, async (input, ctx) => {
      record(input, ctx);
      return { result: { value: input.value ?? null, key: ctx.idempotencyKey } };
    }),
    define('append', false, async (input, ctx) => {
      append(input, ctx);
      return { result: { count: world.appended.length } };
    }),
    define('flaky', true, async (input, ctx) => {
      world.calls.push(ctx.idempotencyKey);
      const name = String(input.name ?? ctx.stepPath);
      const calls = (world.flakyCalls.get(name) ?? 0) + 1;
      world.flakyCalls.set(name, calls);
      if (calls <= Number(input.failures ?? 0)) throw new Error(`${name} failed (call ${calls})`);
      return { result: { calls } };
    }),
    define('fail', true, async (input, ctx) => {
      world.calls.push(ctx.idempotencyKey);
      throw new Error(String(input.message ?? 'failed on purpose'));
    }),
    define('hang', false, async (input, ctx) => {
      append(input, ctx);
      return hang(ctx);
    }),
    define('hang.idempotent', true, async (input, ctx) => {
      record(input, ctx);
      return hang(ctx);
    }),
    define('spawn', false, async (input, ctx) => {
      world.calls.push(ctx.idempotencyKey);
      ctx.recordProcess?.(Number(input.pid), { argv0: String(input.argv0), startedAt: Number(input.startedAt) });
      return hang(ctx);
    }),
    define('log', true, async (input, ctx) => {
      world.calls.push(ctx.idempotencyKey);
      ctx.progress?.(`working on ${String(input.value)}`);
      return { result: {}, log: `done with ${String(input.value)}` };
    }),
    define(
      'echo-raw',
      true,
      async (input, ctx) => {
        world.calls.push(ctx.idempotencyKey);
        return { result: { raw: input.template, evaluated: ctx.evaluate(String(input.template)) } };
      },
      ['template'],
    ),
  ];
  return new Map(actions.map((a) => [a.name, a as ActionDefinition<never>]));
}
