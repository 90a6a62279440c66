import { gql, type TypedDocumentNode } from "@apollo/client";

/*
 * Every operation selects `id` on every object that has one, so InMemoryCache normalises
 * conversations and messages with no type policy: a mutation's or a subscription's result
 * updates every list and view showing the same object. Objects without an id (`meta`,
 * `author`) are selected through the same fragment everywhere, so no write replaces them
 * with fewer fields (which Apollo would warn about as lost cache data).
 */

export type ConversationState = "PENDING" | "RESOLVED" | "UNRESOLVED";

export interface ConversationFields {
  __typename: "Conversation";
  id: string;
  sessionId: string;
  state: ConversationState;
  lastMessage: string | null;
  updatedAt: string;
  meta: { __typename: "ConversationMeta"; nickname: string | null; email: string | null };
}

export interface MessageFields {
  __typename: "Message";
  id: string;
  fingerprint: number;
  from: "OPERATOR" | "USER";
  type: string;
  text: string | null;
  timestamp: string;
  author: { __typename: "MessageAuthor"; nickname: string | null };
}

const CONVERSATION_FIELDS = gql`
  fragment ConversationFields on Conversation {
    id
    sessionId
    state
    lastMessage
    updatedAt
    meta { nickname email }
  }
`;

const MESSAGE_FIELDS = gql`
  fragment MessageFields on Message {
    id
    fingerprint
    from
    type
    text
    timestamp
    author { nickname }
  }
`;

/** How many conversations a page (and each "load more") adds. */
export const PAGE_SIZE = 20;

export interface ConversationsData {
  website: {
    __typename: "Website";
    id: string;
    websiteId: string;
    name: string;
    conversations: {
      __typename: "ConversationConnection";
      edges: { __typename: "ConversationEdge"; cursor: string; node: ConversationFields }[];
      pageInfo: { __typename: "PageInfo"; hasNextPage: boolean; endCursor: string | null };
    };
  };
}

/**
 * The inbox. `edges { cursor node }` because that is what `relayStylePagination()` merges:
 * "load more" passes `after: endCursor` and the policy appends the new edges.
 */
export const CONVERSATIONS: TypedDocumentNode<
  ConversationsData,
  { first: number; after?: string }
> = gql`
    query Conversations($first: Int!, $after: String) {
      website {
        id
        websiteId
        name
        conversations(first: $first, after: $after) {
          edges {
            cursor
            node { ...ConversationFields }
          }
          pageInfo { hasNextPage endCursor }
        }
      }
    }
    ${CONVERSATION_FIELDS}
  `;

/** How many of a conversation's newest messages the view shows. */
export const MESSAGES_SHOWN = 30;

export interface ConversationData {
  website: {
    __typename: "Website";
    id: string;
    conversation:
      | (ConversationFields & {
          messages: { __typename: "MessageConnection"; nodes: MessageFields[] };
        })
      | null;
  };
}

/**
 * One conversation and its newest messages. Messages are read as `nodes`: the view does not
 * page them, and messages pushed by a mutation or a subscription have no edge cursor to
 * append with (a Message does not carry its cursor).
 */
export const CONVERSATION: TypedDocumentNode<
  ConversationData,
  { sessionId: string; last: number }
> = gql`
    query Conversation($sessionId: ID!, $last: Int!) {
      website {
        id
        conversation(sessionId: $sessionId) {
          ...ConversationFields
          messages(last: $last) {
            nodes { ...MessageFields }
          }
        }
      }
    }
    ${CONVERSATION_FIELDS}
    ${MESSAGE_FIELDS}
  `;

export interface SendReplyData {
  sendMessage: MessageFields & { conversation: ConversationFields };
}

/**
 * An operator's reply. Its result carries the conversation's new `lastMessage` and `state`,
 * which the normalised cache writes into the list: no refetch.
 */
export const SEND_REPLY: TypedDocumentNode<
  SendReplyData,
  { websiteId: string; sessionId: string; text: string; fingerprint: number }
> = gql`
  mutation SendReply($websiteId: ID!, $sessionId: ID!, $text: JSON!, $fingerprint: SafeInt!) {
    sendMessage(
      input: {
        websiteId: $websiteId
        sessionId: $sessionId
        type: TEXT
        from: OPERATOR
        content: $text
        nickname: "Dashboard"
        fingerprint: $fingerprint
      }
    ) {
      ...MessageFields
      conversation { ...ConversationFields }
    }
  }
  ${MESSAGE_FIELDS}
  ${CONVERSATION_FIELDS}
`;

export interface SetStateData {
  setConversationState: ConversationFields;
}

/** Resolve or reopen: the result's `state` lands on the cached conversation. */
export const SET_STATE: TypedDocumentNode<
  SetStateData,
  { websiteId: string; sessionId: string; state: ConversationState }
> = gql`
  mutation SetConversationState($websiteId: ID!, $sessionId: ID!, $state: ConversationState!) {
    setConversationState(websiteId: $websiteId, sessionId: $sessionId, state: $state) {
      ...ConversationFields
    }
  }
  ${CONVERSATION_FIELDS}
`;

export interface MessageAddedData {
  messageAdded: MessageFields & { conversation: ConversationFields };
}

/** Every new message of the website, from visitors and operators, with its conversation. */
export const MESSAGE_ADDED: TypedDocumentNode<MessageAddedData, { websiteId: string }> = gql`
  subscription MessageAdded($websiteId: ID!) {
    messageAdded(websiteId: $websiteId) {
      ...MessageFields
      conversation { ...ConversationFields }
    }
  }
  ${MESSAGE_FIELDS}
  ${CONVERSATION_FIELDS}
`;

export interface ConversationUpdatedData {
  conversationUpdated: {
    __typename: "ConversationEvent";
    name: string;
    conversation: ConversationFields;
  };
}

/** State, routing and meta changes made anywhere (another operator, Crisp itself). */
export const CONVERSATION_UPDATED: TypedDocumentNode<
  ConversationUpdatedData,
  { websiteId: string }
> = gql`
  subscription ConversationUpdated($websiteId: ID!) {
    conversationUpdated(websiteId: $websiteId) {
      name
      conversation { ...ConversationFields }
    }
  }
  ${CONVERSATION_FIELDS}
`;
