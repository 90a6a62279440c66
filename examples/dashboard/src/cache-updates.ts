import type { ApolloCache } from "@apollo/client";
import { CONVERSATION, MESSAGES_SHOWN, type MessageFields } from "./operations";

/**
 * Appends a new message (a reply just sent, or one pushed by `messageAdded`) to its
 * conversation's cached messages, if that conversation has been opened. The message object
 * itself is normalised by its id; only the list of a conversation's messages needs this, since
 * the cache cannot know that a new Message belongs at its end. Each message arrives twice for
 * the dashboard's own replies (the mutation's result and the subscription's echo): the second
 * is a no-op.
 */
export function appendMessage(cache: ApolloCache, sessionId: string, message: MessageFields): void {
  cache.updateQuery(
    { query: CONVERSATION, variables: { sessionId, last: MESSAGES_SHOWN } },
    (data) => {
      const conversation = data?.website.conversation;
      if (
        data === null ||
        conversation === null ||
        conversation === undefined ||
        conversation.messages.nodes.some((node) => node.id === message.id)
      ) {
        return undefined;
      }
      const fields: MessageFields = {
        __typename: "Message",
        id: message.id,
        fingerprint: message.fingerprint,
        from: message.from,
        type: message.type,
        text: message.text,
        timestamp: message.timestamp,
        author: message.author,
      };
      return {
        ...data,
        website: {
          ...data.website,
          conversation: {
            ...conversation,
            messages: { ...conversation.messages, nodes: [...conversation.messages.nodes, fields] },
          },
        },
      };
    },
  );
}
