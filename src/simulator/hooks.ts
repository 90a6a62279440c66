/**
 * Web hook delivery, as Crisp does it (crisp-api.md §5): one POST per event, compact JSON body
 * `{website_id, event, data, timestamp}`, the `X-Crisp-*` and `X-Delivery-Attempt-*` headers,
 * an HMAC-SHA256 signature on plugin hooks only (`hook-signing.ts`), and retries up to the
 * attempt limit.
 *
 * What Crisp does not document is an assumption (`assumptions.ts`): the timestamp unit, the
 * attempt limit, the back-off, the timeout, whether website hooks are retried and which events
 * they get. Our other inferred choices [I]:
 * - Each attempt carries a fresh timestamp, so a redelivery has a new signature over the same
 *   body; a non-2xx answer, a network error and a timeout all count as a failed attempt.
 * - Website hooks have the origin `website/rtm <website_id> production`.
 * - One queue per simulator: hooks arrive in event order, a retry holds back later events
 *   (Crisp documents no ordering guarantee; in order is the easier contract to test against).
 */

import { Agent, request } from "undici";
import { type CrispAssumptions, DEFAULT_ASSUMPTIONS } from "./assumptions.js";
import { checkHooks, hookBody, hookTarget, signHook } from "./hook-signing.js";
import { HookHeader } from "./protocol.js";
import { Sleeper } from "./sleeper.js";
import type { SimulatorEvent, SimulatorHookDelivery, SimulatorHooks } from "./types.js";

/** The default `X-Delivery-Attempt-Limit` (`assumptions.hookAttemptLimit`). */
export const HOOK_ATTEMPT_LIMIT = DEFAULT_ASSUMPTIONS.hookAttemptLimit;
/** `hookDeliveries` keeps the newest entries only, so a long demo does not grow without end. */
const MAX_DELIVERY_LOG = 10_000;

export interface HookSenderOptions {
  /** The 16-hex plugin id of `X-Crisp-Hook-Origin` on plugin hooks. */
  pluginId: string;
  /**
   * The hook assumptions in force (timestamp unit, attempts, back-off, timeout, website hook
   * events), read when a hook is queued and at each attempt. @default () => DEFAULT_ASSUMPTIONS
   */
  assumptions?: () => CrispAssumptions;
}

interface HookJob {
  hooks: SimulatorHooks;
  /** The `hooks` setting that queued it; a later setting drops it. */
  generation: number;
  event: SimulatorEvent["event"];
  websiteId: string;
  /** Serialised once, so every attempt sends the same bytes. */
  body: string;
  /** Attempts this hook gets, fixed when it is queued so `X-Delivery-Attempt-Limit` holds. */
  attemptLimit: number;
}

/** The delivery queue of one simulator. `enqueue` never throws and never waits. */
export class HookSender {
  /** Every attempt, oldest first (the newest `MAX_DELIVERY_LOG`). */
  readonly deliveries: SimulatorHookDelivery[] = [];
  readonly #attemptListeners = new Set<(delivery: SimulatorHookDelivery) => void>();
  readonly #pluginId: string;
  readonly #assumptions: () => CrispAssumptions;
  readonly #agent: Agent;
  #hooks: SimulatorHooks | null = null;
  #generation = 0;
  readonly #queue: HookJob[] = [];
  #pumping = false;
  #closed = false;
  readonly #idleWaiters: (() => void)[] = [];
  /** Waits between attempts: `configure` and `close` cut them short. */
  readonly #sleeper = new Sleeper({ unref: true });

  constructor({ pluginId, assumptions = () => DEFAULT_ASSUMPTIONS }: HookSenderOptions) {
    this.#pluginId = pluginId;
    this.#assumptions = assumptions;
    // Our own dispatcher (never the global one), so close() can abort what is in flight. The
    // timeout is set per attempt, since `configure` may change it.
    this.#agent = new Agent();
  }

  /** Sets the target (`null`: none). Drops what the previous setting still had queued. */
  configure(hooks: SimulatorHooks | null): void {
    checkHooks(hooks);
    this.#hooks = hooks === null ? null : { ...hooks };
    this.#generation++;
    this.#queue.length = 0;
    this.#sleeper.wakeAll();
  }

  /** Queues one hook for `event` when a target is set (and, for website hooks, wants it). */
  enqueue(event: SimulatorEvent): void {
    const hooks = this.#hooks;
    if (hooks === null || this.#closed) {
      return;
    }
    const assumptions = this.#assumptions();
    const website = hooks.kind === "website";
    const wanted = assumptions.websiteHookEvents;
    if (website && wanted !== "all" && !wanted.includes(event.event)) {
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
      attemptLimit: website && !assumptions.retryWebsiteHooks ? 1 : assumptions.hookAttemptLimit,
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
    this.#sleeper.wakeAll();
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
    for (let attempt = 1; attempt <= job.attemptLimit; attempt++) {
      // Checked before the wait too: a setting changed during the last attempt cancels now.
      if (!this.#current(job)) {
        return;
      }
      if (attempt > 1) {
        const delays = this.#assumptions().hookRetryDelaysMs;
        await this.#sleeper.sleep(delays[Math.min(attempt - 2, delays.length - 1)] ?? 0);
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
    const { hookTimestampUnit, hookTimeoutMs } = this.#assumptions();
    const at = Date.now();
    const timestamp = String(hookTimestampUnit === "s" ? Math.floor(at / 1000) : at);
    const headers: Record<string, string> = {
      "Content-Type": "application/json",
      [HookHeader.ORIGIN]:
        hooks.kind === "plugin"
          ? `plugin/rtm ${this.#pluginId} production`
          : `website/rtm ${job.websiteId} production`,
      [HookHeader.TIMESTAMP]: timestamp,
      [HookHeader.ATTEMPT_LIMIT]: String(job.attemptLimit),
      [HookHeader.ATTEMPT_COUNT]: String(attempt),
    };
    if (hooks.kind === "plugin") {
      headers[HookHeader.SIGNATURE] = signHook(hooks.secret, timestamp, job.body);
    }
    let status = 0;
    try {
      const response = await request(hookTarget(hooks), {
        method: "POST",
        headers,
        body: job.body,
        dispatcher: this.#agent,
        headersTimeout: hookTimeoutMs,
        bodyTimeout: hookTimeoutMs,
        signal: AbortSignal.timeout(hookTimeoutMs),
      });
      status = response.statusCode;
      // Read to the end, so the keep-alive socket can carry the next hook.
      await response.body.dump();
    } catch {
      // Refused connection, reset, timeout, or close() aborting it: a failed attempt.
    }
    if (!this.#closed) {
      const delivery = { event: job.event, url: hooks.url, attempt, status, at };
      this.deliveries.push(delivery);
      if (this.deliveries.length > MAX_DELIVERY_LOG) {
        this.deliveries.splice(0, this.deliveries.length - MAX_DELIVERY_LOG);
      }
      for (const listener of [...this.#attemptListeners]) {
        listener(delivery);
      }
    }
    return status;
  }

  /** Calls `listener` after each logged attempt; returns the unsubscribe function. */
  onAttempt(listener: (delivery: SimulatorHookDelivery) => void): () => void {
    this.#attemptListeners.add(listener);
    return () => {
      this.#attemptListeners.delete(listener);
    };
  }

  #settleIdle(): void {
    if (this.#pumping || this.#queue.length > 0) {
      return;
    }
    for (const resolve of this.#idleWaiters.splice(0)) {
      resolve();
    }
  }
}
