/** Visitor routes (crisp-api.md §4.8): the live visitors, paged, and their count. */

import type { WireVisitorCount } from "../payloads.js";
import { USER_PLUGIN } from "../protocol.js";
import type { Route } from "../router.js";
import { resolved } from "./answers.js";
import { listRoute } from "./builders.js";
import { websiteOf } from "./targets.js";

export const VISITOR_ROUTES: readonly Route[] = [
  listRoute(
    "visitors/list",
    ({ store }, websiteId) => store.visitors(websiteId),
    ({ assumptions }) => assumptions.pageSizes.visitors,
  ),
  {
    method: "GET",
    path: "/website/:website_id/visitors/count",
    tiers: USER_PLUGIN,
    handle: (context) => {
      const visitors = context.store.visitors(websiteOf(context).website_id);
      const count: WireVisitorCount = {
        count: visitors.length,
        active: visitors.filter((visitor) => visitor.active).length,
        limited: false,
      };
      return resolved(count);
    },
  },
];
