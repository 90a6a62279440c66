import type { Plugin } from "graphql-yoga";
import type { Authenticator, Viewer } from "../auth.js";

/**
 * Authenticates every HTTP request as soon as Yoga starts reading it, before its body is parsed
 * as JSON or its document as GraphQL: a client without valid credentials gets 401 having cost
 * the gateway a header lookup, and nothing of what it sent is parsed or cached. The viewer is
 * kept on the server context, where the context factory (and every later plugin) finds it.
 * graphql-ws authenticates once per socket, in `onConnect`, before any message is read.
 */
export function useAuthentication({
  authenticate,
}: {
  /** Null: every request is the open viewer (the context factory sets it). */
  authenticate: Authenticator | null;
}): Plugin<Record<string, unknown>, { viewer?: Viewer }> {
  return {
    async onRequestParse({ request, serverContext }) {
      if (authenticate === null || serverContext.viewer !== undefined) {
        return;
      }
      serverContext.viewer = await authenticate(request.headers.get("authorization"));
    },
  };
}
