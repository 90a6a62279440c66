/**
 * The route table: each route is a method, a path pattern (`:name` segments are parameters),
 * the token tiers allowed on it and a handler. Write routes are added by listing more routes.
 */

import type { CrispAssumptions } from "./assumptions.js";
import type { WireWebsite } from "./payloads.js";
import type { Tier } from "./protocol.js";
import type { Query } from "./query.js";
import type { SimulatorStore } from "./store.js";
import type { SimulatorToken } from "./types.js";

export type HttpMethod = "GET" | "HEAD" | "POST" | "PUT" | "PATCH" | "DELETE";

/** What a handler receives. */
export interface RouteContext {
  params: Readonly<Record<string, string>>;
  query: Query;
  token: SimulatorToken;
  store: SimulatorStore;
  /** The assumptions in force for this request. */
  assumptions: CrispAssumptions;
  /** The `:website_id` website, already checked to exist and to be reachable by the token. */
  website: WireWebsite | undefined;
  /** The JSON request body (`undefined` when empty); invalid JSON answers `invalid_data`. */
  readBody(): Promise<unknown>;
}

/** What a handler answers: the envelope's `reason` and `data`, and the HTTP status. */
export interface RouteAnswer {
  status: number;
  reason: string;
  data: unknown;
}

export interface Route {
  method: HttpMethod;
  /** Path after `/v1`, e.g. `/website/:website_id/conversations/:page`. */
  path: string;
  tiers: readonly Tier[];
  handle(context: RouteContext): RouteAnswer | Promise<RouteAnswer>;
}

interface CompiledRoute {
  route: Route;
  segments: string[];
}

export type RouteMatch =
  | { kind: "found"; route: Route; params: Record<string, string> }
  | { kind: "method_not_allowed" }
  | { kind: "not_found" };

export class Router {
  readonly #routes: CompiledRoute[] = [];

  constructor(routes: readonly Route[] = []) {
    for (const route of routes) {
      this.add(route);
    }
  }

  add(route: Route): void {
    this.#routes.push({ route, segments: route.path.split("/").slice(1) });
  }

  /** Matches a path (after `/v1`, still percent-encoded) and a method. */
  match(method: string, path: string): RouteMatch {
    const parts = path.split("/").slice(1);
    let pathKnown = false;
    for (const { route, segments } of this.#routes) {
      const params = matchSegments(segments, parts);
      if (params === undefined) {
        continue;
      }
      pathKnown = true;
      if (route.method === method) {
        return { kind: "found", route, params };
      }
    }
    return pathKnown ? { kind: "method_not_allowed" } : { kind: "not_found" };
  }
}

function matchSegments(
  segments: readonly string[],
  parts: readonly string[],
): Record<string, string> | undefined {
  if (segments.length !== parts.length) {
    return undefined;
  }
  const params: Record<string, string> = {};
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i] ?? "";
    const part = parts[i] ?? "";
    if (segment.startsWith(":")) {
      if (part === "") {
        return undefined;
      }
      let decoded: string;
      try {
        decoded = decodeURIComponent(part);
      } catch {
        return undefined;
      }
      params[segment.slice(1)] = decoded;
    } else if (segment !== part) {
      return undefined;
    }
  }
  return params;
}
