import { ApolloClient, gql, HttpLink, InMemoryCache, split } from "@apollo/client";
import { GraphQLWsLink } from "@apollo/client/link/subscriptions";
import { getMainDefinition } from "@apollo/client/utilities";
import { createClient } from "graphql-ws";
import { afterAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { startSimulator } from "../src/simulator/index.js";
import { gatewayOn } from "./helpers/gateway.js";
import { HOOK_SECRET, hookBody, postPluginHook } from "./helpers/hooks.js";

/**
 * A dashboard as our users build it: Apollo Client with split(GraphQLWsLink, HttpLink) and an
 * InMemoryCache, watching a conversation while messageAdded pushes new messages into it.
 */
const simulator = await startSimulator({ seed: 1 });
afterAll(() => simulator.close());
const gateway = gatewayOn(simulator, { hooks: { secret: HOOK_SECRET } });
const { url, wsUrl, hookUrl } = await gateway.listen("127.0.0.1", 0);
const wsClient = createClient({
  url: wsUrl,
  webSocketImpl: WebSocket,
  retryAttempts: 0,
});
const client = new ApolloClient({
  link: split(
    ({ query }) => {
      const definition = getMainDefinition(query);
      return definition.kind === "OperationDefinition" && definition.operation === "subscription";
    },
    new GraphQLWsLink(wsClient),
    new HttpLink({ uri: url }),
  ),
  cache: new InMemoryCache(),
});
afterAll(async () => {
  client.stop();
  await wsClient.dispose();
});

const W = simulator.defaultWebsiteId;
const conversation = simulator.store.listConversations(W, {})[3];
const S = conversation?.session_id ?? "";

const CONVERSATION = gql`
  query Conversation($sessionId: ID!) {
    website {
      id
      conversation(sessionId: $sessionId) {
        id
        sessionId
        messages(last: 5) {
          nodes { id fingerprint text }
        }
      }
    }
  }
`;
const MESSAGE_ADDED = gql`
  subscription MessageAdded($websiteId: ID!, $sessionId: ID) {
    messageAdded(websiteId: $websiteId, sessionId: $sessionId) {
      id
      fingerprint
      text
      conversation { id sessionId }
    }
  }
`;

interface ConversationData {
  website: {
    id: string;
    conversation: {
      id: string;
      sessionId: string;
      messages: { nodes: { id: string; fingerprint: number; text: string }[] };
    };
  };
}
interface MessageAddedData {
  messageAdded: {
    id: string;
    fingerprint: number;
    text: string;
    conversation: { id: string; sessionId: string };
  };
}

describe("Apollo Client", () => {
  it("watching a conversation, sees a new message arrive through messageAdded and keeps it in its cache", async () => {
    const seen: number[][] = [];
    let notify: (() => void) | undefined;
    const watching = client
      .watchQuery<ConversationData>({ query: CONVERSATION, variables: { sessionId: S } })
      .subscribe((result) => {
        // Only complete results count: Apollo 4 types partial ones as DeepPartial.
        const nodes =
          result.dataState === "complete"
            ? result.data.website.conversation.messages.nodes
            : undefined;
        if (nodes) {
          seen.push(nodes.map((node) => node.fingerprint));
          notify?.();
        }
      });
    /** Waits for results until one satisfies `predicate` (no timer: each result wakes it). */
    const waitFor = async (predicate: () => boolean) => {
      while (!predicate()) {
        await new Promise<void>((resolve) => {
          notify = resolve;
        });
      }
    };
    await waitFor(() => seen.length > 0);
    expect(seen[0]).toEqual(
      simulator.store
        .messages(W, S)
        ?.slice(-5)
        .map((m) => m.fingerprint),
    );

    const pushes = client
      .subscribe<MessageAddedData>({
        query: MESSAGE_ADDED,
        variables: { websiteId: W, sessionId: S },
      })
      .subscribe(({ data }) => {
        const added = data?.messageAdded;
        if (!added) {
          return;
        }
        client.cache.updateQuery<ConversationData>(
          { query: CONVERSATION, variables: { sessionId: S } },
          (previous) =>
            previous
              ? {
                  website: {
                    ...previous.website,
                    conversation: {
                      ...previous.website.conversation,
                      messages: {
                        ...previous.website.conversation.messages,
                        nodes: [...previous.website.conversation.messages.nodes, added],
                      },
                    },
                  },
                }
              : previous,
        );
      });
    // graphql-ws does not acknowledge subscriptions: the gateway's count of open ones does.
    await gateway.openSubscriptions(1);

    const fingerprint = 987654321012345;
    const message = {
      session_id: S,
      type: "text",
      from: "user",
      origin: "chat",
      content: "Did my parcel leave?",
      fingerprint,
      timestamp: Date.now(),
      user: { nickname: "visitor", user_id: S },
    };
    expect((await postPluginHook(hookUrl, hookBody(W, "message:send", message))).status).toBe(200);

    await waitFor(() => seen.at(-1)?.includes(fingerprint) === true);
    expect(seen.at(-1)?.at(-1)).toBe(fingerprint);
    const cached = client.cache.extract() as Record<
      string,
      { __typename?: string; text?: string; fingerprint?: number }
    >;
    const stored = Object.values(cached).find(
      (entry) => entry.__typename === "Message" && entry.fingerprint === fingerprint,
    );
    expect(stored?.text).toBe("Did my parcel leave?");
    pushes.unsubscribe();
    watching.unsubscribe();
  });
});
