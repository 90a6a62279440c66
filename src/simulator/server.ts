/**
 * The HTTP side of the simulator: one pipeline per request, in Crisp's order of refusal as
 * far as we can tell: log arrival, latency, authentication, rate limit, daily quota, injected
 * error, then routing (route, method, tier, website) and the handler.
 *
 * Latency is the time from a request's arrival to its answer, as a network round trip is: the
 * request is handled after the first half (its travel), and its answer leaves no sooner than
 * `latencyMs` after arrival (the answer's travel). Crisp handles requests on many machines at
 * once; this server has one thread, and handling each request only after the whole latency
 * would queue a burst's handling behind the last timer, making every parallel client look
 * slower than its own work and Crisp's latency add up to.
 */

import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { CrispAssumptions } from "./assumptions.js";
import { CrispHttpError, defaultReason, invalidData } from "./errors.js";
import { isUuid } from "./ids.js";
import { Prng } from "./prng.js";
import { Reason, Status } from "./protocol.js";
import type { RouteAnswer, RouteMatch, Router } from "./router.js";
import { Sleeper } from "./sleeper.js";
import type { SimulatorStore } from "./store.js";
import type {
  SimulatorKnobs,
  SimulatorRequest,
  SimulatorRequestListener,
  SimulatorRequestStage,
  SimulatorToken,
} from "./types.js";

const JSON_CONTENT_TYPE = "application/json; charset=utf-8";
/** Bodies past this size are refused: the simulator only ever needs small JSON bodies. */
const MAX_BODY_BYTES = 1_048_576;

/** The knobs the HTTP pipeline reads (hooks and live activity live beside it). */
export type ServerKnobs = Pick<SimulatorKnobs, "latencyMs" | "errors" | "rateLimit" | "dailyQuota">;

export interface SimulatorServerOptions {
  store: SimulatorStore;
  router: Router;
  tokens: SimulatorToken[];
  knobs: ServerKnobs;
  seed: number;
  /** The assumptions in force (read on every request: `configure` replaces them). */
  assumptions: () => CrispAssumptions;
}

interface QuotaCounter {
  /** UTC day (`YYYY-MM-DD`) the count belongs to: a new day starts from zero. */
  day: string;
  count: number;
}

export class SimulatorServer {
  readonly server: Server;
  readonly requests: SimulatorRequest[] = [];
  readonly #listeners = new Set<SimulatorRequestListener>();
  /** The sequence `arrived` and `answered` are places on. */
  #sequence = 0;
  readonly #store: SimulatorStore;
  readonly #router: Router;
  readonly #tokens: SimulatorToken[];
  #knobs: ServerKnobs;
  readonly #errorRng: Prng;
  /** Arrival times of the requests each token made inside the current window. */
  readonly #windows = new Map<string, number[]>();
  readonly #quotas = new Map<string, QuotaCounter>();
  readonly #sleeper = new Sleeper();
  readonly #assumptions: () => CrispAssumptions;

  constructor(options: SimulatorServerOptions) {
    this.#store = options.store;
    this.#router = options.router;
    this.#tokens = options.tokens;
    this.#knobs = { ...options.knobs };
    this.#assumptions = options.assumptions;
    // Its own stream, so injected failures repeat whatever the data generator drew.
    this.#errorRng = new Prng(options.seed ^ 0x0e77_0e77);
    this.server = createServer((request, response) => {
      void this.#serve(request, response);
    });
  }

  configure(knobs: Partial<ServerKnobs>): void {
    this.#knobs = { ...this.#knobs, ...knobs };
  }

  /** Calls `listener` at each stage of every request; returns the unsubscribe function. */
  onRequest(listener: SimulatorRequestListener): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  #tell(entry: SimulatorRequest, stage: SimulatorRequestStage): void {
    for (const listener of [...this.#listeners]) {
      try {
        listener(entry, stage);
      } catch (error) {
        // An observer must never change what the simulator answers.
        process.emitWarning(`a simulator request listener threw: ${String(error)}`);
      }
    }
  }

  resetQuota(): void {
    this.#quotas.clear();
  }

  async listen(host: string, port: number): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(port, host, () => {
        this.server.off("error", reject);
        resolve();
      });
    });
    const address = this.server.address() as AddressInfo;
    const hostname = address.family === "IPv6" ? `[${address.address}]` : address.address;
    return `http://${hostname}:${address.port}/v1`;
  }

  async close(): Promise<void> {
    this.#sleeper.wakeAll();
    const closed = new Promise<void>((resolve) => {
      this.server.close(() => resolve());
    });
    // Keep-alive sockets would hold close() open until they time out.
    this.server.closeAllConnections();
    await closed;
  }

  async #serve(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const method = request.method ?? "GET";
    const rawUrl = request.url ?? "/";
    const queryStart = rawUrl.indexOf("?");
    const rawPath = queryStart === -1 ? rawUrl : rawUrl.slice(0, queryStart);
    const rawQuery = queryStart === -1 ? "" : rawUrl.slice(queryStart + 1);
    const underV1 = rawPath === "/v1" || rawPath.startsWith("/v1/");
    const path = underV1 ? rawPath.slice(3) || "/" : rawPath;
    const tierHeader = request.headers["x-crisp-tier"];
    const entry: SimulatorRequest = {
      method,
      path,
      query: Object.fromEntries(new URLSearchParams(rawQuery)),
      url: rawQuery === "" ? path : `${path}?${rawQuery}`,
      status: 0,
      reason: null,
      tier: typeof tierHeader === "string" ? tierHeader : null,
      at: Date.now(),
      arrived: ++this.#sequence,
      answered: 0,
    };
    this.requests.push(entry);
    const arrivedAt = performance.now();
    response.once("close", () => {
      if (!response.writableFinished) {
        this.#tell(entry, "abandoned");
      }
    });
    this.#tell(entry, "arrived");
    // Read up front, so the log holds the body of refused requests too; only handlers that
    // call readBody() refuse a body that is not JSON.
    const body = await readJsonBody(request);
    if (body.kind === "json") {
      entry.body = body.value;
    }

    let answer: RouteAnswer;
    try {
      answer = await this.#process(entry, underV1, request, body);
    } catch (error) {
      answer =
        error instanceof CrispHttpError
          ? { status: error.status, reason: error.reason, data: error.data }
          : { status: Status.INTERNAL_SERVER_ERROR, reason: Reason.INTERNAL_ERROR, data: {} };
    }
    const text =
      method === "HEAD"
        ? undefined
        : JSON.stringify({
            error: answer.status >= Status.BAD_REQUEST,
            reason: answer.reason,
            data: answer.data,
          });
    const travel = arrivedAt + this.#knobs.latencyMs - performance.now();
    if (travel > 0) {
      await this.#sleeper.sleep(travel);
    }
    entry.status = answer.status;
    entry.reason = answer.reason;
    entry.answered = ++this.#sequence;
    if (response.destroyed) {
      return;
    }
    response.writeHead(answer.status, {
      "content-type": JSON_CONTENT_TYPE,
      ...(text === undefined ? {} : { "content-length": Buffer.byteLength(text) }),
    });
    response.end(text, () => this.#tell(entry, "answered"));
    // An unread request body would otherwise stall the keep-alive socket.
    if (!request.readableEnded) {
      request.resume();
    }
  }

  async #process(
    entry: SimulatorRequest,
    underV1: boolean,
    request: IncomingMessage,
    body: RequestBody,
  ): Promise<RouteAnswer> {
    const knobs = this.#knobs;
    if (knobs.latencyMs > 0) {
      await this.#sleeper.sleep(knobs.latencyMs / 2);
    }
    const assumptions = this.#assumptions();
    const token = this.#authenticate(request, entry.tier, assumptions);
    this.#limitRate(token, knobs);
    this.#countQuota(token, knobs);
    this.#injectError(entry.path, knobs);

    const match: RouteMatch = underV1
      ? this.#router.match(entry.method, entry.path)
      : { kind: "not_found" };
    if (match.kind === "not_found") {
      throw new CrispHttpError(Status.NOT_FOUND, Reason.NOT_FOUND);
    }
    if (match.kind === "method_not_allowed") {
      throw new CrispHttpError(Status.METHOD_NOT_ALLOWED, Reason.METHOD_NOT_ALLOWED);
    }
    // N42: a token of the wrong tier gets 401; N56 names the reason.
    if (!match.route.tiers.includes(token.tier)) {
      throw new CrispHttpError(Status.UNAUTHORIZED, Reason.RESTRICTED_ROUTE_TIER);
    }
    const websiteId = match.params.website_id;
    let website: ReturnType<SimulatorStore["website"]>;
    if (websiteId !== undefined) {
      website = isUuid(websiteId) ? this.#store.website(websiteId) : undefined;
      if (website === undefined) {
        throw new CrispHttpError(Status.NOT_FOUND, Reason.WEBSITE_NOT_FOUND);
      }
      // N31: a website that exists but is not bound to the token.
      if (!token.websiteIds.includes(website.website_id)) {
        throw new CrispHttpError(Status.NOT_FOUND, Reason.NOT_SUBSCRIBED);
      }
    }
    try {
      return await match.route.handle({
        params: match.params,
        query: entry.query,
        token,
        store: this.#store,
        assumptions,
        website,
        readBody: async () => {
          if (body.kind === "invalid") {
            throw invalidData("the request body is not JSON");
          }
          return body.kind === "json" ? body.value : undefined;
        },
      });
    } catch (error) {
      // The status of `invalid_data` is an assumption (crisp-api.md §2.2 [I]).
      if (error instanceof CrispHttpError && error.reason === Reason.INVALID_DATA) {
        const message = error.data.message;
        throw new CrispHttpError(
          assumptions.invalidDataStatus,
          error.reason,
          typeof message === "string" ? message : undefined,
        );
      }
      throw error;
    }
  }

  #authenticate(
    request: IncomingMessage,
    tier: string | null,
    assumptions: CrispAssumptions,
  ): SimulatorToken {
    const header = request.headers.authorization ?? "";
    const match = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(header.trim());
    const decoded = match?.[1] === undefined ? "" : Buffer.from(match[1], "base64").toString();
    const colon = decoded.indexOf(":");
    const identifier = colon === -1 ? "" : decoded.slice(0, colon);
    const key = colon === -1 ? "" : decoded.slice(colon + 1);
    const token = this.#tokens.find(
      (item) => item.identifier === identifier && item.key === key && item.tier === tier,
    );
    if (token === undefined) {
      // The wire reason of a bad credential is not documented (crisp-api.md §2.2 [I]).
      throw new CrispHttpError(Status.UNAUTHORIZED, assumptions.unauthorizedReason);
    }
    return token;
  }

  /** A sliding window per token: refused requests do not extend it. */
  #limitRate(token: SimulatorToken, knobs: ServerKnobs): void {
    const limit = knobs.rateLimit;
    if (limit === null) {
      return;
    }
    const now = Date.now();
    const recent = (this.#windows.get(token.identifier) ?? []).filter(
      (at) => now - at < limit.windowMs,
    );
    if (recent.length >= limit.requests) {
      this.#windows.set(token.identifier, recent);
      const status = limit.status ?? Status.TOO_MANY_REQUESTS;
      throw new CrispHttpError(status, limit.reason ?? defaultReason(status));
    }
    recent.push(now);
    this.#windows.set(token.identifier, recent);
  }

  /** Counts every authenticated request the rate limiter let through, per UTC day. */
  #countQuota(token: SimulatorToken, knobs: ServerKnobs): void {
    if (knobs.dailyQuota === null) {
      return;
    }
    const day = new Date().toISOString().slice(0, 10);
    const counter = this.#quotas.get(token.identifier);
    const current = counter?.day === day ? counter : { day, count: 0 };
    current.count++;
    this.#quotas.set(token.identifier, current);
    if (current.count > knobs.dailyQuota) {
      throw new CrispHttpError(Status.LOCKED, Reason.QUOTA_LIMIT_EXCEEDED);
    }
  }

  #injectError(path: string, knobs: ServerKnobs): void {
    const errors = knobs.errors;
    if (errors === null) {
      return;
    }
    if (errors.match !== undefined) {
      // A global RegExp keeps its position between calls; start every test from the start.
      errors.match.lastIndex = 0;
      if (!errors.match.test(path)) {
        return;
      }
    }
    if (this.#errorRng.next() < errors.rate) {
      throw new CrispHttpError(errors.status, errors.reason ?? defaultReason(errors.status));
    }
  }
}

type RequestBody =
  | { kind: "empty" }
  | { kind: "json"; value: unknown }
  /** Not JSON, or past MAX_BODY_BYTES. */
  | { kind: "invalid" };

/** Reads the whole request body (draining, not keeping, what is past the size limit). */
async function readJsonBody(request: IncomingMessage): Promise<RequestBody> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of request) {
      const buffer = chunk as Buffer;
      size += buffer.length;
      if (size <= MAX_BODY_BYTES) {
        chunks.push(buffer);
      }
    }
  } catch {
    // An aborted upload: the answer will not reach anyone anyway.
    return { kind: "invalid" };
  }
  if (size > MAX_BODY_BYTES) {
    return { kind: "invalid" };
  }
  const text = Buffer.concat(chunks).toString("utf8");
  if (text.trim() === "") {
    return { kind: "empty" };
  }
  try {
    return { kind: "json", value: JSON.parse(text) as unknown };
  } catch {
    return { kind: "invalid" };
  }
}
