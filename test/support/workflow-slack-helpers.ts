import type { EmulatedMessage } from '../../src/local/emulator/types.ts';
import type { RunningOpsbot } from './opsbot.ts';

/**
 * Waits for what opsbot does in its own time (child processes, paced Slack calls), moving the
 * clock by `stepMs` between looks: small by default, larger to run through retry backoffs.
 */
export async function until(o: RunningOpsbot, what: string, check: () => unknown, stepMs = 200): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (check()) return;
    await o.emulator.settle(10).catch(() => undefined);
    if (check()) return;
    await o.clock.advance(stepMs);
    // Polls, in real time, what runs in real time (child processes); no assumption about how long.
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error(`never happened: ${what}`);
}

/** Everything a person reads in a message: its text and every text in its blocks. */
export function shown(message: EmulatedMessage | undefined): string {
  if (!message) return '';
  const parts = [message.text];
  const walk = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(walk);
    else if (value && typeof value === 'object') {
      for (const [key, v] of Object.entries(value)) {
        if (key === 'text' && typeof v === 'string') parts.push(v);
        else walk(v);
      }
    }
  };
  walk(message.blocks);
  return parts.join('\n');
}
