import { abortCallbacksOf } from "../abort-callbacks.js";
import type { CacheKey } from "./cache-kinds.js";

/** A Crisp read in flight for one cache key, shared by every caller of that key. */
export interface Inflight {
  key: CacheKey;
  promise: Promise<unknown>;
  controller: AbortController;
  /** Callers waiting for it; when the last one leaves, the Crisp request is aborted. */
  waiters: number;
  /** A refresh nobody waits for (stale-while-revalidate): never aborted. */
  background: boolean;
}

/**
 * Waits for `inflight` on behalf of one caller, free to leave when its request's signal aborts.
 * When the last caller leaves, the Crisp request is aborted and `abandoned` is told, so the
 * cache forgets it. A request waits for many keys at once (a dashboard: dozens), so each signal
 * gets one abort listener, whatever the number of keys (`abortCallbacksOf`).
 */
export function waitFor(
  inflight: Inflight,
  signal: AbortSignal | undefined,
  abandoned: () => void,
): Promise<unknown> {
  inflight.waiters += 1;
  if (signal === undefined) {
    return inflight.promise;
  }
  return new Promise((resolve, reject) => {
    const leave = () => {
      inflight.waiters -= 1;
      reject(signal.reason);
      if (inflight.waiters === 0 && !inflight.background) {
        // Nobody is left to read the answer: stop asking Crisp for it.
        inflight.controller.abort(signal.reason);
        abandoned();
      }
    };
    const leavers = abortCallbacksOf(signal);
    leavers.add(leave);
    inflight.promise.then(
      (value) => {
        leavers.delete(leave);
        resolve(value);
      },
      (error: unknown) => {
        leavers.delete(leave);
        reject(error);
      },
    );
  });
}
