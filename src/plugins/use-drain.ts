import { isAsyncIterable, type Plugin } from "graphql-yoga";
import { abortCallbacksOf } from "../abort-callbacks.js";

/**
 * Ends every open subscription once `signal` aborts (the gateway is stopping): its event source
 * is returned and the stream completes the way its protocol says, so an SSE client reads
 * `event: complete` rather than a cut connection, and a graphql-ws client gets `complete`.
 * Subscriptions opened after the abort end at once.
 */
export function useDrain({ signal }: { signal: AbortSignal }): Plugin {
  return {
    onSubscribe() {
      return {
        onSubscribeResult({ result, setResult }) {
          if (isAsyncIterable(result)) {
            setResult(endOnAbort(result, signal));
          }
        },
      };
    },
  };
}

/** `source`, ending (and returning `source`) as soon as `signal` aborts. */
export function endOnAbort<T>(
  source: AsyncIterable<T>,
  signal: AbortSignal,
): AsyncIterableIterator<T> {
  const iterator = source[Symbol.asyncIterator]();
  let ended = false;
  let wake: () => void = () => undefined;
  const aborted = new Promise<IteratorReturnResult<undefined>>((resolve) => {
    wake = () => resolve({ done: true, value: undefined });
  });
  const onAbort = () => wake();
  // One listener on the signal however many subscriptions are open.
  const enders = abortCallbacksOf(signal);
  if (signal.aborted) {
    wake();
  } else {
    enders.add(onAbort);
  }
  const end = async (): Promise<IteratorReturnResult<undefined>> => {
    if (!ended) {
      ended = true;
      enders.delete(onAbort);
      await iterator.return?.();
    }
    return { done: true, value: undefined };
  };
  const ending: AsyncIterableIterator<T> = {
    [Symbol.asyncIterator]: () => ending,
    async next() {
      if (ended) {
        return { done: true, value: undefined };
      }
      const step = await Promise.race([iterator.next(), aborted]);
      if (step.done) {
        return end();
      }
      return step;
    },
    return: end,
    async throw(error: unknown) {
      await end();
      throw error;
    },
  };
  return ending;
}
