import { ManualClock } from '../../src/clock.ts';

/**
 * A ManualClock that can say when its next timer is due, so a benchmark can fast-forward through
 * waits nobody is doing real work in (Slack's pacing, Retry-After pauses) one due timer at a time,
 * instead of stepping blindly and blurring when things happened.
 */
export class SteppedClock extends ManualClock {
  readonly #due = new Set<{ at: number }>();

  override setTimer(fn: () => void, ms: number): () => void {
    const entry = { at: this.now() + Math.max(0, ms) };
    this.#due.add(entry);
    const cancel = super.setTimer(() => {
      this.#due.delete(entry);
      fn();
    }, ms);
    return () => {
      this.#due.delete(entry);
      cancel();
    };
  }

  /** When the earliest pending timer fires (clock ms), or undefined with none pending. */
  nextDueAt(): number | undefined {
    let next: number | undefined;
    for (const { at } of this.#due) if (next === undefined || at < next) next = at;
    return next;
  }

  /**
   * Moves the clock along with real time: by the whole real milliseconds since the previous call
   * (whole, because the store keeps times as INTEGER columns; the fraction is carried over).
   */
  follower(): () => Promise<void> {
    let last = performance.now();
    return async () => {
      const ms = Math.floor(performance.now() - last);
      last += ms;
      await this.advance(ms);
    };
  }
}
