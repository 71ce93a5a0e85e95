import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach } from 'vitest';
import type { ManualClock } from '../../src/clock.ts';
import type { EmulatedMessage, SlackEmulator } from '../../src/local/emulator/types.ts';
import { startOpsbot, type RunningOpsbot, type StartOptions } from './opsbot.ts';
import { shown } from './workflow-slack-helpers.ts';

/**
 * A real opsbot and the Slack emulator for incident tests: an #incidents channel (announcements
 * and pages), roles granted, and helpers that read what people see.
 */

export const ALICE = 'U0ALICE'; // responder
export const BOB = 'U0BOB'; // viewer (a workspace member)
export const CAROL = 'U0CAROL'; // deployer
export const GENERAL = 'C0GENERAL';
export const INCIDENTS = 'C0INCIDENTS';

export interface IncidentRig extends RunningOpsbot {
  /** The ephemerals `user` got, newest last, as text. */
  privateTo(user: string): string[];
  /** Ephemerals of `user` in `channel` with their ts (to click their buttons). */
  ephemeralsOf(user: string, channel?: string): Array<{ ts: string; channel: string; text: string; blocks?: unknown[] }>;
  /** The channel Slack knows by this name. */
  channelNamed(name: string): string | undefined;
  /** Top-level messages of a channel as people read them. */
  read(channel: string): string[];
  /** `/ops …` by `user` in `channel`, then waits until opsbot is done. */
  ops(user: string, channel: string, text: string): Promise<void>;
  /** The newest message of `channel` whose text matches. */
  find(channel: string, pattern: RegExp): EmulatedMessage | undefined;
}

export function useIncidentRig(): { dir: () => string; start: (options?: StartOptions & { policy?: string; grant?: boolean }) => Promise<IncidentRig> } {
  let dir: string | undefined;
  const running: RunningOpsbot[] = [];
  afterEach(async () => {
    for (const o of running.splice(0).reverse()) await o.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });
  const folder = () => (dir ??= fs.mkdtempSync(path.join(os.tmpdir(), 'opsbot-incidents-')));

  return {
    dir: folder,
    async start(options = {}) {
      const started = await startOpsbot({ dir: folder(), ...options });
      // Stopping twice (a restart test stops the first one itself) stops once.
      let stopping: Promise<void> | undefined;
      const o: RunningOpsbot = { ...started, stop: () => (stopping ??= started.stop()) };
      running.push(o);
      if (!options.slack) {
        o.emulator.addChannel({ id: INCIDENTS, name: 'incidents', members: [ALICE, BOB, CAROL, o.emulator.botUserId] });
      }
      if (options.grant !== false) {
        o.app.store.roles.grant(ALICE, 'responder', 'test', o.clock.now());
        o.app.store.roles.grant(CAROL, 'deployer', 'test', o.clock.now());
      }
      return rig(o);
    },
  };
}

export function rig(o: RunningOpsbot): IncidentRig {
  return {
    ...o,
    privateTo: (user) => o.emulator.ephemerals({ user }).map((e) => shown({ channel: e.channel, ts: e.ts, text: e.text, ...(e.blocks ? { blocks: e.blocks } : {}) })),
    ephemeralsOf: (user, channel) => o.emulator.ephemerals({ user, ...(channel ? { channel } : {}) }),
    channelNamed: (name) => o.emulator.channels().find((c) => c.name === name)?.id,
    read: (channel) => o.emulator.messages(channel).map(shown),
    async ops(user, channel, text) {
      await o.emulator.slashCommand({ user, channel, text });
      await o.settle();
    },
    find: (channel, pattern) => [...o.emulator.messages(channel)].reverse().find((m) => pattern.test(shown(m))),
  };
}

/** Lets the clock run `ms` in steps (timers fire in order), then waits for Slack calls to land. */
export async function elapse(o: { clock: ManualClock; emulator: SlackEmulator }, ms: number, stepMs = 60_000): Promise<void> {
  for (let done = 0; done < ms; done += stepMs) {
    await o.clock.advance(Math.min(stepMs, ms - done));
    await o.emulator.settle(10).catch(() => undefined);
  }
}
