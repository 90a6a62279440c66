import { requireId } from "../../crisp/ids.js";
import { SIZED_WINDOW_MAX_PAGES } from "../../loaders/paging.js";
import { builder } from "../builder.js";
import { pagedConnection, requestedPageSize } from "../connection.js";
import { WebsiteRef } from "../website.js";
import {
  ConversationFilter,
  ConversationOrder,
  ConversationSearch,
  conversationListQuery,
} from "./filters.js";
import { ConversationConnection, ConversationRef } from "./type.js";

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
    resolve: (website, args, ctx) =>
      ctx.loaders.conversation(website.websiteId, requireId("sessionId", args.sessionId)),
  }),
  conversations: t.field({
    type: ConversationConnection,
    description:
      "Conversations, most recently updated first: GET /website/{website_id}/conversations/{page}. One Crisp request per page (the gateway picks per_page between 20 and 50 so that paging forward with the same `first` costs one request per page, two at worst for a window that no page size holds); `meta`, `lastMessage` and every scalar field come with it. `person` costs one request per distinct person, `assignee` one operators list per website, `messages` one request per conversation.",
    crispCost: { requests: SIZED_WINDOW_MAX_PAGES, items: requestedPageSize("first") },
    args: {
      first: t.arg.int({ description: "Page size, default 20, at most 50." }),
      after: t.arg.string({ description: "Cursor of the last conversation already seen." }),
      filter: t.arg({ type: ConversationFilter }),
      search: t.arg({ type: ConversationSearch }),
      orderBy: t.arg({ type: ConversationOrder }),
    },
    resolve: (website, args, ctx) => {
      const query = conversationListQuery(args);
      return pagedConnection(
        args,
        {
          perPage: "chosen",
          fetch: (page, perPage) =>
            ctx.loaders.conversationPage(website.websiteId, { ...query, page, perPage }),
        },
        (conversation) => conversation,
      );
    },
  }),
}));
