import type { Plugin } from "graphql-yoga";

/** Counts open subscriptions (graphql-ws and SSE alike) for /metrics. */
export function useSubscriptionCount(count: { opened(): void; closed(): void }): Plugin {
  return {
    onSubscribe() {
      return {
        onSubscribeResult({ result }) {
          if (!(Symbol.asyncIterator in result)) {
            return;
          }
          count.opened();
          return {
            onEnd() {
              count.closed();
            },
          };
        },
      };
    },
  };
}
