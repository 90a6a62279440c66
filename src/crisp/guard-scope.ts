/**
 * Which requests a 423 holds back together: its scope. Every read shares one; each write
 * route has its own (src/crisp/upstream-guard.ts keeps a hold per scope).
 */

/** Which request a caller is about to send: its 423 scope is derived from it. */
export interface GuardedRoute {
  method: string;
  path: string;
}

/** The scope every read shares: Crisp's daily quota shows first on reads. */
export const READ_SCOPE = "read";

/** A path segment that names one thing (an id, a session, an email): left out of a scope. */
const ID_SEGMENT =
  /^(session_)?[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$|^\d+$|@/i;

/**
 * The 423 scope of a request: every read shares one; each write route (method and path with
 * its ids left out) has its own, so pacing of conversation creation stops neither reads nor
 * replies.
 */
export function lockScopeOf({ method, path }: GuardedRoute): string {
  if (method === "GET" || method === "HEAD") {
    return READ_SCOPE;
  }
  const template = path
    .split("?", 1)[0]
    ?.split("/")
    .map((segment) => (ID_SEGMENT.test(decodeURIComponent(segment)) ? ":id" : segment))
    .join("/");
  return `write ${method} ${template ?? ""}`;
}

/** What a caller that names no route sends: a read. */
export const READ_ROUTE: GuardedRoute = { method: "GET", path: "" };
