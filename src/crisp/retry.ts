/**
 * How the Crisp client retries a read: how often, and how long it pauses between attempts
 * (src/crisp/client.ts decides what is retried).
 */

/** Reads are retried at most twice (three attempts in all). */
export const MAX_READ_RETRIES = 2;

/** 100 ms, then 300 ms, with jitter: short, because the operation is waiting. */
export function retryDelayMs(attempt: number): number {
  return 100 * 3 ** attempt * (0.5 + Math.random() / 2);
}

/** Waits `ms`, or rejects with the signal's reason as soon as it aborts. */
export function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        reject(signal.reason);
      },
      { once: true },
    );
  });
}
