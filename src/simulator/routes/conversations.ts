/**
 * Conversation routes (crisp-api.md §4.4, §4.5): the list with its filters, search and orders,
 * one conversation, and its writes (create, remove, state, routing, meta). Each write emits its
 * RTM event (§5.5).
 *
 * Our inferred choices [I]: routing to a user id that is not an operator of the website answers
 * `invalid_data`; a meta change emits one `session:set_<field>` per field set (none for `ip` and
 * `device`).
 */

import type { CrispAssumptions } from "../assumptions.js";
import type { SimulatorEnvironment } from "../environment.js";
import { CrispHttpError, invalidData } from "../errors.js";
import { addConversation, emitSessionEvent, setConversationState } from "../mutations.js";
import type { WireConversationMeta, WireConversationState } from "../payloads.js";
import {
  CONVERSATION_STATUS,
  META_EVENT_FIELDS,
  Reason,
  RtmEvent,
  Status,
  USER_PLUGIN,
} from "../protocol.js";
import { dateRange, flag, parseFilter, parsePerPage, type Query } from "../query.js";
import type { Route } from "../router.js";
import type { ConversationQuery } from "../store.js";
import { checkMeta } from "../validation/conversation.js";
import { checkString, isObject, objectBody, onlyKeys } from "../validation/primitives.js";
import { created, deleted, found, resolved, updated } from "./answers.js";
import { listRoute, sessionRoute } from "./builders.js";
import { websiteRecord } from "./targets.js";

const STATES = Object.keys(CONVERSATION_STATUS) as WireConversationState[];

/** The query of List Conversations (§4.4 [V D-REF, D-PM]) as a store query. */
function conversationQuery(query: Query, assumptions: CrispAssumptions): ConversationQuery {
  const result: ConversationQuery = {};
  const searchQuery = query.search_query;
  if (searchQuery !== undefined && searchQuery.length > assumptions.searchQueryMaxLength) {
    throw new CrispHttpError(Status.BAD_REQUEST, Reason.SEARCH_QUERY_TOO_LONG);
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
  if (assigned !== undefined && assigned !== "") {
    if (assumptions.filterAssigned === "user-id") {
      result.assigned = assigned;
    } else if (assigned === "1") {
      result.assigned = true;
    } else if (assigned !== "0") {
      result.assigned = assigned;
    }
  }
  result.unassigned = flag(query, "filter_unassigned");
  Object.assign(result, dateRange(query));
  if (flag(query, "order_date_waiting")) {
    result.order = "waiting";
  } else if (flag(query, "order_date_created")) {
    result.order = "created";
  } else {
    result.order = "updated";
  }
  return result;
}

/** The `assigned` of a `PATCH …/routing` body: a user id, or `null` to unassign. */
function routingUser(body: unknown, assumptions: CrispAssumptions): string | null {
  const value = objectBody(body);
  onlyKeys(value, ["assigned", "silent"]);
  const expected = `assigned must be { user_id }${assumptions.unassignWithNull ? " or null" : ""}`;
  if (!("assigned" in value) || (value.assigned === null && !assumptions.unassignWithNull)) {
    throw invalidData(expected);
  }
  if (value.assigned === null) {
    return null;
  }
  if (!isObject(value.assigned)) {
    throw invalidData(expected);
  }
  onlyKeys(value.assigned, ["user_id"], "assigned.");
  return checkString(value.assigned.user_id, "assigned.user_id", true);
}

export function conversationRoutes(env: SimulatorEnvironment): Route[] {
  return [
    listRoute(
      "conversations",
      ({ assumptions, query, store }, websiteId) =>
        store.listConversations(websiteId, conversationQuery(query, assumptions)),
      ({ assumptions, query }) => parsePerPage(query.per_page, assumptions),
    ),
    sessionRoute("GET", "", (target) => resolved(target.conversation)),
    sessionRoute("HEAD", "", (_target, { assumptions }) => found(assumptions)),
    {
      method: "POST",
      path: "/website/:website_id/conversation",
      tiers: USER_PLUGIN,
      handle: (context) => {
        const conversation = addConversation(env, websiteRecord(context));
        return created(context.assumptions, { session_id: conversation.session_id });
      },
    },
    sessionRoute("DELETE", "", (target, { assumptions }) => {
      const { record, sessionId } = target;
      record.conversations = record.conversations.filter((item) => item.session_id !== sessionId);
      record.messages.delete(sessionId);
      emitSessionEvent(env, RtmEvent.SESSION_REMOVED, target, {});
      return deleted(assumptions);
    }),
    sessionRoute("PATCH", "/state", async (target, context) => {
      const body = objectBody(await context.readBody());
      onlyKeys(body, ["state", "user", "origin"]);
      const state = body.state;
      if (typeof state !== "string" || !STATES.includes(state as WireConversationState)) {
        throw invalidData(`state must be one of ${STATES.join(", ")}`);
      }
      setConversationState(env, target, state as WireConversationState);
      return updated(context.assumptions);
    }),
    sessionRoute("PATCH", "/routing", async (target, context) => {
      const userId = routingUser(await context.readBody(), context.assumptions);
      if (
        userId !== null &&
        !target.record.operators.some((operator) => operator.details.user_id === userId)
      ) {
        throw invalidData("assigned.user_id is not an operator of this website");
      }
      const conversation = target.conversation;
      const previous = conversation.assigned?.user_id ?? null;
      if (userId === null) {
        delete conversation.assigned;
      } else {
        conversation.assigned = { user_id: userId };
      }
      conversation.updated_at = env.clock();
      emitSessionEvent(
        env,
        RtmEvent.SESSION_SET_ROUTING,
        target,
        // Only what the SDKs type: NODE `EventsSessionSetRouting`, GO `routing_id` (§5.5).
        { routing_id: userId, previous_routing_id: previous },
        conversation.updated_at,
      );
      return updated(context.assumptions);
    }),
    sessionRoute("PATCH", "/meta", async (target, context) => {
      const patch = checkMeta(await context.readBody());
      const conversation = target.conversation;
      // Fields are replaced one by one; `data` as a whole, as `session:set_data` carries it.
      conversation.meta = { ...conversation.meta, ...patch } as WireConversationMeta;
      if (Object.keys(patch).length > 0) {
        conversation.updated_at = env.clock();
      }
      for (const field of META_EVENT_FIELDS) {
        if (field in patch) {
          emitSessionEvent(
            env,
            `session:set_${field}`,
            target,
            { [field]: patch[field] },
            conversation.updated_at,
          );
        }
      }
      return updated(context.assumptions);
    }),
  ];
}
