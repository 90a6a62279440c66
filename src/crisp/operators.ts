import type { CrispApi } from "./client.js";
import { requireId } from "./ids.js";
import type { CrispOperatorListItem } from "./types.js";
import { crispPath } from "./url.js";

/** `GET /website/{website_id}/operators/list` (not paged). */
export async function listOperators(
  client: CrispApi,
  websiteId: string,
  signal?: AbortSignal,
): Promise<CrispOperatorListItem[]> {
  requireId("websiteId", websiteId);
  const { data } = await client.request<CrispOperatorListItem[]>({
    method: "GET",
    path: crispPath`/website/${websiteId}/operators/list`,
    signal,
  });
  return Array.isArray(data) ? data : [];
}
