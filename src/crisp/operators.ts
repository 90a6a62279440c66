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
  // An entry without its details has no user id to be known by: nothing can show it.
  return Array.isArray(data)
    ? data.filter(
        (item) =>
          typeof item === "object" &&
          item !== null &&
          typeof item.details === "object" &&
          item.details !== null &&
          typeof item.details.user_id === "string",
      )
    : [];
}
