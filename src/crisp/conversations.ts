import { requireAnsweredId } from "./answers.js";
import type { CrispApi, Query } from "./client.js";
import { requireId } from "./ids.js";
import { nullIfNotFound } from "./not-found.js";
import type { CrispConversation, CrispConversationMeta } from "./types.js";
import { crispPath } from "./url.js";

/** Every parameter of `GET /website/{id}/conversations/{page}` (crisp-api.md §4.4). */
export interface ConversationListParams {
  page: number;
  /** Crisp accepts 20 to 50. */
  perPage: number;
  searchQuery?: string;
  searchType?: "text" | "segment" | "filter";
  searchOperator?: "and" | "or";
  includeEmpty?: boolean;
  filterInboxId?: string;
  filterUnread?: boolean;
  filterResolved?: boolean;
  filterNotResolved?: boolean;
  filterMention?: boolean;
  /** An operator user id: Crisp's `filter_assigned` is an id, not a flag. */
  filterAssigned?: string;
  filterUnassigned?: boolean;
  /** ISO 8601. */
  filterDateStart?: string;
  filterDateEnd?: string;
  order?: "created" | "updated" | "waiting";
}

export function conversationListQuery(params: ConversationListParams): Query {
  return {
    per_page: params.perPage,
    search_query: params.searchQuery,
    search_type: params.searchType,
    search_operator: params.searchOperator,
    include_empty: params.includeEmpty,
    filter_inbox_id: params.filterInboxId,
    filter_unread: params.filterUnread,
    filter_resolved: params.filterResolved,
    filter_not_resolved: params.filterNotResolved,
    filter_mention: params.filterMention,
    filter_assigned: params.filterAssigned,
    filter_unassigned: params.filterUnassigned,
    filter_date_start: params.filterDateStart,
    filter_date_end: params.filterDateEnd,
    order_date_created: params.order === "created" ? true : undefined,
    order_date_updated: params.order === "updated" ? true : undefined,
    order_date_waiting: params.order === "waiting" ? true : undefined,
  };
}

/** `GET /website/{website_id}/conversations/{page}`. */
export async function listConversations(
  client: CrispApi,
  websiteId: string,
  params: ConversationListParams,
  signal?: AbortSignal,
): Promise<CrispConversation[]> {
  requireId("websiteId", websiteId);
  if (params.filterAssigned !== undefined) {
    requireId("userId", params.filterAssigned, "assignedTo");
  }
  const { data } = await client.request<CrispConversation[]>({
    method: "GET",
    path: crispPath`/website/${websiteId}/conversations/${params.page}`,
    query: conversationListQuery(params),
    signal,
  });
  if (!Array.isArray(data)) {
    return [];
  }
  // The website is the one asked for (the gateway builds ids and reads from it), as for
  // messages (messages.ts), on the objects just parsed.
  for (const conversation of data) {
    if (typeof conversation === "object" && conversation !== null) {
      conversation.website_id = websiteId;
    }
  }
  return data;
}

/** `GET /website/{website_id}/conversation/{session_id}`; null when missing. */
export async function getConversation(
  client: CrispApi,
  websiteId: string,
  sessionId: string,
  signal?: AbortSignal,
): Promise<CrispConversation | null> {
  requireId("websiteId", websiteId);
  requireId("sessionId", sessionId);
  return nullIfNotFound(
    client
      .request<CrispConversation>({
        method: "GET",
        path: crispPath`/website/${websiteId}/conversation/${sessionId}`,
        signal,
      })
      .then((response) => ({ ...response.data, website_id: websiteId })),
  );
}

/** `POST /website/{website_id}/conversation`: a new, empty conversation. */
export async function createConversation(
  client: CrispApi,
  websiteId: string,
  signal?: AbortSignal,
): Promise<string> {
  requireId("websiteId", websiteId);
  const { data } = await client.request<{ session_id?: string }>({
    method: "POST",
    path: crispPath`/website/${websiteId}/conversation`,
    signal,
  });
  return requireAnsweredId(data.session_id, "session_id");
}

/** `DELETE /website/{website_id}/conversation/{session_id}`. */
export async function removeConversation(
  client: CrispApi,
  websiteId: string,
  sessionId: string,
  signal?: AbortSignal,
): Promise<void> {
  requireId("websiteId", websiteId);
  requireId("sessionId", sessionId);
  await client.request({
    method: "DELETE",
    path: crispPath`/website/${websiteId}/conversation/${sessionId}`,
    signal,
  });
}

/** `PATCH …/conversation/{session_id}/state` with `{ state }`. */
export async function setConversationState(
  client: CrispApi,
  websiteId: string,
  sessionId: string,
  state: CrispConversation["state"],
  signal?: AbortSignal,
): Promise<void> {
  await patchConversation(client, websiteId, sessionId, "state", { state }, signal);
}

/** `PATCH …/conversation/{session_id}/routing`: `{assigned: {user_id}}`, or `{assigned: null}` to unassign. */
export async function assignConversation(
  client: CrispApi,
  websiteId: string,
  sessionId: string,
  userId: string | null,
  signal?: AbortSignal,
): Promise<void> {
  // The ids first, as every other write checks them.
  requireId("websiteId", websiteId);
  requireId("sessionId", sessionId);
  if (userId !== null) {
    requireId("userId", userId, "operatorId");
  }
  await patchConversation(
    client,
    websiteId,
    sessionId,
    "routing",
    { assigned: userId === null ? null : { user_id: userId } },
    signal,
  );
}

/** `PATCH …/conversation/{session_id}/meta`: only the given metas change. */
export async function updateConversationMeta(
  client: CrispApi,
  websiteId: string,
  sessionId: string,
  meta: Partial<
    Pick<
      CrispConversationMeta,
      "nickname" | "email" | "phone" | "address" | "subject" | "segments" | "data"
    >
  >,
  signal?: AbortSignal,
): Promise<void> {
  await patchConversation(client, websiteId, sessionId, "meta", meta, signal);
}

/** `PATCH …/conversation/{session_id}/{part}`: Crisp changes only what `body` gives. */
async function patchConversation(
  client: CrispApi,
  websiteId: string,
  sessionId: string,
  part: "state" | "routing" | "meta",
  body: unknown,
  signal: AbortSignal | undefined,
): Promise<void> {
  requireId("websiteId", websiteId);
  requireId("sessionId", sessionId);
  await client.request({
    method: "PATCH",
    path: crispPath`/website/${websiteId}/conversation/${sessionId}/${part}`,
    body,
    signal,
  });
}
