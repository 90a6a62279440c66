/**
 * Callbacks to run when a signal aborts, behind one listener on it however many are added. A
 * request's signal may have dozens of waiters at once (a dashboard's reads, a subscription's
 * streams), and a listener each would pass Node's 10-listener warning at the eleventh
 * (MaxListenersExceededWarning, issue 12.6). Callers delete their callback when they stop
 * waiting; the set empties when the signal aborts. A signal already aborted never calls them.
 */
const callbackSets = new WeakMap<AbortSignal, Set<() => void>>();

export function abortCallbacksOf(signal: AbortSignal): Set<() => void> {
  const known = callbackSets.get(signal);
  if (known !== undefined) {
    return known;
  }
  const callbacks = new Set<() => void>();
  callbackSets.set(signal, callbacks);
  signal.addEventListener(
    "abort",
    () => {
      for (const callback of [...callbacks]) {
        callback();
      }
      callbacks.clear();
    },
    { once: true },
  );
  return callbacks;
}
