import { fileURLToPath } from 'node:url';
import type { EmulatorChildEnv, EmulatorStats, FromEmulator, ToEmulator } from './emulator-protocol.ts';
import { type Child, forkNode, nextMessage, stopChild } from './processes.ts';

/** The bench's handle on bench/emulator-child.ts: a Slack emulator in its own process. */
export interface EmulatorClient {
  readonly apiUrl: string;
  readonly botUserId: string;
  readonly botId: string;
  readonly teamId: string;
  /** One slash command body per entry of `users`, as emulator.slashCommand sends it (order not kept). */
  harvest(users: readonly string[], channel: string, text: string): Promise<string[]>;
  stats(): Promise<EmulatorStats>;
  /** Called when a slow user's users.info call starts or answers. */
  onSlow(listener: (phase: 'start' | 'done', user: string) => void): void;
  stop(): Promise<void>;
}

const CHILD = fileURLToPath(new URL('../emulator-child.ts', import.meta.url));
const RPC_TIMEOUT_MS = 120_000;
const HARVEST_CHUNK = 2_000;

const isMessage = (m: unknown): m is FromEmulator => typeof m === 'object' && m !== null && 'op' in m;

export async function startEmulatorChild(env: EmulatorChildEnv, baseEnv: Record<string, string>): Promise<EmulatorClient> {
  const child: Child = forkNode('emulator', CHILD, { env: { ...baseEnv, ...env } });
  let started: Extract<FromEmulator, { op: 'started' }>;
  try {
    const first = await nextMessage(child, (m): m is Extract<FromEmulator, { op: 'started' | 'error' }> => isMessage(m) && (m.op === 'started' || m.op === 'error'), 30_000);
    if (first.op === 'error') throw new Error(`emulator child failed to start: ${first.message}`);
    started = first;
  } catch (err) {
    await stopChild(child);
    throw err;
  }

  const slowListeners: Array<(phase: 'start' | 'done', user: string) => void> = [];
  let fatal: string | undefined;
  child.process.on('message', (m: unknown) => {
    if (!isMessage(m)) return;
    if (m.op === 'slow') for (const l of slowListeners) l(m.phase, m.user);
    if (m.op === 'error' && m.id === undefined) fatal = m.message;
  });

  let nextId = 0;
  const rpc = async <K extends FromEmulator['op']>(request: ToEmulator, reply: K): Promise<Extract<FromEmulator, { op: K }>> => {
    if (fatal) throw new Error(`emulator child failed: ${fatal}`);
    const answer = nextMessage(
      child,
      (m): m is Extract<FromEmulator, { op: K | 'error' }> => isMessage(m) && 'id' in m && m.id === request.id && (m.op === reply || m.op === 'error'),
      RPC_TIMEOUT_MS,
    );
    child.process.send(request);
    const m: FromEmulator = await answer;
    if (m.op === 'error') throw new Error(`emulator child: ${m.message}`);
    return m as Extract<FromEmulator, { op: K }>;
  };

  return {
    apiUrl: started.apiUrl,
    botUserId: started.botUserId,
    botId: started.botId,
    teamId: started.teamId,
    async harvest(users, channel, text) {
      const forms: string[] = [];
      for (let i = 0; i < users.length; i += HARVEST_CHUNK) {
        const chunk = users.slice(i, i + HARVEST_CHUNK);
        const m = await rpc({ op: 'harvest', id: ++nextId, users: chunk, channel, text }, 'harvested');
        forms.push(...m.forms);
      }
      return forms;
    },
    async stats() {
      return (await rpc({ op: 'stats', id: ++nextId }, 'stats')).stats;
    },
    onSlow(listener) {
      slowListeners.push(listener);
    },
    async stop() {
      if (child.process.connected) {
        try {
          await rpc({ op: 'stop', id: ++nextId }, 'stopped');
        } catch {
          // stopChild below ends it either way
        }
      }
      await stopChild(child);
    },
  };
}
