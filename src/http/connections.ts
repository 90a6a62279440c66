import { readFileSync } from "node:fs";
import { createServer, type RequestListener, type Server } from "node:http";

/**
 * The HTTP server's own limits: how long a client may take to send its request, how long an
 * idle keep-alive connection is kept, and how many connections are accepted at once. Node's
 * defaults hold a slow-body connection for 300 s and accept connections until the process runs
 * out of file descriptors, at which point the gateway can no longer open a socket to Crisp.
 */
export interface HttpServerLimits {
  /** Time to receive a request's headers, ms (then 408). @default 10_000 */
  headersTimeoutMs?: number;
  /** Time to receive a whole request, body included, ms (then 408). @default 30_000 */
  requestTimeoutMs?: number;
  /** How long an idle keep-alive connection is kept, ms. @default 5_000 */
  keepAliveTimeoutMs?: number;
  /**
   * Connections (HTTP, SSE and WebSocket) accepted at once; past it a new one is closed as soon
   * as it is accepted. @default the file-descriptor limit less `DESCRIPTOR_RESERVE`, at most 10,000
   */
  maxConnections?: number;
}

/**
 * File descriptors kept for everything that is not a client connection: the Crisp
 * dispatcher's sockets (64 per origin), Redis, logs, the simulator in demo mode, and slack.
 */
export const DESCRIPTOR_RESERVE = 512;

/** The connection cap when none is configured: what the descriptor limit allows, at most 10,000. */
export function defaultMaxConnections(descriptorLimit = openFilesLimit()): number {
  const ceiling = 10_000; // enough for a busy instance; more belong on another instance
  if (descriptorLimit === undefined) {
    return ceiling;
  }
  return Math.max(64, Math.min(ceiling, descriptorLimit - DESCRIPTOR_RESERVE));
}

/** The soft "Max open files" of this process (Linux), or undefined where it cannot be read. */
export function openFilesLimit(): number | undefined {
  try {
    const limits = readFileSync("/proc/self/limits", "utf8");
    const match = /^Max open files\s+(\d+|unlimited)/m.exec(limits);
    if (match === null || match[1] === "unlimited") {
      return undefined;
    }
    return Number(match[1]);
  } catch {
    return undefined;
  }
}

/**
 * A node:http server with these limits. Node checks the header and request timeouts only every
 * `connectionsCheckingInterval` (30 s by default), so the interval follows the shorter timeout.
 */
export function createLimitedServer(
  handler: RequestListener,
  {
    headersTimeoutMs = 10_000, // 10 seconds: headers are a few hundred bytes
    requestTimeoutMs = 30_000, // 30 seconds: a 1 MiB body at 35 KB/s; Node's 300 s held slow clients
    keepAliveTimeoutMs = 5_000, // 5 seconds, Node's own: an idle connection holds a descriptor
    maxConnections = defaultMaxConnections(),
  }: HttpServerLimits = {},
): Server {
  // Node refuses a headers timeout longer than the request's.
  const headersTimeout = Math.min(headersTimeoutMs, requestTimeoutMs);
  const server = createServer(
    {
      headersTimeout,
      requestTimeout: requestTimeoutMs,
      connectionsCheckingInterval: Math.max(
        10,
        Math.min(1_000, Math.floor(Math.min(headersTimeout, requestTimeoutMs) / 4)),
      ),
    },
    handler,
  );
  server.keepAliveTimeout = keepAliveTimeoutMs;
  server.maxConnections = maxConnections;
  return server;
}
