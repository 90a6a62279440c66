/**
 * Crisp's read routes, as crisp-api.md §4 describes them. Reasons marked [I] in the reference
 * (`session_not_found`, `people_not_found`, `message_not_found`, `resolved` on `/messages`) are
 * the simulator's choice.
 */

import { DEFAULT_ASSUMPTIONS } from "./assumptions.js";
import { CrispHttpError, invalidData } from "./errors.js";
import type { WireConnectedWebsite, WireVisitorCount, WireWebsite } from "./payloads.js";
import type { Tier } from "./protocol.js";
import {
  flag,
  parseDate,
  parseFilter,
  parsePage,
  parsePerPage,
  parseTimestamp,
  type Query,
} from "./query.js";
import type { Route, RouteAnswer, RouteContext } from "./router.js";
import type { ConversationQuery, PeopleQuery } from "./store.js";

const ALL_TIERS: readonly Tier[] = ["user", "website", "plugin"];
const USER_PLUGIN: readonly Tier[] = ["user", "plugin"];
/** BP: "search_query_too_long" past this length (the limit itself is not published) [I]. */
const MAX_SEARCH_QUERY = 500;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const SESSION_ID = /^session_[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const FINGERPRINT = /^[1-9][0-9]{0,15}$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export function isUuid(value: string): boolean {
  return UUID.test(value);
}

export function isEmail(value: string): boolean {
  return EMAIL.test(value);
}

/** A `:fingerprint` path segment as a number, or `undefined` when it cannot be one. */
export function parseFingerprint(raw: string): number | undefined {
  return FINGERPRINT.test(raw) && Number.isSafeInteger(Number(raw)) ? Number(raw) : undefined;
}

function resolved(data: unknown): RouteAnswer {
  return { status: 200, reason: "resolved", data };
}

/**
 * One page of a list: 206 `listed` while the page has items, 200 `listed` with `[]` past the
 * end (BP shows 206 for a listed page; the empty end page is [I]).
 */
function listed<T>(items: readonly T[], page: number, perPage: number): RouteAnswer {
  const slice = items.slice((page - 1) * perPage, page * perPage);
  return { status: slice.length > 0 ? 206 : 200, reason: "listed", data: slice };
}

export function websiteOf(context: RouteContext): WireWebsite {
  if (context.website === undefined) {
    throw new CrispHttpError(404, "website_not_found");
  }
  return context.website;
}

/** The conversation of `:session_id`, or 404 `session_not_found` (also for malformed ids). */
export function sessionOf(context: RouteContext): { websiteId: string; sessionId: string } {
  const websiteId = websiteOf(context).website_id;
  const sessionId = context.params.session_id ?? "";
  if (
    !SESSION_ID.test(sessionId) ||
    context.store.conversation(websiteId, sessionId) === undefined
  ) {
    throw new CrispHttpError(404, "session_not_found");
  }
  return { websiteId, sessionId };
}

function conversationQuery(query: Query): ConversationQuery {
  const result: ConversationQuery = {};
  const searchQuery = query.search_query;
  if (searchQuery !== undefined && searchQuery.length > MAX_SEARCH_QUERY) {
    throw new CrispHttpError(400, "search_query_too_long");
  }
  const searchType = query.search_type ?? "text";
  if (searchQuery !== undefined && searchQuery !== "") {
    switch (searchType) {
      case "text":
        result.search = { type: "text", text: searchQuery };
        break;
      case "segment":
        result.search = { type: "segment", segment: searchQuery };
        break;
      case "filter":
        result.search = {
          type: "filter",
          filter: parseFilter(searchQuery, query.search_operator, ["session"]),
        };
        break;
      default:
        throw invalidData();
    }
  }
  result.includeEmpty = flag(query, "include_empty");
  if (query.filter_inbox_id !== undefined && query.filter_inbox_id !== "") {
    result.inboxId = query.filter_inbox_id;
  }
  result.unread = flag(query, "filter_unread");
  result.resolved = flag(query, "filter_resolved");
  result.notResolved = flag(query, "filter_not_resolved");
  result.mention = flag(query, "filter_mention");
  const assigned = query.filter_assigned;
  // The docs take a user id; GO sends 1/0, which we read as "assigned to anyone" / no filter.
  if (assigned === "1") {
    result.assigned = true;
  } else if (assigned !== undefined && assigned !== "" && assigned !== "0") {
    result.assigned = assigned;
  }
  result.unassigned = flag(query, "filter_unassigned");
  const dateStart = parseDate(query, "filter_date_start");
  const dateEnd = parseDate(query, "filter_date_end");
  if (dateStart !== undefined) {
    result.dateStart = dateStart;
  }
  if (dateEnd !== undefined) {
    result.dateEnd = dateEnd;
  }
  if (flag(query, "order_date_waiting")) {
    result.order = "waiting";
  } else if (flag(query, "order_date_created")) {
    result.order = "created";
  } else {
    result.order = "updated";
  }
  return result;
}

function peopleQuery(query: Query): PeopleQuery {
  const result: PeopleQuery = {};
  if (query.sort_field !== undefined && query.sort_field !== "") {
    result.sortField = query.sort_field;
  }
  if (query.sort_order === "ascending" || query.sort_order === "descending") {
    result.sortOrder = query.sort_order;
  }
  if (query.search_text !== undefined && query.search_text !== "") {
    result.searchText = query.search_text;
  }
  if (query.search_filter !== undefined && query.search_filter !== "") {
    result.filter = parseFilter(query.search_filter, query.search_operator, ["people"]);
  }
  const dateStart = parseDate(query, "filter_date_start");
  const dateEnd = parseDate(query, "filter_date_end");
  if (dateStart !== undefined) {
    result.dateStart = dateStart;
  }
  if (dateEnd !== undefined) {
    result.dateEnd = dateEnd;
  }
  return result;
}

/** Every read route of the gateway. */
export const READ_ROUTES: readonly Route[] = [
  {
    method: "GET",
    path: "/website/:website_id",
    tiers: ALL_TIERS,
    handle: (context) => resolved(websiteOf(context)),
  },
  {
    method: "HEAD",
    path: "/website",
    tiers: ALL_TIERS,
    handle: ({ query, store }) => {
      const domain = query.domain;
      if (domain === undefined || domain === "") {
        throw invalidData();
      }
      if (store.websiteByDomain(domain) === undefined) {
        throw new CrispHttpError(404, "website_not_found");
      }
      return { status: 200, reason: "found", data: {} };
    },
  },
  {
    method: "GET",
    path: "/plugin/connect/websites/all/:page",
    tiers: ["plugin"],
    handle: ({ params, query, store, token }) => {
      const page = parsePage(params.page ?? "");
      const configuredOnly = flag(query, "filter_configured");
      const includePlan = flag(query, "include_plan");
      const items: WireConnectedWebsite[] = [];
      for (const websiteId of token.websiteIds) {
        const record = store.record(websiteId);
        if (record === undefined) {
          continue;
        }
        if (configuredOnly && Object.keys(record.connect.settings).length === 0) {
          continue;
        }
        items.push({
          website_id: websiteId,
          token: record.connect.token,
          settings: record.connect.settings,
          ...(includePlan ? { plan: record.connect.plan } : {}),
        });
      }
      return listed(items, page, DEFAULT_ASSUMPTIONS.pageSize);
    },
  },
  {
    method: "GET",
    path: "/website/:website_id/conversations/:page",
    tiers: USER_PLUGIN,
    handle: (context) => {
      const websiteId = websiteOf(context).website_id;
      const page = parsePage(context.params.page ?? "");
      const perPage = parsePerPage(context.query.per_page);
      const items = context.store.listConversations(websiteId, conversationQuery(context.query));
      return listed(items, page, perPage);
    },
  },
  {
    method: "GET",
    path: "/website/:website_id/conversation/:session_id",
    tiers: USER_PLUGIN,
    handle: (context) => {
      const { websiteId, sessionId } = sessionOf(context);
      return resolved(context.store.conversation(websiteId, sessionId));
    },
  },
  {
    method: "HEAD",
    path: "/website/:website_id/conversation/:session_id",
    tiers: USER_PLUGIN,
    handle: (context) => {
      sessionOf(context);
      return { status: 200, reason: "found", data: {} };
    },
  },
  {
    method: "GET",
    path: "/website/:website_id/conversation/:session_id/messages",
    tiers: USER_PLUGIN,
    handle: (context) => {
      const { websiteId, sessionId } = sessionOf(context);
      const before = parseTimestamp(context.query, "timestamp_before");
      const batch = context.store.messagesBefore(websiteId, sessionId, before);
      if (batch === undefined) {
        throw new CrispHttpError(404, "session_not_found");
      }
      // R16 (Crisp staff): 206 means older messages remain, 200 means there are no more.
      return { status: batch.more ? 206 : 200, reason: "resolved", data: batch.messages };
    },
  },
  {
    method: "GET",
    path: "/website/:website_id/conversation/:session_id/message/:fingerprint",
    tiers: USER_PLUGIN,
    handle: (context) => {
      const { websiteId, sessionId } = sessionOf(context);
      const raw = context.params.fingerprint ?? "";
      const message = FINGERPRINT.test(raw)
        ? context.store.message(websiteId, sessionId, Number(raw))
        : undefined;
      if (message === undefined) {
        throw new CrispHttpError(404, "message_not_found");
      }
      return resolved(message);
    },
  },
  {
    method: "GET",
    path: "/website/:website_id/people/profiles/:page",
    tiers: USER_PLUGIN,
    handle: (context) => {
      const websiteId = websiteOf(context).website_id;
      const page = parsePage(context.params.page ?? "");
      const perPage = parsePerPage(context.query.per_page);
      const items = context.store.listPeople(websiteId, peopleQuery(context.query));
      return listed(items, page, perPage);
    },
  },
  {
    method: "GET",
    path: "/website/:website_id/people/profile/:people_id",
    tiers: USER_PLUGIN,
    handle: (context) => {
      const websiteId = websiteOf(context).website_id;
      const id = context.params.people_id ?? "";
      const profile =
        UUID.test(id) || EMAIL.test(id) ? context.store.profile(websiteId, id) : undefined;
      if (profile === undefined) {
        throw new CrispHttpError(404, "people_not_found");
      }
      return resolved(profile);
    },
  },
  {
    method: "GET",
    path: "/website/:website_id/people/conversations/:people_id/list/:page",
    tiers: USER_PLUGIN,
    handle: (context) => {
      const websiteId = websiteOf(context).website_id;
      const id = context.params.people_id ?? "";
      const sessions = UUID.test(id)
        ? context.store.personConversations(websiteId, id, {
            unread: flag(context.query, "filter_unread"),
            resolved: flag(context.query, "filter_resolved"),
            notResolved: flag(context.query, "filter_not_resolved"),
          })
        : undefined;
      if (sessions === undefined) {
        throw new CrispHttpError(404, "people_not_found");
      }
      return listed(sessions, parsePage(context.params.page ?? ""), DEFAULT_ASSUMPTIONS.pageSize);
    },
  },
  {
    method: "GET",
    path: "/website/:website_id/visitors/list/:page",
    tiers: USER_PLUGIN,
    handle: (context) => {
      const websiteId = websiteOf(context).website_id;
      const page = parsePage(context.params.page ?? "");
      return listed(context.store.visitors(websiteId), page, DEFAULT_ASSUMPTIONS.pageSize);
    },
  },
  {
    method: "GET",
    path: "/website/:website_id/visitors/count",
    tiers: USER_PLUGIN,
    handle: (context) => {
      const visitors = context.store.visitors(websiteOf(context).website_id);
      const count: WireVisitorCount = {
        count: visitors.length,
        active: visitors.filter((visitor) => visitor.active).length,
        limited: false,
      };
      return resolved(count);
    },
  },
  {
    method: "GET",
    path: "/website/:website_id/operators/list",
    tiers: USER_PLUGIN,
    handle: (context) => resolved(context.store.operators(websiteOf(context).website_id)),
  },
];
