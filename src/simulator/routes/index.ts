/**
 * Every route the simulator answers (crisp-api.md §4), one file per resource. Each file holds
 * its reads and its writes; writes change the store, so reads see the effect, and emit the RTM
 * / web hook event Crisp would send (§5.5).
 */

import type { SimulatorEnvironment } from "../environment.js";
import type { Route } from "../router.js";
import { connectRoutes } from "./connect.js";
import { conversationRoutes } from "./conversations.js";
import { messageRoutes } from "./messages.js";
import { peopleRoutes } from "./people.js";
import { pluginRoutes } from "./plugin.js";
import { VISITOR_ROUTES } from "./visitors.js";
import { websiteRoutes } from "./website.js";

export function createRoutes(env: SimulatorEnvironment): Route[] {
  return [
    ...websiteRoutes(env),
    ...conversationRoutes(env),
    ...messageRoutes(env),
    ...peopleRoutes(env),
    ...pluginRoutes(env),
    ...connectRoutes(env),
    ...VISITOR_ROUTES,
  ];
}
