import { Buffer } from "node:buffer";
import { Agent, type Dispatcher } from "undici";
import { abortCallbacksOf } from "../abort-callbacks.js";
import type { OperationBudget } from "../budget.js";
import { ErrorCode, GatewayError } from "../errors.js";
import { crispFailure, parseRetryAfter, transportFailure } from "./errors.js";
import { MAX_READ_RETRIES, pause, retryDelayMs } from "./retry.js";
import { CRISP_LOCKED_STATUS, isThrottleStatus } from "./statuses.js";
import type { CrispEnvelope, CrispTier } from "./types.js";
import { ABANDONED, type Admission, UpstreamGuard } from "./upstream-guard.js";
import { toSearch } from "./url.js";

export type QueryValue = string | number | boolean | undefined | null;
export type Query = Record<string, QueryValue>;

export interface CrispRequest {
  method: "GET" | "HEAD" | "POST" | "PUT" | "PATCH" | "DELETE";
  /** Path below the API base, already built from validated, encoded segments. */
  path: string;
  query?: Query;
  body?: unknown;
  signal?: AbortSignal;
  /** The operation every attempt is charged to (retries included); none for the gateway's own. */
  budget?: OperationBudget;
}

/** What one Crisp exchange answered, before the envelope is read. */
interface Answer {
  status: number;
  text: string;
  retryAfter: string | undefined;
}

export interface CrispResponse<T> {
  status: number;
  reason: string;
  data: T;
}

/** What the client saw of one Crisp exchange, for counters, quota and metrics. */
export interface CrispExchange {
  method: string;
  path: string;
  /** HTTP status, or 0 when no answer came (network error, timeout). */
  status: number;
  durationMs: number;
}

export interface CrispClientOptions {
  /** API base, e.g. `https://api.crisp.chat/v1`. */
  baseUrl: string;
  identifier: string;
  key: string;
  /** @default "plugin" */
  tier?: CrispTier;
  /** The undici dispatcher every request goes through: an Agent in production, a MockAgent in tests. */
  dispatcher: Dispatcher;
  /** @default "crisp-graphql-gateway" */
  userAgent?: string;
  /** Time to receive the response headers, ms. @default 10_000 */
  headersTimeoutMs?: number;
  /** Longest silence while receiving the body, ms. @default 10_000 */
  bodyTimeoutMs?: number;
  /** Told about every exchange, answered or not (counters, quota, metrics). */
  onExchange?: (exchange: CrispExchange) => void;
  /** Quota, shared backoff and circuit breaker. @default a guard with no quota */
  guard?: UpstreamGuard;
}

/**
 * What the resource modules need of a client: a request, or an existence check. The gateway's
 * client, or the same client charging one operation's budget (`CrispClient.forOperation`).
 */
export interface CrispApi {
  request<T>(request: CrispRequest): Promise<CrispResponse<T>>;
  exists(path: string, query?: Query, signal?: AbortSignal): Promise<boolean>;
}

/**
 * The only code that speaks HTTP to Crisp. It signs every request (Basic identifier:key and
 * X-Crisp-Tier), unwraps Crisp's `{error, reason, data}` envelope and maps every failure to a
 * contract error code once, here.
 */
export class CrispClient implements CrispApi {
  readonly tier: CrispTier;
  readonly guard: UpstreamGuard;
  readonly #origin: string;
  readonly #basePath: string;
  readonly #headers: Record<string, string>;
  readonly #dispatcher: Dispatcher;
  readonly #headersTimeoutMs: number;
  readonly #bodyTimeoutMs: number;
  readonly #onExchange: ((exchange: CrispExchange) => void) | undefined;

  constructor({
    baseUrl,
    identifier,
    key,
    tier = "plugin",
    dispatcher,
    userAgent = "crisp-graphql-gateway",
    headersTimeoutMs = 10_000, // 10 seconds: undici's 300 s default would hold a GraphQL request far too long
    bodyTimeoutMs = 10_000, // 10 seconds
    onExchange,
    guard = new UpstreamGuard(),
  }: CrispClientOptions) {
    this.guard = guard;
    const url = new URL(baseUrl);
    this.tier = tier;
    this.#origin = url.origin;
    this.#basePath = url.pathname.replace(/\/+$/, "");
    this.#headers = {
      authorization: `Basic ${Buffer.from(`${identifier}:${key}`).toString("base64")}`,
      "x-crisp-tier": tier,
      "user-agent": userAgent,
      accept: "application/json",
    };
    this.#dispatcher = dispatcher;
    this.#headersTimeoutMs = headersTimeoutMs;
    this.#bodyTimeoutMs = bodyTimeoutMs;
    this.#onExchange = onExchange;
  }

  /**
   * Sends one request and returns the unwrapped envelope. Throws a GatewayError for every
   * Crisp error answer, unreadable answer, network failure or timeout.
   */
  async request<T>(request: CrispRequest): Promise<CrispResponse<T>> {
    const { status, text, retryAfter } = await this.#sendGuarded(request);
    let envelope: Partial<CrispEnvelope<T>>;
    try {
      const parsed: unknown = JSON.parse(text);
      if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
        throw new TypeError("not an envelope");
      }
      envelope = parsed as Partial<CrispEnvelope<T>>;
    } catch {
      if (status >= 400) {
        throw crispFailure(status, undefined, retryAfter);
      }
      throw new GatewayError(
        ErrorCode.UPSTREAM_UNAVAILABLE,
        "Crisp answered with a body the gateway could not read.",
        {},
        status,
      );
    }
    const reason = typeof envelope.reason === "string" ? envelope.reason : undefined;
    if (status >= 400 || envelope.error === true) {
      throw crispFailure(status, reason, retryAfter);
    }
    if (envelope.data === undefined || envelope.data === null) {
      // Some routes answer `data: {}` or nothing for "done" (e.g. deletes); callers that
      // expect an object get an empty one, as Crisp's own libraries do (crisp-api.md §2.1).
      return { status, reason: reason ?? "", data: {} as T };
    }
    return { status, reason: reason ?? "", data: envelope.data };
  }

  /** HEAD checks answer 200 (exists) or 404 (missing) with no body (crisp-api.md §2.2). */
  async exists(
    path: string,
    query?: Query,
    signal?: AbortSignal,
    budget?: OperationBudget,
  ): Promise<boolean> {
    const { status, retryAfter } = await this.#sendGuarded({
      method: "HEAD",
      path,
      query,
      signal,
      budget,
    });
    if (status === 404) {
      return false;
    }
    if (status >= 200 && status < 300) {
      return true;
    }
    throw crispFailure(status, undefined, retryAfter);
  }

  /** This client, charging every request it sends (retries included) to one operation. */
  forOperation(budget: OperationBudget): CrispApi {
    return {
      request: <T>(request: CrispRequest) => this.request<T>({ ...request, budget }),
      exists: (path, query, signal) => this.exists(path, query, signal, budget),
    };
  }

  /**
   * Sends through the operation's budget and the guard (quota, shared backoff, breaker),
   * retrying reads only: GET and HEAD on 5xx, 420/429 and network failures, at most twice. A
   * write is sent once, whatever happens: a retried POST could create twice what the client
   * asked for once. Every attempt is a Crisp request: each is charged to the budget.
   */
  async #sendGuarded(request: CrispRequest): Promise<Answer> {
    // The operation waits for this exchange, retries and their pauses included.
    request.budget?.begin();
    try {
      return await this.#attempts(request);
    } finally {
      request.budget?.finish();
    }
  }

  async #attempts({ method, path, query, body, signal, budget }: CrispRequest): Promise<Answer> {
    const retriable = method === "GET" || method === "HEAD";
    let previous: Answer | undefined;
    let previousError: unknown;
    for (let attempt = 0; ; attempt += 1) {
      // Nothing is sent, or counted, for a caller that already gave up.
      signal?.throwIfAborted();
      let admission: Admission;
      try {
        budget?.spend();
        try {
          admission = await this.guard.admit({ method, path });
        } catch (refusal) {
          budget?.refund();
          throw refusal;
        }
      } catch (refusal) {
        // A retry the budget or the guard refuses (the operation spent its share, Crisp asked
        // to back off, or the breaker opened): the caller gets what Crisp last said.
        if (previous !== undefined) {
          return previous;
        }
        throw previousError ?? refusal;
      }
      try {
        previous = await this.#send(method, path, query, body, signal);
      } catch (error) {
        // A request its caller abandoned says nothing about Crisp's health.
        await admission.settle(signal?.aborted ? ABANDONED : 0);
        const timedOut = error instanceof GatewayError && error.code === ErrorCode.GATEWAY_TIMEOUT;
        if (!retriable || timedOut || attempt >= MAX_READ_RETRIES || signal?.aborted) {
          throw error;
        }
        previousError = error;
        previous = undefined;
        await pause(retryDelayMs(attempt), signal);
        continue;
      }
      const retryAfterSeconds = parseRetryAfter(previous.retryAfter);
      await admission.settle(
        previous.status,
        previous.status >= 400 ? envelopeReason(previous.text) : undefined,
        retryAfterSeconds === undefined ? undefined : retryAfterSeconds * 1000,
      );
      if (
        (isThrottleStatus(previous.status) || previous.status === CRISP_LOCKED_STATUS) &&
        previous.retryAfter === undefined
      ) {
        // Crisp gives no hint: tell the caller the backoff (or 423 hold) the gateway itself now
        // keeps, not a guess shorter than the time it will refuse to ask again.
        const seconds = await this.guard.retryAfterSeconds({ method, path });
        if (seconds !== undefined) {
          previous = { ...previous, retryAfter: String(seconds) };
        }
      }
      const failed = previous.status >= 500 || isThrottleStatus(previous.status);
      if (!failed || !retriable || attempt >= MAX_READ_RETRIES) {
        return previous;
      }
      await pause(retryDelayMs(attempt), signal);
    }
  }

  async #send(
    method: CrispRequest["method"],
    path: string,
    query: Query | undefined,
    body: unknown,
    signal: AbortSignal | undefined,
  ): Promise<Answer> {
    const started = performance.now();
    const fullPath = `${this.#basePath}${path}${toSearch(query)}`;
    // Our own deadline for the headers: undici's timers tick about once a second and an
    // injected dispatcher (a MockAgent, a proxy) may ignore `headersTimeout` altogether.
    const deadline = new AbortController();
    const timer = setTimeout(
      () => deadline.abort(new DOMException("Crisp did not answer in time.", "TimeoutError")),
      this.#headersTimeoutMs,
    );
    // The caller's leaving aborts the same controller: AbortSignal.any costs several times as
    // much per request, and a dashboard sends dozens.
    const relay = () => deadline.abort(signal?.reason);
    const relays = signal === undefined ? undefined : abortCallbacksOf(signal);
    if (signal?.aborted) {
      relay();
    } else {
      relays?.add(relay);
    }
    let status = 0;
    try {
      const headers =
        body === undefined
          ? this.#headers
          : { ...this.#headers, "content-type": "application/json; charset=utf-8" };
      const response = await this.#dispatcher.request({
        origin: this.#origin,
        path: fullPath,
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: deadline.signal,
        headersTimeout: this.#headersTimeoutMs,
        bodyTimeout: this.#bodyTimeoutMs,
      });
      clearTimeout(timer);
      status = response.statusCode;
      let text = "";
      if (method === "HEAD") {
        await response.body.dump();
      } else {
        text = await response.body.text();
      }
      const retryAfterHeader = response.headers["retry-after"];
      const retryAfter = Array.isArray(retryAfterHeader) ? retryAfterHeader[0] : retryAfterHeader;
      return { status, text, retryAfter };
    } catch (error) {
      if (signal?.aborted) {
        throw signal.reason ?? error;
      }
      throw transportFailure(deadline.signal.aborted ? deadline.signal.reason : error);
    } finally {
      clearTimeout(timer);
      relays?.delete(relay);
      this.#onExchange?.({ method, path, status, durationMs: performance.now() - started });
    }
  }
}

/** Crisp's `reason` of an error answer, when its body is an envelope. */
function envelopeReason(text: string): string | undefined {
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === "object" &&
      parsed !== null &&
      "reason" in parsed &&
      typeof parsed.reason === "string"
      ? parsed.reason
      : undefined;
  } catch {
    return undefined;
  }
}

export interface CrispDispatcherOptions {
  /** TCP/TLS connect timeout, ms. @default 10_000 */
  connectTimeoutMs?: number;
  /** Idle keep-alive socket lifetime, ms. @default 30_000 */
  keepAliveTimeoutMs?: number;
  /** Sockets per origin. @default 64 */
  connections?: number;
}

/** The production dispatcher: a keep-alive Agent with timeouts fit for a gateway. */
export function createCrispDispatcher({
  connectTimeoutMs = 10_000, // 10 seconds
  keepAliveTimeoutMs = 30_000, // 30 seconds
  connections = 64,
}: CrispDispatcherOptions = {}): Agent {
  return new Agent({
    connect: { timeout: connectTimeoutMs },
    keepAliveTimeout: keepAliveTimeoutMs,
    connections,
  });
}
