/**
 * A real HTTP endpoint for web hook tests: it keeps each request's raw body and headers, and
 * answers the statuses a test queues (then 200), so retries can be provoked on purpose.
 */

import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";

export interface ReceivedHook {
  method: string;
  /** Path and query as received, e.g. `/crisp/hooks?key=abc`. */
  url: string;
  headers: IncomingHttpHeaders;
  /** The body exactly as sent (UTF-8). */
  body: string;
  /** The status the receiver answered. */
  status: number;
}

export interface HookReceiver {
  /** Base URL, e.g. `http://127.0.0.1:40123` (no trailing slash). */
  url: string;
  received: ReceivedHook[];
  /** Statuses of the next answers, in order; once used up, the receiver answers 200. */
  answer(...statuses: number[]): void;
  /** Resolves once `count` requests have arrived; rejects after `timeoutMs`. */
  waitFor(count: number, timeoutMs?: number): Promise<ReceivedHook[]>;
  close(): Promise<void>;
}

/** Starts a receiver on a free loopback port. */
export async function startHookReceiver(): Promise<HookReceiver> {
  const received: ReceivedHook[] = [];
  const statuses: number[] = [];
  const waiters = new Set<() => void>();
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const status = statuses.shift() ?? 200;
      received.push({
        method: request.method ?? "",
        url: request.url ?? "",
        headers: request.headers,
        body: Buffer.concat(chunks).toString("utf8"),
        status,
      });
      response.writeHead(status, { "content-type": "text/plain" });
      response.end(status < 300 ? "ok" : "nope");
      for (const wake of [...waiters]) {
        wake();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    answer: (...next) => {
      statuses.push(...next);
    },
    waitFor: (count, timeoutMs = 5_000) =>
      new Promise((resolve, reject) => {
        const check = (): void => {
          if (received.length >= count) {
            clearTimeout(timer);
            waiters.delete(check);
            resolve(received);
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(
            new Error(`expected ${count} hooks within ${timeoutMs} ms, got ${received.length}`),
          );
        }, timeoutMs);
        waiters.add(check);
        check();
      }),
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}

/** A URL nothing listens on: a port that was free a moment ago. */
export async function deadUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}/crisp/hooks`;
}
