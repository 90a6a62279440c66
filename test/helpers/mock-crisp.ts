/**
 * A mocked Crisp for black-box tests of `src/crisp`: an undici MockAgent with net connect
 * disabled (an unexpected request fails instead of leaving the machine), a CrispClient built
 * exactly as production builds it, and a record of every exchange the client reports. What
 * reached Crisp is undici's own call history (`enableCallHistory`), not a list kept by hand.
 */

import { readFileSync } from "node:fs";
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { type Interceptable, MockAgent, type MockCallHistoryLog } from "undici";
import {
  CrispClient,
  type CrispClientOptions,
  type CrispExchange,
} from "../../src/crisp/client.js";

export const CRISP_ORIGIN = "https://api.crisp.chat";
export const CRISP_BASE_URL = `${CRISP_ORIGIN}/v1`;

/** Distinctive credentials, so a test can prove they never leak into an error. */
export const IDENTIFIER = "7a1cbe6d-ident-canary";
export const KEY = "f00dfeed5ecret-key-canary";

/** Ids taken from the fixtures (conversation-list.json), so replies and requests agree. */
export const WEBSITE_ID = "8c842203-7ed8-4e29-a608-7cf78a7d2fcc";
export const SESSION_ID = "session_aaea8e1d-d6e3-4238-9252-d8c2e5579f5c";
export const PEOPLE_ID = "0cb89450-34fb-4d51-8905-040c1d14a594";
export const OPERATOR_ID = "a4c32c68-be91-4e29-8a05-976e93abbe3f";

const FIXTURES = new URL("../fixtures/crisp/", import.meta.url);

/** A real Crisp payload from `test/fixtures/crisp` (Crisp's own published payloads, see SOURCES.md there), as the exact text Crisp sent. */
export function fixtureText(name: string): string {
  return readFileSync(new URL(name, FIXTURES), "utf8");
}

/** The same payload, parsed. */
export function fixture(name: string): unknown {
  return JSON.parse(fixtureText(name));
}

/** The `data` of a fixture envelope. */
export function fixtureData(name: string): unknown {
  const parsed = fixture(name);
  if (typeof parsed !== "object" || parsed === null || !("data" in parsed)) {
    throw new Error(`fixture ${name} is not a Crisp envelope`);
  }
  return parsed.data;
}

/** Crisp's `{ error, reason, data }` envelope, as text. */
export function envelope(reason: string, data: unknown, error = false): string {
  return JSON.stringify({ error, reason, data });
}

/** What the mocked Crisp received for one request. */
export interface SeenRequest {
  method: string;
  /** Path and query string exactly as sent, e.g. `/v1/website/…?per_page=20`. */
  path: string;
  headers: Record<string, string>;
  body: string | undefined;
}

export interface CrispReplySpec {
  method?: string;
  /** The path without its query string, `/v1` included; any query string is accepted. */
  pathname: string;
  status?: number;
  /** Reply body; a string is sent as is, anything else as JSON. @default "" */
  body?: unknown;
  headers?: Record<string, string>;
  /** Runs when the request reaches the mock, before the reply is sent. */
  onRequest?: (seen: SeenRequest) => void;
}

export interface MockCrisp {
  agent: MockAgent;
  pool: Interceptable;
  client: CrispClient;
  exchanges: CrispExchange[];
  /** Every request the client sent through the agent, in order (undici's call history). */
  readonly seen: SeenRequest[];
  /** `seen`, then forgets it: the requests since the last `take()`. */
  take(): SeenRequest[];
  /** Another client on the same mock, e.g. with another tier or timeout. */
  clientWith(options: Partial<CrispClientOptions>): CrispClient;
  /** Answers one request to `pathname` (any query). */
  reply(spec: CrispReplySpec): void;
}

/** A MockAgent that refuses any request without an interceptor, and a client on it. */
export function mockCrisp(): MockCrisp {
  const agent = new MockAgent().enableCallHistory();
  agent.disableNetConnect();
  const pool = agent.get(CRISP_ORIGIN);
  const exchanges: CrispExchange[] = [];
  const seen = () => (agent.getCallHistory()?.calls() ?? []).map(seenRequest);
  const clientWith = (options: Partial<CrispClientOptions>): CrispClient =>
    new CrispClient({
      baseUrl: CRISP_BASE_URL,
      identifier: IDENTIFIER,
      key: KEY,
      dispatcher: agent,
      onExchange: (exchange) => exchanges.push(exchange),
      ...options,
    });
  return {
    agent,
    pool,
    client: clientWith({}),
    exchanges,
    get seen() {
      return seen();
    },
    take() {
      const taken = seen();
      agent.clearCallHistory();
      return taken;
    },
    clientWith,
    reply({ method = "GET", pathname, status = 200, body = "", headers = {}, onRequest }) {
      pool.intercept({ method, path: (path) => path.split("?")[0] === pathname }).reply(
        status,
        (opts) => {
          const request: SeenRequest = {
            method: opts.method,
            path: opts.path,
            headers: lowerCaseHeaders(opts.headers),
            body: typeof opts.body === "string" ? opts.body : undefined,
          };
          onRequest?.(request);
          return typeof body === "string" ? body : JSON.stringify(body);
        },
        { headers },
      );
    },
  };
}

/** A call undici logged, as the tests read it: the path with its query exactly as sent. */
function seenRequest(call: MockCallHistoryLog): SeenRequest {
  const url = new URL(call.fullUrl);
  return {
    method: call.method,
    path: `${url.pathname}${url.search}`,
    headers: lowerCaseHeaders(call.headers),
    body: typeof call.body === "string" ? call.body : undefined,
  };
}

function lowerCaseHeaders(headers: unknown): Record<string, string> {
  const result: Record<string, string> = {};
  if (typeof headers !== "object" || headers === null) {
    return result;
  }
  const entries =
    headers instanceof Headers ? [...headers.entries()] : Object.entries(headers as object);
  for (const [name, value] of entries) {
    result[name.toLowerCase()] = String(value);
  }
  return result;
}

/** Splits a seen path into its pathname and its sorted query pairs (duplicates kept). */
export function splitPath(path: string): { pathname: string; query: [string, string][] } {
  const url = new URL(path, CRISP_ORIGIN);
  return { pathname: url.pathname, query: [...url.searchParams.entries()].sort() };
}

/**
 * A real HTTP server on a loopback port that accepts requests and never answers, for the
 * one behaviour a MockAgent cannot show: the production dispatcher's headers timeout.
 */
export interface SilentServer {
  baseUrl: string;
  requests: { method: string | undefined; url: string | undefined; headers: IncomingHttpHeaders }[];
  /** Resolves once `count` requests have arrived (at once if they have). */
  received(count: number): Promise<void>;
  close(): Promise<void>;
}

export async function startSilentServer(): Promise<SilentServer> {
  const requests: SilentServer["requests"] = [];
  const waiting = new Set<() => void>();
  const server = createServer((request) => {
    requests.push({ method: request.method, url: request.url, headers: request.headers });
    for (const wake of [...waiting]) {
      wake();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    requests,
    received: (count) =>
      new Promise<void>((resolve) => {
        const check = () => {
          if (requests.length >= count) {
            waiting.delete(check);
            resolve();
          }
        };
        waiting.add(check);
        check();
      }),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
