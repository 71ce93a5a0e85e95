import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';
import { afterEach } from 'vitest';
import { ManualClock } from '../../src/clock.ts';
import type { Invocation } from '../../src/commands/command.ts';
import type { AnyCommand } from '../../src/commands/command-types.ts';
import { createDispatcher, type DispatchResult } from '../../src/commands/dispatch.ts';
import { builtinCommands } from '../../src/commands/index.ts';
import { createRegistry } from '../../src/commands/registry.ts';
import { createAutorunSwitch } from '../../src/autorun-switch.ts';
import { defaultPolicy } from '../../src/config/policy-schema.ts';
import type { Role } from '../../src/roles.ts';
import { toContent, type FileContent, type MessageContent, type MessageRef, type Replier } from '../../src/slack/chat-port.ts';
import { openDatabase } from '../../src/store/open-database.ts';
import { createStore } from '../../src/store/store.ts';
import type { Store } from '../../src/store/types.ts';

/** Our own chat port, recording what the caller would see. */
export function recordingReplier() {
  const privates: MessageContent[] = [];
  const publics: MessageContent[] = [];
  const files: FileContent[] = [];
  const reply: Replier = {
    async private(message) {
      privates.push(toContent(message));
    },
    async public(message): Promise<MessageRef> {
      publics.push(toContent(message));
      return { channel: 'C0OPS', ts: `${publics.length}.000100` };
    },
    async file(file) {
      files.push(file);
    },
  };
  return { reply, privates, publics, files };
}

/** A real pino logger whose lines are kept for assertions. */
export function capturingLogger(): { log: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n')) if (line.trim()) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { log: pino({ level: 'debug' }, stream), lines };
}

export interface RunResult extends DispatchResult {
  /** Text of every private reply, joined: what the caller saw. */
  text: string;
  privates: MessageContent[];
  publics: MessageContent[];
  files: FileContent[];
}

/**
 * A dispatcher over a real SQLite store in a temp folder, as app.ts wires it. `as(user)` runs
 * text the way a slash command from that user would; their role comes from the store (a
 * workspace member without a grant is a viewer), or `role` overrides it (null: a guest).
 */
export function useOpsbot(extraCommands: AnyCommand[] = []) {
  let dir: string | undefined;
  const stores: Store[] = [];
  afterEach(() => {
    for (const s of stores.splice(0)) s.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  return () => {
    dir ??= fs.mkdtempSync(path.join(os.tmpdir(), 'opsbot-commands-'));
    const store = createStore(openDatabase(path.join(dir, 'opsbot.db')), { isProcessAlive: () => true });
    stores.push(store);
    const clock = new ManualClock(Date.parse('2026-03-02T09:30:00Z'));
    const registry = createRegistry([...builtinCommands, ...extraCommands]);
    const dispatcher = createDispatcher({ registry, store, clock, commandPrefix: '/ops', deps: { store, registry, policy: defaultPolicy(), autorun: createAutorunSwitch(store) } });
    const logger = capturingLogger();

    const as = async (userId: string, text: string, options: { role?: Role | null; channelId?: string } = {}): Promise<RunResult> => {
      const role = options.role !== undefined ? options.role : (store.roles.get(userId)?.role ?? 'viewer');
      const invocation: Invocation = { source: 'slash', text, userId, channelId: options.channelId ?? 'C0OPS' };
      const { reply, privates, publics, files } = recordingReplier();
      const result = await dispatcher.dispatch(invocation, { id: userId, role }, reply, logger.log);
      return { ...result, text: privates.map((m) => m.text).join('\n'), privates, publics, files };
    };

    return { store, clock, registry, as, logLines: logger.lines };
  };
}
