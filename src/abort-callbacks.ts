/**
 * Callbacks to run when a signal aborts, behind one listener on it however many are added. A
 * request's signal may have dozens of waiters at once (a dashboard's reads, a subscription's
 * streams), and a listener each would pass Node's 10-listener warning at the eleventh
 * (MaxListenersExceededWarning, issue 12.6). Callers delete their callback when they stop
 * waiting; the set empties when the signal aborts.
 */
const callbackSets = new WeakMap<AbortSignal, Set<() => void>>();

export function abortCallbacksOf(signal: AbortSignal): Set<() => void> {
  let callbacks = callbackSets.get(signal);
  if (callbacks === undefined) {
    const set = new Set<() => void>();
    callbacks = set;
    callbackSets.set(signal, set);
    signal.addEventListener(
      "abort",
      () => {
        for (const callback of [...set]) {
          callback();
        }
        set.clear();
      },
      { once: true },
    );
  }
  return callbacks;
}
