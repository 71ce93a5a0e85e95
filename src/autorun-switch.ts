import type { Store } from './store/types.ts';

const KEY = 'autorun.enabled';

export interface AutorunState {
  on: boolean;
  /** Who switched it last and when; undefined when it was never switched. */
  by?: string;
  at?: number;
}

/**
 * `/ops autorun off|on`: the kill switch for every automatic action (playbooks, CI re-runs). Kept
 * in SQLite so it survives restarts; read at the moment an automatic action would start, so
 * switching off stops the next one, not only new alerts.
 */
export interface AutorunSwitch {
  state(): AutorunState;
  isOn(): boolean;
  set(on: boolean, by: string, at: number): void;
}

export function createAutorunSwitch(store: Pick<Store, 'cursors'>): AutorunSwitch {
  const state = (): AutorunState => {
    const raw = store.cursors.get(KEY);
    if (raw === undefined) return { on: true };
    const parsed = JSON.parse(raw) as { on: boolean; by: string; at: number };
    return { on: parsed.on, by: parsed.by, at: parsed.at };
  };
  return {
    state,
    isOn: () => state().on,
    set(on, by, at) {
      store.cursors.set(KEY, JSON.stringify({ on, by, at }), at);
    },
  };
}
