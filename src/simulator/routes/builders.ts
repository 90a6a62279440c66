/**
 * Route shapes several routes share (crisp-api.md §4): a paged list of a website, a route on
 * one conversation, one message or one profile. Each route then states only what is its own,
 * and the lookups (and their 404s) come first, in one order everywhere.
 */

import type { SessionTarget } from "../mutations.js";
import { USER_PLUGIN } from "../protocol.js";
import { parsePage } from "../query.js";
import type { HttpMethod, Route, RouteAnswer, RouteContext } from "../router.js";
import { listed } from "./answers.js";
import { messageIndex, profileTarget, sessionTarget, websiteOf } from "./targets.js";

type Answered = RouteAnswer | Promise<RouteAnswer>;

/**
 * `GET /website/:website_id/<path>/:page`: `items` of the website, cut into pages of
 * `pageSize` (read after the page number, so a bad page answers first).
 */
export function listRoute(
  path: string,
  items: (context: RouteContext, websiteId: string) => readonly unknown[],
  pageSize: (context: RouteContext) => number,
): Route {
  return {
    method: "GET",
    path: `/website/:website_id/${path}/:page`,
    tiers: USER_PLUGIN,
    handle: (context) => {
      const websiteId = websiteOf(context).website_id;
      const page = parsePage(context.params.page ?? "");
      const size = pageSize(context);
      return listed(context.assumptions, items(context, websiteId), page, size);
    },
  };
}

/** A route on `/website/:website_id/conversation/:session_id<suffix>`, or its 404. */
export function sessionRoute(
  method: HttpMethod,
  suffix: string,
  handle: (target: SessionTarget, context: RouteContext) => Answered,
): Route {
  return {
    method,
    path: `/website/:website_id/conversation/:session_id${suffix}`,
    tiers: USER_PLUGIN,
    handle: (context) => handle(sessionTarget(context), context),
  };
}

/** A route on one message (`…/message/:fingerprint`), or the 404 of its conversation or itself. */
export function messageRoute(
  method: HttpMethod,
  handle: (target: SessionTarget, index: number, context: RouteContext) => Answered,
): Route {
  return sessionRoute(method, "/message/:fingerprint", (target, context) =>
    handle(target, messageIndex(context, target), context),
  );
}

/** A route on `/website/:website_id/people/profile/:people_id`, or its 404. */
export function profileRoute(
  method: HttpMethod,
  handle: (found: ReturnType<typeof profileTarget>, context: RouteContext) => Answered,
): Route {
  return {
    method,
    path: "/website/:website_id/people/profile/:people_id",
    tiers: USER_PLUGIN,
    handle: (context) => handle(profileTarget(context), context),
  };
}
