import { CloseCode } from "graphql-ws";
import { WEBHOOK_PATH } from "../events/hook-route.js";

/** Every path the gateway answers on. */
export const Route = {
  /** GraphQL over HTTP, SSE, graphql-ws (same path) and GraphiQL (GET with Accept: text/html). */
  graphql: "/graphql",
  /** Crisp's web hooks (plugin and website hooks). */
  hooks: WEBHOOK_PATH,
  /** Prometheus metrics. */
  metrics: "/metrics",
  /** Liveness: the process answers. Yoga's own health check. */
  health: "/health",
  /** Readiness: 200 when Crisp and Redis are usable, 503 with the reasons otherwise. */
  ready: "/ready",
} as const;

/**
 * WebSocket close codes the gateway sends: RFC 6455's, and graphql-ws' own (4400 to 4499) for
 * the protocol's refusals.
 */
export const WsCloseCode = {
  /** RFC 6455 §7.4.1: the server is going away (shutting down). */
  GoingAway: 1001,
  /** Refused credentials, or a browser page of an origin that is not allowed. */
  Forbidden: CloseCode.Forbidden,
  /** A message that breaks the protocol (graphql-ws's own code for it). */
  BadRequest: CloseCode.BadRequest,
  /** No connection_init within `connectionInitWaitTimeoutMs`. */
  ConnectionInitialisationTimeout: CloseCode.ConnectionInitialisationTimeout,
} as const;

/** RFC 6455 §5.5: a close frame's reason fits in 123 bytes of UTF-8. */
export const MAX_CLOSE_REASON_BYTES = 123;
