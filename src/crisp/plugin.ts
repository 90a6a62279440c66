import { ErrorCode, GatewayError } from "../errors.js";
import type { CrispApi } from "./client.js";
import { isPluginId, requireId } from "./ids.js";
import type { CrispConnectedWebsite, CrispPluginSubscriptionSettings } from "./types.js";
import { crispPath } from "./url.js";

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

/** `GET /plugin/connect/account`: the plugin's own id (crisp-api.md §4.2, §4.9). */
export async function getPluginId(client: CrispApi, signal?: AbortSignal): Promise<string> {
  const { data } = await client.request<{ plugin_id?: unknown }>({
    method: "GET",
    path: "/plugin/connect/account",
    signal,
  });
  const pluginId = typeof data.plugin_id === "string" ? data.plugin_id : undefined;
  if (pluginId === undefined || !isPluginId(pluginId)) {
    throw new GatewayError(
      ErrorCode.UPSTREAM_UNAVAILABLE,
      "Crisp did not answer the plugin's id (GET /plugin/connect/account).",
    );
  }
  return pluginId;
}

/**
 * `GET /plugins/subscription/{website_id}/{plugin_id}/settings` (plural `plugins`, website
 * first: crisp-api.md §4.9): the plugin's settings of that website, `{}` when it has none.
 */
export async function getPluginSettings(
  client: CrispApi,
  websiteId: string,
  pluginId: string,
  signal?: AbortSignal,
): Promise<Record<string, unknown>> {
  requireId("websiteId", websiteId);
  requirePluginId(pluginId);
  const { data } = await client.request<CrispPluginSubscriptionSettings>({
    method: "GET",
    path: crispPath`/plugins/subscription/${websiteId}/${pluginId}/settings`,
    signal,
  });
  return typeof data.settings === "object" &&
    data.settings !== null &&
    !Array.isArray(data.settings)
    ? data.settings
    : {};
}

/** `PATCH` (merge) or `PUT` (replace) of the plugin's settings of a website (§4.9). */
export async function savePluginSettings(
  client: CrispApi,
  websiteId: string,
  pluginId: string,
  settings: Record<string, unknown>,
  replace: boolean,
  signal?: AbortSignal,
): Promise<void> {
  requireId("websiteId", websiteId);
  requirePluginId(pluginId);
  await client.request({
    method: replace ? "PUT" : "PATCH",
    path: crispPath`/plugins/subscription/${websiteId}/${pluginId}/settings`,
    body: settings,
    signal,
  });
}

function requirePluginId(pluginId: string): void {
  if (!isPluginId(pluginId)) {
    throw new GatewayError(ErrorCode.UPSTREAM_UNAVAILABLE, "Crisp answered a malformed plugin id.");
  }
}
