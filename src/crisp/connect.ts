import { ErrorCode, GatewayError } from "../errors.js";
import type { CrispApi } from "./client.js";
import { requireId } from "./ids.js";
import type { CrispTier } from "./types.js";
import { crispPath } from "./url.js";

/**
 * Crisp's RTM API (crisp-api.md §6): where it is (`GET /…/connect/endpoints`, by tier), and
 * the protocol constants of its Socket.IO connection, as the official Node SDK speaks it
 * (node-crisp-api lib/crisp.ts `__connectSocket`, `__emitAuthenticateSocket`, `rebindSocket`).
 * The socket itself is an event source: src/events/rtm-source.ts.
 */

/** `GET /…/connect/endpoints`, as Crisp answers it (NODE `PluginConnectEndpoints`). */
export interface CrispConnectEndpoints {
  socket?: { app?: string; stream?: string };
  rescue?: { socket?: { app?: string } };
}

/** The messages of the RTM socket itself (crisp-api.md §6 [L]). */
export const RtmMessage = {
  /** Client to Crisp: `{ username: identifier, password: key, tier, events }`. */
  AUTHENTICATION: "authentication",
  AUTHENTICATED: "authenticated",
  /** The credentials (or the payload) were refused: retrying the same ones cannot help. */
  UNAUTHORIZED: "unauthorized",
  /** Client to Crisp, `{}`: send the events of websites bound since (NODE `rebindSocket`). */
  BIND: "socket:bind",
} as const;

/**
 * The least time between two `socket:bind`s: the SDK refuses to rebind more often, calling it
 * "illegal" (NODE `DEFAULT_EVENT_REBIND_INTERVAL_MIN`).
 */
export const RTM_REBIND_MIN_INTERVAL_MS = 2_500;

/**
 * The events the gateway asks the socket for: every conversation, message, people and plugin
 * event of the SDK's list (NODE `DEFAULT_RTM_EVENTS`), what the cache upkeep and the
 * subscriptions use (docs/events.md) and what `crispEvents` relays raw.
 */
export const RTM_EVENTS: readonly string[] = [
  "session:update_availability",
  "session:update_verify",
  "session:request:initiated",
  "session:set_email",
  "session:set_phone",
  "session:set_address",
  "session:set_subject",
  "session:set_avatar",
  "session:set_nickname",
  "session:set_origin",
  "session:set_data",
  "session:sync:pages",
  "session:sync:events",
  "session:sync:capabilities",
  "session:sync:geolocation",
  "session:sync:system",
  "session:sync:network",
  "session:sync:timezone",
  "session:sync:locales",
  "session:sync:rating",
  "session:sync:topic",
  "session:set_state",
  "session:set_block",
  "session:set_segments",
  "session:set_opened",
  "session:set_closed",
  "session:set_participants",
  "session:set_mentions",
  "session:set_routing",
  "session:set_inbox",
  "session:removed",
  "session:error",
  "message:updated",
  "message:send",
  "message:received",
  "message:removed",
  "message:acknowledge:read:send",
  "message:acknowledge:read:received",
  "message:acknowledge:unread:send",
  "message:acknowledge:delivered",
  "message:acknowledge:ignored",
  "message:notify:unread:send",
  "message:notify:unread:received",
  "people:profile:created",
  "people:profile:updated",
  "people:profile:removed",
  "people:bind:session",
  "people:sync:profile",
  "people:import:progress",
  "people:import:done",
  "plugin:subscription:updated",
  "plugin:settings:saved",
];

/** The route that names the RTM endpoint for a tier (NODE `__connectSocket`). */
export function connectEndpointsPath(tier: CrispTier, websiteId: string | undefined): string {
  switch (tier) {
    case "plugin":
      return "/plugin/connect/endpoints";
    case "user":
      return "/user/connect/endpoints";
    case "website": {
      if (websiteId === undefined) {
        throw new GatewayError(
          ErrorCode.BAD_USER_INPUT,
          "A website token's RTM endpoint is per website: set CRISP_WEBSITE_ID.",
        );
      }
      requireId("websiteId", websiteId);
      return crispPath`/website/${websiteId}/connect/endpoints`;
    }
  }
}

/**
 * The RTM socket's URL (`socket.app`) for the token's tier. Throws UPSTREAM_UNAVAILABLE when
 * Crisp answers none or not an http(s)/ws(s) URL, and Crisp's own error (UNAUTHENTICATED for
 * bad credentials) when the request fails.
 */
export async function getRtmEndpoint(
  client: CrispApi,
  tier: CrispTier,
  websiteId: string | undefined,
  signal?: AbortSignal,
): Promise<URL> {
  const { data } = await client.request<CrispConnectEndpoints>({
    method: "GET",
    path: connectEndpointsPath(tier, websiteId),
    signal,
  });
  const app = typeof data?.socket?.app === "string" ? data.socket.app : undefined;
  let url: URL | undefined;
  try {
    url = app === undefined ? undefined : new URL(app);
  } catch {
    url = undefined;
  }
  if (url === undefined || !/^(https?|wss?):$/.test(url.protocol)) {
    throw new GatewayError(
      ErrorCode.UPSTREAM_UNAVAILABLE,
      "Crisp did not answer an RTM endpoint (GET /…/connect/endpoints socket.app).",
    );
  }
  return url;
}
