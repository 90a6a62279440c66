import type { Plugin } from "graphql-yoga";

/** Per operation: whether any answer came from the shared cache past its TTL. */
export interface Staleness {
  servedStale: boolean;
}

/**
 * Says in `extensions.stale` when a response used data past its cache TTL (served while it
 * was refreshed, or because Crisp was throttling, over quota or failing), so a dashboard can
 * show it. Subscriptions' events are always fresh and are left alone.
 */
export function useStaleMarker(): Plugin<{ staleness?: Staleness }> {
  return {
    onExecute({ args }) {
      return {
        onExecuteDone({ result, setResult }) {
          const staleness = args.contextValue.staleness;
          if (staleness?.servedStale !== true || Symbol.asyncIterator in result) {
            return;
          }
          setResult({ ...result, extensions: { ...result.extensions, stale: true } });
        },
      };
    },
  };
}
