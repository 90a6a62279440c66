import type { ConversationListParams } from "../../crisp/conversations.js";
import { requireId } from "../../crisp/ids.js";
import type { CrispConversation } from "../../crisp/types.js";
import { badUserInput } from "../../errors.js";
import type { SeekOrder } from "../../loaders/seek.js";
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
  description:
    "Crisp's order_date_* switches (default: last updated first), and what paging each guarantees while the inbox changes.",
  values: {
    CREATED: {
      value: "created",
      description:
        "order_date_created: newest created first. Stable: a creation time never changes, so paging returns every conversation that existed when it began exactly once, whatever is created, updated or removed meanwhile. The order to export in.",
    },
    UPDATED: {
      value: "updated",
      description:
        "order_date_updated: last updated first. Not stable against Crisp's offsets: a conversation updated while a client pages moves to the top, and one that crosses the cursor between two windows is missed or seen twice. Follow changes with the change feed (Website.changes) instead.",
    },
    WAITING: {
      value: "waiting",
      description:
        "order_date_waiting: longest waiting first, only conversations waiting for an answer. Not stable either: a conversation leaves it when answered.",
    },
  } as const,
});

/**
 * What paging needs to know of an order to find its place again (src/loaders/seek.ts):
 * every order has the session id; only creation order has a key that never changes.
 */
export function conversationOrder(
  order: ConversationListParams["order"] | undefined,
): SeekOrder<CrispConversation> {
  return order === "created"
    ? { id: (c) => c.session_id, key: (c) => c.created_at }
    : { id: (c) => c.session_id };
}

export const SearchOperator = builder.enumType("SearchOperator", {
  description:
    "How Crisp combines the criteria of a filter (its search_operator): all of them (AND, Crisp's default) or any (OR).",
  values: { AND: { value: "and" }, OR: { value: "or" } } as const,
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
  description: "Crisp's search_query, search_type and search_operator.",
  fields: (t) => ({
    query: t.string({
      required: true,
      description:
        'Text, segment name, or (type FILTER) a JSON array of criteria, e.g. [{"model":"session","criterion":"meta.email","operator":"has","query":["acme"]}].',
    }),
    type: t.field({ type: ConversationSearchType, description: "Default TEXT." }),
    operator: t.field({
      type: SearchOperator,
      description: "search_operator: how a FILTER's criteria combine (default AND). FILTER only.",
    }),
  }),
});

/** Search and filter text go into a URL: keep them to what Crisp could ever accept. */
const MAX_SEARCH_LENGTH = 2_000;
const MAX_INBOX_ID_LENGTH = 200;
/** Criteria of one filter: far past a real segment's, short of a URL Crisp would refuse. */
export const MAX_FILTER_CRITERIA = 20;

/**
 * Checks a Crisp filter (crisp-api.md §4.4, §4.7): a JSON array of `{ model, criterion,
 * operator, query: string[] }`, each a short identifier and a few strings. Crisp would refuse
 * anything else with `invalid_data`; here it costs no request.
 */
export function checkCrispFilter(filter: unknown, field: string): void {
  if (!Array.isArray(filter) || filter.length === 0 || filter.length > MAX_FILTER_CRITERIA) {
    throw badUserInput(
      field,
      `expected a JSON array of 1 to ${MAX_FILTER_CRITERIA} criteria {model, criterion, operator, query}.`,
    );
  }
  filter.forEach((item: unknown, index) => {
    const at = `${field}[${index}]`;
    if (typeof item !== "object" || item === null || Array.isArray(item)) {
      throw badUserInput(at, "expected an object {model, criterion, operator, query}.");
    }
    const { model, criterion, operator, query, ...rest } = item as Record<string, unknown>;
    const extra = Object.keys(rest)[0];
    if (extra !== undefined) {
      throw badUserInput(`${at}.${extra}`, "is not a field of a Crisp filter criterion.");
    }
    for (const [name, value] of [
      ["model", model],
      ["operator", operator],
    ] as const) {
      if (typeof value !== "string" || !/^[a-z_]{1,30}$/.test(value)) {
        throw badUserInput(`${at}.${name}`, "expected a Crisp name such as session or has.");
      }
    }
    if (typeof criterion !== "string" || !/^[A-Za-z0-9_.]{1,100}$/.test(criterion)) {
      throw badUserInput(`${at}.criterion`, "expected a field path such as meta.email.");
    }
    if (
      !Array.isArray(query) ||
      query.length > MAX_FILTER_CRITERIA ||
      !query.every((value) => typeof value === "string" && value.length <= 200)
    ) {
      throw badUserInput(`${at}.query`, "expected a list of strings.");
    }
  });
}

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
  const search = args.search;
  if ((search?.query.length ?? 0) > MAX_SEARCH_LENGTH) {
    throw badUserInput("search.query", `at most ${MAX_SEARCH_LENGTH} characters.`);
  }
  if (search?.type === "filter") {
    let parsed: unknown;
    try {
      parsed = JSON.parse(search.query);
    } catch {
      throw badUserInput("search.query", "a FILTER search takes a JSON array of criteria.");
    }
    checkCrispFilter(parsed, "search.query");
  } else if (search?.operator !== null && search?.operator !== undefined) {
    throw badUserInput("search.operator", "applies to FILTER searches only.");
  }
  if (
    filter.dateStart !== null &&
    filter.dateStart !== undefined &&
    filter.dateEnd !== null &&
    filter.dateEnd !== undefined &&
    filter.dateStart > filter.dateEnd
  ) {
    throw badUserInput("filter.dateEnd", "must not be before filter.dateStart.");
  }
  if ((filter.inboxId?.length ?? 0) > MAX_INBOX_ID_LENGTH) {
    throw badUserInput("filter.inboxId", `at most ${MAX_INBOX_ID_LENGTH} characters.`);
  }
  return {
    searchQuery: args.search?.query,
    searchType: args.search ? (args.search.type ?? "text") : undefined,
    searchOperator: args.search?.operator ?? undefined,
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
