import type { CrispApi } from "./client.js";
import { requireId } from "./ids.js";
import type { CrispVisitor, CrispVisitorCount } from "./types.js";
import { crispPath } from "./url.js";

/**
 * `GET /website/{website_id}/visitors/list/{page}`: no `per_page`, and Crisp does not say how
 * many a page holds (crisp-api.md §4.8), so callers walk the pages (src/loaders/paging.ts).
 */
export async function listVisitors(
  client: CrispApi,
  websiteId: string,
  page: number,
  signal?: AbortSignal,
): Promise<CrispVisitor[]> {
  requireId("websiteId", websiteId);
  const { data } = await client.request<CrispVisitor[]>({
    method: "GET",
    path: crispPath`/website/${websiteId}/visitors/list/${page}`,
    signal,
  });
  return Array.isArray(data) ? data : [];
}

/** `GET /website/{website_id}/visitors/count`. */
export async function countVisitors(
  client: CrispApi,
  websiteId: string,
  signal?: AbortSignal,
): Promise<CrispVisitorCount> {
  requireId("websiteId", websiteId);
  const { data } = await client.request<CrispVisitorCount>({
    method: "GET",
    path: crispPath`/website/${websiteId}/visitors/count`,
    signal,
  });
  return data;
}
