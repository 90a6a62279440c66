import type { IncomingMessage, ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import { ErrorCode } from "../errors.js";
import { closeAfterAnswer, readBody } from "./body.js";
import { Route } from "./protocol.js";
import type { Readiness } from "./readiness.js";

type Handler = (request: IncomingMessage, response: ServerResponse) => void;

export interface RouterOptions {
  /** Yoga's node handler: GraphQL, GraphiQL, /health and every unknown path. */
  yoga: Handler;
  /** `POST /webhooks/crisp`, which reads (and limits) its own body. */
  webhook: Handler;
  /** Takes over a WebSocket upgrade of /graphql. */
  upgrade: (request: IncomingMessage, socket: Duplex, head: Buffer) => void;
  metrics: { contentType: string; text(): Promise<string> };
  readiness: () => Promise<Readiness>;
  /** Largest request body for Yoga, bytes (413 beyond). */
  maxBodyBytes: number;
}

export interface Router {
  handleRequest: Handler;
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** From now on: /ready answers 503, upgrades are refused, responses close their connection. */
  startDraining(): void;
  /** Resolves once no HTTP request is in flight (SSE streams included). */
  idle(): Promise<void>;
}

/**
 * The node:http side of the gateway: which path goes where, the body limit, /metrics and
 * /ready, and the count of requests in flight that a graceful stop waits for.
 */
export function createRouter({
  yoga,
  webhook,
  upgrade,
  metrics,
  readiness,
  maxBodyBytes,
}: RouterOptions): Router {
  const inFlight = new Set<ServerResponse>();
  let draining = false;
  let onIdle: (() => void) | undefined;

  const track = (response: ServerResponse) => {
    inFlight.add(response);
    if (draining) {
      response.shouldKeepAlive = false;
    }
    response.once("close", () => {
      inFlight.delete(response);
      if (inFlight.size === 0) {
        onIdle?.();
      }
    });
  };

  const toYoga = async (request: IncomingMessage, response: ServerResponse) => {
    if (request.method === "GET" || request.method === "HEAD") {
      yoga(request, response);
      return;
    }
    if (Number(request.headers["content-length"] ?? 0) > maxBodyBytes) {
      refuseTooLarge(request, response, maxBodyBytes);
      return;
    }
    const read = await readBody(request, maxBodyBytes);
    if (read.kind === "too-large") {
      refuseTooLarge(request, response, maxBodyBytes);
      return;
    }
    if (read.kind === "aborted") {
      response.destroy();
      return;
    }
    if (read.bytes.length > 0) {
      // Yoga's node adapter (@whatwg-node/server) takes a body already read from `body`, as
      // it does behind Express' body parsers.
      Object.assign(request, { body: read.bytes });
    }
    yoga(request, response);
  };

  return {
    handleRequest(request, response) {
      track(response);
      const path = (request.url ?? "/").split("?", 1)[0];
      if (path === Route.hooks) {
        webhook(request, response);
        return;
      }
      if (path === Route.metrics && request.method === "GET") {
        metrics.text().then(
          (text) => {
            response.writeHead(200, { "content-type": metrics.contentType });
            response.end(text);
          },
          () => {
            response.writeHead(500).end();
          },
        );
        return;
      }
      if (path === Route.ready && request.method === "GET") {
        const answer = draining
          ? Promise.resolve<Readiness>({
              ready: false,
              problems: [{ component: "gateway", reason: "The gateway is stopping." }],
            })
          : readiness();
        void answer.then((result) => {
          sendJson(response, result.ready ? 200 : 503, result);
        });
        return;
      }
      void toYoga(request, response);
    },
    handleUpgrade(request, socket, head) {
      const path = (request.url ?? "/").split("?", 1)[0];
      if (path !== Route.graphql || draining) {
        const status = draining ? "503 Service Unavailable" : "404 Not Found";
        socket.end(`HTTP/1.1 ${status}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
        return;
      }
      upgrade(request, socket, head);
    },
    startDraining() {
      draining = true;
      for (const response of inFlight) {
        if (!response.headersSent) {
          response.shouldKeepAlive = false;
        }
      }
    },
    idle() {
      if (inFlight.size === 0) {
        return Promise.resolve();
      }
      return new Promise((resolve) => {
        const previous = onIdle;
        onIdle = () => {
          previous?.();
          resolve();
        };
      });
    },
  };
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "cache-control": "no-store",
  });
  response.end(JSON.stringify(body));
}

/**
 * 413 in GraphQL's error shape, then the connection closes; what the client still sends is
 * read and dropped for a while (closeAfterAnswer) so that it reads this answer, not a reset.
 */
function refuseTooLarge(
  request: IncomingMessage,
  response: ServerResponse,
  maxBytes: number,
): void {
  closeAfterAnswer(request, response);
  response.writeHead(413, { "content-type": "application/json; charset=utf-8" });
  response.end(
    JSON.stringify({
      errors: [
        {
          message: `The request body is larger than ${maxBytes} bytes.`,
          extensions: { code: ErrorCode.REQUEST_LIMIT_EXCEEDED },
        },
      ],
    }),
  );
}
