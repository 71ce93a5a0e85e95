/**
 * What `settle()` waits on: requests in flight (deliveries to the app, Web API calls being
 * answered) and the real time since the last thing happened. Real time on purpose: the app's
 * work after an ack runs on the event loop, not on the test's clock.
 */
export interface Activity {
  /** Marks the start of something in flight; call the returned function when it ends. */
  begin(label: string): () => void;
  /** Something happened (a call arrived, a delivery finished). */
  touch(): void;
  settle(quietMs: number, timeoutMs: number): Promise<void>;
}

export function createActivity(): Activity {
  const inFlight = new Map<number, string>();
  let seq = 0;
  let lastAt = performance.now();

  return {
    begin(label) {
      const id = ++seq;
      inFlight.set(id, label);
      lastAt = performance.now();
      return () => {
        inFlight.delete(id);
        lastAt = performance.now();
      };
    },
    touch() {
      lastAt = performance.now();
    },
    async settle(quietMs, timeoutMs) {
      const deadline = performance.now() + timeoutMs;
      for (;;) {
        const idle = performance.now() - lastAt;
        if (inFlight.size === 0 && idle >= quietMs) return;
        if (performance.now() > deadline) {
          const busy = [...inFlight.values()];
          throw new Error(`emulator did not settle within ${timeoutMs} ms: ${busy.length ? `in flight: ${busy.join(', ')}` : 'the app kept calling the Web API'}`);
        }
        const wait = inFlight.size > 0 ? 5 : Math.max(1, quietMs - idle);
        await new Promise<void>((resolve) => setTimeout(resolve, wait));
      }
    },
  };
}
