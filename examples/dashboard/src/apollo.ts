import { ApolloClient, HttpLink, InMemoryCache, split } from "@apollo/client";
import { GraphQLWsLink } from "@apollo/client/link/subscriptions";
import { getMainDefinition, relayStylePagination } from "@apollo/client/utilities";
import { createClient } from "graphql-ws";

/** Whether the graphql-ws connection is up, for the header's indicator. */
export type LiveStatus = "connecting" | "live" | "offline";

export interface Gateway {
  client: ApolloClient;
  /** Current status and a subscribe function, as `useSyncExternalStore` takes them. */
  live: { get(): LiveStatus; subscribe(listener: () => void): () => void };
}

/**
 * Queries and mutations over HTTP, subscriptions over graphql-ws on the same URL (the
 * gateway serves both on /graphql). The cache has one policy: conversations page with
 * `relayStylePagination()`; everything else is normalised by `__typename` and `id`.
 */
export function createGatewayClient(httpUrl: string): Gateway {
  let status: LiveStatus = "connecting";
  const listeners = new Set<() => void>();
  const setStatus = (next: LiveStatus) => {
    status = next;
    for (const listener of listeners) {
      listener();
    }
  };
  const ws = createClient({
    url: httpUrl.replace(/^http/, "ws"),
    // Keep retrying while the gateway restarts; subscriptions resume when it is back.
    retryAttempts: Number.POSITIVE_INFINITY,
    on: {
      connected: () => setStatus("live"),
      closed: () => setStatus("offline"),
    },
  });
  const client = new ApolloClient({
    link: split(
      ({ query }) => {
        const definition = getMainDefinition(query);
        return definition.kind === "OperationDefinition" && definition.operation === "subscription";
      },
      new GraphQLWsLink(ws),
      new HttpLink({ uri: httpUrl }),
    ),
    cache: new InMemoryCache({
      typePolicies: {
        Website: { fields: { conversations: relayStylePagination() } },
      },
    }),
  });
  return {
    client,
    live: {
      get: () => status,
      subscribe: (listener) => {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
    },
  };
}
