import type { GatewayContext } from "../../context.js";
import { canonicalId, requireId } from "../../crisp/ids.js";
import { SEEK_MAX_PAGES } from "../../loaders/seek.js";
import { builder } from "../builder.js";
import { checkForwardWindow, pagedConnection, seekingConnectionCost } from "../connection.js";
import { startsRead } from "../prefetch.js";
import { STREAM_PAGE_SIZE, streamPages } from "../stream.js";
import { WebsiteRef } from "../website.js";
import {
  ConversationFilter,
  ConversationOrder,
  ConversationSearch,
  conversationListQuery,
  conversationOrder,
} from "./filters.js";
import { ConversationConnection, ConversationRef } from "./type.js";

type ConversationsArgs = Parameters<typeof conversationListQuery>[0] & {
  first?: number | null;
  after?: string | null;
};

/** The pages a `conversations` window reads: its resolver's, and what its selection starts. */
function readConversations(websiteId: string, args: ConversationsArgs, ctx: GatewayContext) {
  const query = conversationListQuery(args);
  return pagedConnection(
    args,
    {
      perPage: "chosen",
      fetch: (page, perPage) =>
        ctx.loaders.conversationPage(websiteId, { ...query, page, perPage }),
      order: conversationOrder(query.order),
    },
    (conversation) => conversation,
  );
}

// The list needs only the website's id: read it alongside GET /website/{website_id}, not after.
startsRead(
  "Website",
  "conversations",
  (websiteId, args, ctx) => readConversations(websiteId, args as ConversationsArgs, ctx),
  {
    each: "Conversation",
    items: (result) =>
      (result as Awaited<ReturnType<typeof readConversations>>).edges.map((edge) => edge.node),
  },
);

// One conversation needs only the website's id and its own: read it alongside the website,
// and start what its selection reads by those ids (its messages) beside it.
startsRead(
  "Website",
  "conversation",
  (websiteId, args, ctx) => {
    const sessionId = sessionIdOf(args);
    return sessionId === null ? undefined : ctx.loaders.conversation(websiteId, sessionId);
  },
  {
    each: "Conversation",
    items: (result) => (result === null || result === undefined ? [] : [result]),
    known: (websiteId, args) => {
      const sessionId = sessionIdOf(args);
      return sessionId === null ? [] : [{ website_id: websiteId, session_id: sessionId }];
    },
  },
);

/** The canonical session id of `Website.conversation`'s arguments, null when not one. */
function sessionIdOf(args: Record<string, unknown>): string | null {
  return typeof args.sessionId === "string" ? canonicalId("sessionId", args.sessionId) : null;
}

builder.objectFields(WebsiteRef, (t) => ({
  conversation: t.field({
    type: ConversationRef,
    nullable: true,
    description:
      "One conversation: GET /website/{website_id}/conversation/{session_id} (free when a list in this operation already returned it). Null when missing.",
    crispCost: { requests: 1 },
    args: {
      sessionId: t.arg.id({ required: true, description: "Crisp session id (session_<UUID>)." }),
    },
    checkArgs: (args) => {
      requireId("sessionId", args.sessionId);
    },
    resolve: (website, args, ctx) =>
      ctx.loaders.conversation(website.websiteId, requireId("sessionId", args.sessionId)),
  }),
  conversations: t.field({
    type: ConversationConnection,
    description:
      "Conversations, most recently updated first unless `orderBy` says otherwise: GET /website/{website_id}/conversations/{page}. One Crisp request per page (the gateway picks per_page between 20 and 50 so that paging forward with the same `first` costs one request per page, two at worst for a window that no page size holds); `meta`, `lastMessage` and every scalar field come with it. `person` costs one request per distinct person, `assignee` one operators list per website, `messages` one request per conversation. Cursors remember the last conversation (its place, id and creation time), not only an offset: a window after a cursor is read from where that conversation was and starts after it wherever it now is, so conversations created, updated or moved in between shift nothing. With `orderBy: CREATED`, paging from the first page to the last returns every conversation that existed when paging began exactly once (newer ones may show too), however the inbox moves meanwhile. With UPDATED (the default) and WAITING, a conversation that changes moves to another place of the order: a window never repeats the conversation its cursor names, but conversations that move across the cursor between two windows can be missed or seen twice (Crisp pages by offset, and no cursor can follow an order that changes under it); to follow changes, read the change feed (`Website.changes`) rather than re-reading this order. A window after a cursor may read up to 4 pages when the list moved; one that finds no place within them returns no edge, `hasNextPage` true and an `endCursor` to go on from.",
    crispCost: seekingConnectionCost,
    checkArgs: (args) => {
      checkForwardWindow(args, "seek");
      conversationListQuery(args);
    },
    args: {
      first: t.arg.int({ description: "Page size, default 20, at most 50." }),
      after: t.arg.string({ description: "Cursor of the last conversation already seen." }),
      filter: t.arg({ type: ConversationFilter }),
      search: t.arg({ type: ConversationSearch }),
      orderBy: t.arg({
        type: ConversationOrder,
        description: "Default UPDATED. CREATED is the order to export in: see above.",
      }),
    },
    resolve: (website, args, ctx) => readConversations(website.websiteId, args, ctx),
  }),
  allConversations: t.field({
    type: [ConversationRef],
    description:
      "Every conversation of the website, for exports: select it with @stream (without, it is refused) and conversations arrive a page at a time, as GET /website/{website_id}/conversations/{page} answers, however many there are. Newest created first by default (orderBy CREATED): every conversation that existed when the stream began comes exactly once, whatever is created, updated or moved meanwhile (newer ones may come too); with UPDATED or WAITING a conversation that moves may be missed, none comes twice. Metered by page: each page may spend what the estimate says one page costs, its items' fields included.",
    crispCost: { requests: SEEK_MAX_PAGES, items: STREAM_PAGE_SIZE, stream: true },
    checkArgs: (args) => {
      conversationListQuery(args);
    },
    args: {
      filter: t.arg({ type: ConversationFilter }),
      search: t.arg({ type: ConversationSearch }),
      orderBy: t.arg({
        type: ConversationOrder,
        defaultValue: "created",
        description: "Default CREATED, the order that stays exact while the inbox moves.",
      }),
    },
    resolve: (website, args, ctx, info) => {
      const query = conversationListQuery(args);
      return streamPages(ctx, info, conversationOrder(query.order), (page, perPage) =>
        ctx.loaders.conversationPage(website.websiteId, { ...query, page, perPage }),
      );
    },
  }),
}));
