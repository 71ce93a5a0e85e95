import type { Clock } from '../../clock.ts';
import type { Ids } from './ids.ts';

/**
 * trigger_ids as Slack issues them with an interaction: usable once, for 3 seconds (Slack's
 * rule), measured on the injected clock.
 */
export const TRIGGER_TTL_MS = 3_000;

export type TriggerCheck = { ok: true; user: string } | { ok: false; error: 'invalid_trigger_id' | 'expired_trigger_id' | 'exchanged_trigger_id' };

export interface TriggerIds {
  issue(user: string): string;
  /** Spends the trigger (views.open / views.push). */
  consume(triggerId: string): TriggerCheck;
}

export function createTriggerIds(clock: Clock, ids: Ids): TriggerIds {
  const issued = new Map<string, { user: string; at: number; used: boolean }>();
  let n = 0;
  return {
    issue(user) {
      // Slack's look: "<number>.<number>.<hex>".
      const id = `${Math.floor(clock.now() / 1000)}${String(++n).padStart(4, '0')}.${1000 + n}.${ids.hex(16)}`;
      issued.set(id, { user, at: clock.now(), used: false });
      return id;
    },
    consume(triggerId) {
      const t = issued.get(triggerId);
      if (!t) return { ok: false, error: 'invalid_trigger_id' };
      if (t.used) return { ok: false, error: 'exchanged_trigger_id' };
      if (clock.now() - t.at > TRIGGER_TTL_MS) return { ok: false, error: 'expired_trigger_id' };
      t.used = true;
      return { ok: true, user: t.user };
    },
  };
}
