/**
 * Messages between the bench (parent) and bench/emulator-child.ts, which runs the Slack emulator
 * in its own process. The child is configured through its environment (see EmulatorChildEnv).
 */

export interface EmulatorChildEnv {
  BENCH_SIGNING_SECRET: string;
  BENCH_BOT_TOKEN: string;
  /** Users U0SLOW1…U0SLOW<n> are added to the workspace; users.info takes BENCH_SLOW_MS for them. */
  BENCH_SLOW_USERS: string;
  BENCH_SLOW_MS: string;
}

export const SLOW_USER_PREFIX = 'U0SLOW';

/** Starts the bare Bolt baseline's answers, so the emulator counts them apart from opsbot's. */
export const BARE_ANSWER_MARK = 'bare-bolt:';

export interface EmulatorStats {
  /** opsbot's response_url POSTs the emulator accepted (HTTP 200); POSTs it refused (either app). */
  responseUrlOk: number;
  responseUrlFailed: number;
  /** The bare Bolt baseline's answers (marked), accepted. */
  bareAnswers: number;
  /** Every other recorded call, by method (users.info, chat.postEphemeral, …). */
  methods: Record<string, number>;
  /** users.info calls for slow users currently held by the emulator. */
  slowInFlight: number;
}

export type ToEmulator =
  /** One slash command body per user, exactly as emulator.slashCommand sends it (valid response_url, unique trigger_id). */
  | { op: 'harvest'; id: number; users: string[]; channel: string; text: string }
  | { op: 'stats'; id: number }
  | { op: 'stop'; id: number };

export type FromEmulator =
  | { op: 'started'; apiUrl: string; botUserId: string; botId: string; teamId: string }
  | { op: 'harvested'; id: number; forms: string[] }
  | { op: 'stats'; id: number; stats: EmulatorStats }
  | { op: 'stopped'; id: number }
  /** A users.info call for a slow user began / answered. */
  | { op: 'slow'; phase: 'start' | 'done'; user: string }
  | { op: 'error'; id?: number; message: string };
