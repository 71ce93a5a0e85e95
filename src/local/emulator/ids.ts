import { randomBytes, randomUUID } from 'node:crypto';
import type { Clock } from '../../clock.ts';

/**
 * Identifiers shaped like Slack's. Message timestamps come from the injected clock so a test that
 * moves time sees the same ordering and ages Slack would show; a counter keeps them unique when
 * the clock stands still.
 */
export interface Ids {
  /** A message ts, `seconds.micros`, strictly increasing. */
  ts(): string;
  /** A Slack-style object id: prefix + 10 upper-case characters (C…, D…, V…, F…). */
  id(prefix: string): string;
  /** `Ev…` event id, unique per emulator. */
  eventId(): string;
  /** Socket Mode envelope id (Slack uses UUIDs). */
  envelopeId(): string;
  /** Random lower-case hex. */
  hex(bytes: number): string;
}

export function createIds(clock: Clock): Ids {
  let lastMicros = 0;
  const counters = new Map<string, number>();

  const next = (prefix: string): number => {
    const n = (counters.get(prefix) ?? 0) + 1;
    counters.set(prefix, n);
    return n;
  };

  return {
    ts() {
      const micros = Math.max(clock.now() * 1000, lastMicros + 1);
      lastMicros = micros;
      const seconds = Math.floor(micros / 1_000_000);
      return `${seconds}.${String(micros % 1_000_000).padStart(6, '0')}`;
    },
    id(prefix) {
      // "E" marks emulator-made ids so they never collide with the fixed defaults (C0GENERAL…).
      return `${prefix}E${next(prefix).toString(36).toUpperCase().padStart(9, '0')}`;
    },
    eventId() {
      return `Ev0E${next('Ev').toString(36).toUpperCase().padStart(8, '0')}`;
    },
    envelopeId: () => randomUUID(),
    hex: (bytes) => randomBytes(bytes).toString('hex'),
  };
}

/** Slack ts strings compare correctly as numbers of micro-seconds. */
export function tsToMicros(ts: string): number {
  const [sec = '0', frac = '0'] = ts.split('.');
  return Number(sec) * 1_000_000 + Number(frac.padEnd(6, '0').slice(0, 6));
}
