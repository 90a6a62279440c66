/**
 * Web hook delivery, as Crisp does it (crisp-api.md §5): one POST per event, compact JSON body
 * `{website_id, event, data, timestamp}`, the `X-Crisp-*` and `X-Delivery-Attempt-*` headers,
 * an HMAC-SHA256 signature on plugin hooks only, and retries up to the attempt limit.
 *
 * Our inferred choices, marked [I] in crisp-api.md:
 * - `X-Crisp-Request-Timestamp` is ms since epoch (`hookTimestampUnit` switches to seconds);
 *   each attempt carries a fresh one, so a redelivery has a new signature over the same body.
 * - Website hooks have the origin `website/rtm <website_id> production` and are retried like
 *   plugin hooks (Crisp only documents retries for plugin hooks).
 * - Back-off: `hookRetryDelaysMs` (200 ms, then 1 s), a 5 s timeout per attempt; a non-2xx
 *   answer, a network error and a timeout all count as a failed attempt.
 * - One queue per simulator: hooks arrive in event order, a retry holds back later events
 *   (Crisp documents no ordering guarantee; in order is the easier contract to test against).
 */

import { createHmac } from "node:crypto";
import { Agent, request } from "undici";
import type { SimulatorEvent, SimulatorHookDelivery, SimulatorHooks } from "./types.js";

/** `X-Delivery-Attempt-Limit`: attempts per hook, the first included [I]. */
export const HOOK_ATTEMPT_LIMIT = 3;
/** Per attempt: connect, headers and body together. */
const HOOK_TIMEOUT_MS = 5_000;
/** `hookDeliveries` keeps the newest entries only, so a long demo does not grow without end. */
const MAX_DELIVERY_LOG = 10_000;

/**
 * The hook body exactly as sent and signed: compact JSON in Crisp's key order (crisp-api.md
 * §5.2), since Crisp's Node library verifies against `JSON.stringify(parsedBody)`.
 */
export function hookBody(event: SimulatorEvent): string {
  return JSON.stringify({
    website_id: event.website_id,
    event: event.event,
    data: event.data,
    timestamp: event.timestamp,
  });
}

/**
 * `X-Crisp-Signature`: lower-case hex HMAC-SHA256, keyed with the plugin's hook secret, of
 * `[<timestamp header verbatim>;<raw body>]` (crisp-api.md §5.3).
 */
export function signHook(secret: string, timestamp: string, body: string): string {
  return createHmac("sha256", secret).update(`[${timestamp};${body}]`).digest("hex");
}

/** Where a hook is POSTed: website hooks get `key=<key>` added to the URL's query. */
export function hookTarget(hooks: SimulatorHooks): string {
  const url = new URL(hooks.url);
  url.hash = "";
  if (hooks.kind === "website") {
    const key = `key=${encodeURIComponent(hooks.key)}`;
    // Appended to the raw query rather than via searchParams, which would re-encode it.
    url.search = url.search === "" || url.search === "?" ? `?${key}` : `${url.search}&${key}`;
  }
  return url.href;
}

/** Throws, stating the contract, when `hooks` cannot be delivered to. */
export function checkHooks(hooks: SimulatorHooks | null): void {
  if (hooks === null) {
    return;
  }
  let protocol: string;
  try {
    protocol = new URL(hooks.url).protocol;
  } catch {
    throw new Error(
      `hooks.url must be an absolute http(s) URL; received ${JSON.stringify(hooks.url)}`,
    );
  }
  if (protocol !== "http:" && protocol !== "https:") {
    throw new Error(`hooks.url must be an http(s) URL; received protocol ${protocol}`);
  }
  // Checked at run time too: the demo may build this from untyped configuration.
  const kind: unknown = hooks.kind;
  if (kind !== "plugin" && kind !== "website") {
    throw new Error(`hooks.kind must be "plugin" or "website"; received ${String(kind)}`);
  }
  const credential: unknown = hooks.kind === "plugin" ? hooks.secret : hooks.key;
  if (typeof credential !== "string" || credential === "") {
    const name = hooks.kind === "plugin" ? "secret" : "key";
    throw new Error(`hooks.${name} must be a non-empty string for ${hooks.kind} hooks`);
  }
}

export interface HookSenderOptions {
  /** The 16-hex plugin id of `X-Crisp-Hook-Origin` on plugin hooks. */
  pluginId: string;
  /** @default "ms" */
  timestampUnit?: "ms" | "s";
  /** Wait before attempt 2, 3, ... (the last value repeats). @default [200, 1000] */
  retryDelaysMs?: readonly number[];
}

interface HookJob {
  hooks: SimulatorHooks;
  /** The `hooks` setting that queued it; a later setting drops it. */
  generation: number;
  event: SimulatorEvent["event"];
  websiteId: string;
  /** Serialised once, so every attempt sends the same bytes. */
  body: string;
}

/** The delivery queue of one simulator. `enqueue` never throws and never waits. */
export class HookSender {
  /** Every attempt, oldest first (the newest `MAX_DELIVERY_LOG`). */
  readonly deliveries: SimulatorHookDelivery[] = [];
  readonly #pluginId: string;
  readonly #timestampUnit: "ms" | "s";
  readonly #retryDelaysMs: readonly number[];
  readonly #agent: Agent;
  #hooks: SimulatorHooks | null = null;
  #generation = 0;
  readonly #queue: HookJob[] = [];
  #pumping = false;
  #closed = false;
  readonly #idleWaiters: (() => void)[] = [];
  readonly #sleeps = new Set<() => void>();

  constructor(options: HookSenderOptions) {
    const {
      pluginId,
      timestampUnit = "ms",
      retryDelaysMs = [200, 1000], // then 1 s
    } = options;
    if (retryDelaysMs.some((delay) => !Number.isFinite(delay) || delay < 0)) {
      throw new Error(
        `hookRetryDelaysMs must hold finite delays >= 0 ms; received ${JSON.stringify(retryDelaysMs)}`,
      );
    }
    this.#pluginId = pluginId;
    this.#timestampUnit = timestampUnit;
    this.#retryDelaysMs = [...retryDelaysMs];
    // Our own dispatcher (never the global one), so close() can abort what is in flight.
    this.#agent = new Agent({
      connect: { timeout: HOOK_TIMEOUT_MS },
      headersTimeout: HOOK_TIMEOUT_MS,
      bodyTimeout: HOOK_TIMEOUT_MS,
    });
  }

  /** Sets the target (`null`: none). Drops what the previous setting still had queued. */
  configure(hooks: SimulatorHooks | null): void {
    checkHooks(hooks);
    this.#hooks = hooks === null ? null : { ...hooks };
    this.#generation++;
    this.#queue.length = 0;
    this.#wakeSleepers();
  }

  /** Queues one hook for `event` when a target is set. */
  enqueue(event: SimulatorEvent): void {
    const hooks = this.#hooks;
    if (hooks === null || this.#closed) {
      return;
    }
    let body: string;
    try {
      body = hookBody(event);
    } catch (error) {
      process.emitWarning(
        `The simulator could not serialise the ${event.event} hook: ${String(error)}`,
        "SimulatorHookWarning",
      );
      return;
    }
    this.#queue.push({
      hooks,
      generation: this.#generation,
      event: event.event,
      websiteId: event.website_id,
      body,
    });
    void this.#pump();
  }

  /** Resolves once nothing is queued, in flight or waiting for a retry. */
  idle(): Promise<void> {
    if (!this.#pumping && this.#queue.length === 0) {
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      this.#idleWaiters.push(resolve);
    });
  }

  clearDeliveries(): void {
    this.deliveries.length = 0;
  }

  /** Drops every pending delivery, aborts the one in flight and frees the sockets. */
  async close(): Promise<void> {
    if (this.#closed) {
      return;
    }
    this.#closed = true;
    this.#hooks = null;
    this.#generation++;
    this.#queue.length = 0;
    this.#wakeSleepers();
    await this.#agent.destroy().catch(() => undefined);
    this.#settleIdle();
  }

  async #pump(): Promise<void> {
    if (this.#pumping) {
      return;
    }
    this.#pumping = true;
    try {
      for (let job = this.#queue.shift(); job !== undefined; job = this.#queue.shift()) {
        await this.#deliver(job);
      }
    } catch (error) {
      // #deliver catches what it expects; anything else must not become an unhandled rejection.
      process.emitWarning(
        `Simulator hook delivery failed: ${String(error)}`,
        "SimulatorHookWarning",
      );
    } finally {
      this.#pumping = false;
      this.#settleIdle();
    }
  }

  #current(job: HookJob): boolean {
    return !this.#closed && job.generation === this.#generation;
  }

  async #deliver(job: HookJob): Promise<void> {
    for (let attempt = 1; attempt <= HOOK_ATTEMPT_LIMIT; attempt++) {
      // Checked before the wait too: a setting changed during the last attempt cancels now.
      if (!this.#current(job)) {
        return;
      }
      if (attempt > 1) {
        const delays = this.#retryDelaysMs;
        await this.#sleep(delays[Math.min(attempt - 2, delays.length - 1)] ?? 0);
        if (!this.#current(job)) {
          return;
        }
      }
      const status = await this.#attempt(job, attempt);
      if (status >= 200 && status < 300) {
        return;
      }
    }
  }

  /** One POST; answers the HTTP status, 0 on a network error or a timeout. */
  async #attempt(job: HookJob, attempt: number): Promise<number> {
    const { hooks } = job;
    const at = Date.now();
    const timestamp = String(this.#timestampUnit === "s" ? Math.floor(at / 1000) : at);
    const headers: Record<string, string> = {
      "Content-Type": "application/json",
      "X-Crisp-Hook-Origin":
        hooks.kind === "plugin"
          ? `plugin/rtm ${this.#pluginId} production`
          : `website/rtm ${job.websiteId} production`,
      "X-Crisp-Request-Timestamp": timestamp,
      "X-Delivery-Attempt-Limit": String(HOOK_ATTEMPT_LIMIT),
      "X-Delivery-Attempt-Count": String(attempt),
    };
    if (hooks.kind === "plugin") {
      headers["X-Crisp-Signature"] = signHook(hooks.secret, timestamp, job.body);
    }
    let status = 0;
    try {
      const response = await request(hookTarget(hooks), {
        method: "POST",
        headers,
        body: job.body,
        dispatcher: this.#agent,
        signal: AbortSignal.timeout(HOOK_TIMEOUT_MS),
      });
      status = response.statusCode;
      // Read to the end, so the keep-alive socket can carry the next hook.
      await response.body.dump();
    } catch {
      // Refused connection, reset, timeout, or close() aborting it: a failed attempt.
    }
    if (!this.#closed) {
      this.deliveries.push({ event: job.event, url: hooks.url, attempt, status, at });
      if (this.deliveries.length > MAX_DELIVERY_LOG) {
        this.deliveries.splice(0, this.deliveries.length - MAX_DELIVERY_LOG);
      }
    }
    return status;
  }

  #settleIdle(): void {
    if (this.#pumping || this.#queue.length > 0) {
      return;
    }
    for (const resolve of this.#idleWaiters.splice(0)) {
      resolve();
    }
  }

  /** An unref'd wait that `configure` and `close` cut short. */
  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        this.#sleeps.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      timer.unref();
      this.#sleeps.add(wake);
    });
  }

  #wakeSleepers(): void {
    for (const wake of [...this.#sleeps]) {
      wake();
    }
  }
}
