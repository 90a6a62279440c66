import type { ConversationListParams } from "../../crisp/conversations.js";
import { requireId } from "../../crisp/ids.js";
import { badUserInput } from "../../errors.js";
import { builder } from "../builder.js";

/**
 * How a client narrows and orders a website's conversations: Crisp's filter_*, search_* and
 * order_date_* parameters of GET /website/{website_id}/conversations/{page}, as input types,
 * and their check before anything is sent.
 */

const ConversationSearchType = builder.enumType("ConversationSearchType", {
  description: "Crisp's search_type.",
  values: {
    TEXT: { value: "text", description: "Full-text search in conversations." },
    SEGMENT: { value: "segment", description: "Conversations carrying this segment." },
    FILTER: {
      value: "filter",
      description: "A Crisp filter: a JSON array of {model, criterion, operator, query}.",
    },
  } as const,
});

export const ConversationOrder = builder.enumType("ConversationOrder", {
  description: "Crisp's order_date_* switches (default: last updated first).",
  values: {
    CREATED: { value: "created", description: "order_date_created" },
    UPDATED: { value: "updated", description: "order_date_updated" },
    WAITING: { value: "waiting", description: "order_date_waiting: longest waiting first." },
  } as const,
});

export const ConversationFilter = builder.inputType("ConversationFilter", {
  description:
    "Crisp's filter_* parameters of GET /website/{website_id}/conversations/{page}. They combine (AND).",
  fields: (t) => ({
    unread: t.boolean({ description: "filter_unread: with messages the operators have not read." }),
    resolved: t.boolean({ description: "filter_resolved." }),
    notResolved: t.boolean({ description: "filter_not_resolved." }),
    mention: t.boolean({ description: "filter_mention: where an operator is mentioned." }),
    assignedTo: t.id({ description: "Operator user id the conversations are assigned to." }),
    unassigned: t.boolean({ description: "filter_unassigned." }),
    inboxId: t.id({ description: "filter_inbox_id." }),
    dateStart: t.field({
      type: "DateTime",
      description: "Crisp filter_date_start / filter_date_end.",
    }),
    dateEnd: t.field({ type: "DateTime", description: "filter_date_end." }),
    includeEmpty: t.boolean({
      description: "include_empty: also conversations without any message.",
    }),
  }),
});

export const ConversationSearch = builder.inputType("ConversationSearch", {
  description: "Crisp's search_query and search_type.",
  fields: (t) => ({
    query: t.string({ required: true, description: "Text, segment name, or filter JSON." }),
    type: t.field({ type: ConversationSearchType, description: "Default TEXT." }),
  }),
});

/** Search and filter text go into a URL: keep them to what Crisp could ever accept. */
const MAX_SEARCH_LENGTH = 2_000;
const MAX_INBOX_ID_LENGTH = 200;

/** The list query a client asked for, checked: BAD_USER_INPUT before any Crisp request. */
export function conversationListQuery(args: {
  filter?: typeof ConversationFilter.$inferInput | null;
  search?: typeof ConversationSearch.$inferInput | null;
  orderBy?: ConversationListParams["order"] | null;
}): Omit<ConversationListParams, "page" | "perPage"> {
  const filter = args.filter ?? {};
  const assignedTo =
    filter.assignedTo === null || filter.assignedTo === undefined
      ? undefined
      : requireId("userId", filter.assignedTo, "filter.assignedTo");
  if ((args.search?.query.length ?? 0) > MAX_SEARCH_LENGTH) {
    throw badUserInput("search.query", `at most ${MAX_SEARCH_LENGTH} characters.`);
  }
  if ((filter.inboxId?.length ?? 0) > MAX_INBOX_ID_LENGTH) {
    throw badUserInput("filter.inboxId", `at most ${MAX_INBOX_ID_LENGTH} characters.`);
  }
  return {
    searchQuery: args.search?.query,
    searchType: args.search ? (args.search.type ?? "text") : undefined,
    includeEmpty: filter.includeEmpty ?? undefined,
    filterInboxId: filter.inboxId ?? undefined,
    filterUnread: filter.unread ?? undefined,
    filterResolved: filter.resolved ?? undefined,
    filterNotResolved: filter.notResolved ?? undefined,
    filterMention: filter.mention ?? undefined,
    filterAssigned: assignedTo,
    filterUnassigned: filter.unassigned ?? undefined,
    filterDateStart: filter.dateStart?.toISOString(),
    filterDateEnd: filter.dateEnd?.toISOString(),
    order: args.orderBy ?? undefined,
  };
}
