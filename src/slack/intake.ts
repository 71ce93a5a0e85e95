import type { Logger } from 'pino';
import type { Clock } from '../clock.ts';
import { OpsError } from '../errors.ts';
import type { Store } from '../store/types.ts';
import { type BotIdentity, classifyRequest, type RequestKind } from './classify-request.ts';

export type IntakeResult =
  | { outcome: 'accepted'; inboxId: number; kind: RequestKind }
  | { outcome: 'duplicate'; key: string }
  | { outcome: 'ignored'; reason: string };

export interface Intake {
  /**
   * Records a request durably before anything is acknowledged: one synchronous transaction
   * writes the processed key, the inbox entry and the audit row. Never awaits.
   */
  accept(body: Record<string, unknown>): IntakeResult;
  /** The bot's identity arrives with auth.test; until then nothing is recognised as our own. */
  setBot(bot: BotIdentity): void;
}

export function createIntake(deps: {
  store: Store;
  clock: Clock;
  log: Logger;
  command: string;
  alertChannels: readonly string[];
  /** Applied to what people typed before it is stored in the audit log (people paste tokens). */
  redact?: (text: string) => string;
}): Intake {
  const { store, clock, log } = deps;
  let bot: BotIdentity | undefined;
  const alertChannels = new Set(deps.alertChannels);

  const record = store.db.transaction((key: string, kind: RequestKind, body: Record<string, unknown>, who: string, where: string | null, summary: string) => {
    const at = clock.now();
    if (!store.events.markProcessed(key, at)) return undefined;
    let inboxId: number;
    try {
      inboxId = store.inbox.add({ key, kind, payload: JSON.stringify(body), at });
    } catch (err) {
      // Its processed key was pruned (retention) but the finished entry is still kept: a late retry.
      if (err instanceof OpsError && err.code === 'inbox_duplicate_key') return undefined;
      throw err;
    }
    store.audit.append({ at, actor: who, channel: where, action: 'received', command: kind, args: JSON.stringify({ text: deps.redact ? deps.redact(summary) : summary }), outcome: 'accepted' });
    return inboxId;
  });

  return {
    setBot(identity) {
      bot = identity;
    },
    accept(body) {
      const c = classifyRequest(body, { command: deps.command, bot });
      if ('ignore' in c) return { outcome: 'ignored', reason: c.ignore };
      // Plain channel messages are work only where opsbot watches for alerts.
      if (c.kind === 'message' && !(c.channelId && alertChannels.has(c.channelId))) {
        return { outcome: 'ignored', reason: 'message outside alert channels' };
      }
      const inboxId = record(c.key, c.kind, body, c.userId ?? 'unknown', c.channelId ?? null, c.summary);
      if (inboxId === undefined) {
        log.info({ key: c.key }, 'slack retry of a recorded request acknowledged, not processed again');
        return { outcome: 'duplicate', key: c.key };
      }
      return { outcome: 'accepted', inboxId, kind: c.kind };
    },
  };
}
