import type { CrispApi } from "./client.js";
import type { CrispConnectedWebsite } from "./types.js";

/**
 * Hard stop for the page walk: 100 pages of websites is far past any real installation and
 * keeps a misbehaving upstream from spending the quota in a loop.
 */
export const MAX_CONNECTED_WEBSITE_PAGES = 100;

/**
 * `GET /plugin/connect/websites/all/{page}`, every page (Crisp's own examples warn that the
 * first page is not all). The page size is undocumented (crisp-api.md §4.2), so the walk ends
 * on the first empty page rather than guessing from a short one.
 */
export async function listConnectedWebsites(
  client: CrispApi,
  signal?: AbortSignal,
): Promise<CrispConnectedWebsite[]> {
  const websites: CrispConnectedWebsite[] = [];
  for (let page = 1; page <= MAX_CONNECTED_WEBSITE_PAGES; page += 1) {
    const { data } = await client.request<CrispConnectedWebsite[]>({
      method: "GET",
      path: `/plugin/connect/websites/all/${page}`,
      query: { filter_configured: false, include_plan: false },
      signal,
    });
    if (!Array.isArray(data) || data.length === 0) {
      break;
    }
    websites.push(...data);
  }
  return websites;
}
