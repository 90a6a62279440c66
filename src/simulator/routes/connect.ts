/**
 * `GET /…/connect/endpoints` (crisp-api.md §6 [V D-RTM, NODE `getConnectEndpoints`]): where the
 * RTM API is, `{ socket: { app } }`, by tier: `/plugin/connect/endpoints` for plugin tokens,
 * `/website/{website_id}/connect/endpoints` for a website, `/user/connect/endpoints` for user
 * tokens. The simulator answers its own Socket.IO server (`rtm.ts`).
 */

import type { SimulatorEnvironment } from "../environment.js";
import { ALL_TIERS, PLUGIN_ONLY, USER_ONLY } from "../protocol.js";
import type { Route } from "../router.js";
import { resolved } from "./answers.js";

export function connectRoutes(env: SimulatorEnvironment): Route[] {
  const endpoints = () => resolved({ socket: { app: env.rtmUrl } });
  return [
    { method: "GET", path: "/plugin/connect/endpoints", tiers: PLUGIN_ONLY, handle: endpoints },
    { method: "GET", path: "/user/connect/endpoints", tiers: USER_ONLY, handle: endpoints },
    {
      method: "GET",
      path: "/website/:website_id/connect/endpoints",
      tiers: ALL_TIERS,
      handle: endpoints,
    },
  ];
}
