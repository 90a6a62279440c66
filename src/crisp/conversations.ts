import { type CrispClient, crispPath, type Query } from "./client.js";
import { requireId } from "./ids.js";
import { nullIfNotFound } from "./not-found.js";
import type { CrispConversation } from "./types.js";

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
  client: CrispClient,
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
  return Array.isArray(data) ? data : [];
}

/** `GET /website/{website_id}/conversation/{session_id}`; null when missing. */
export async function getConversation(
  client: CrispClient,
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
      .then((response) => response.data),
  );
}
