import { randomUUID } from "node:crypto";
import { io, type Socket } from "socket.io-client";
import { RTM_EVENTS, RTM_REBIND_MIN_INTERVAL_MS, RtmMessage } from "../crisp/connect.js";
import type { CrispTier } from "../crisp/types.js";
import { ErrorCode, GatewayError } from "../errors.js";
import type { Logger } from "../logger.js";
import type { CrispHookEvent } from "./event.js";
import type { Ingest } from "./hook-route.js";
import { readRtmEvent } from "./rtm-event.js";
import type { GapNotice, RtmLease } from "./rtm-lease.js";

/**
 * Crisp's RTM socket as an event source (crisp-api.md §6), spoken as the official Node SDK
 * speaks it (node-crisp-api lib/crisp.ts `__connectSocket`): the endpoint from
 * `GET /…/connect/endpoints`, Socket.IO over WebSocket only to that URL's origin and path,
 * `authentication` `{ username, password, tier, events }` on every (re)connect. Each event is
 * read as a hook body would be (the same checks, `toEvent`) and handed to the same `ingest` as
 * verified hooks, so nothing after it can tell the sources apart.
 *
 * It connects only while this instance holds the fleet's lease (`rtm-lease.ts`). Lost
 * connections come back with backoff and jitter; `unauthorized` stops it (retrying the same
 * credentials cannot help) and says why; after `plugin:subscription:updated` it sends
 * `socket:bind` so Crisp sends the events of newly bound websites. A stretch without a
 * connection is a gap: recorded, and caught up by `onGap` (what the gateway holds of the
 * websites is refreshed), on every instance.
 */

/** Where the connection stands. */
export type RtmState =
  /** RTM is not a source here (CRISP_EVENTS=hooks). */
  | "off"
  /** Another instance holds the fleet's connection: its events arrive through the log. */
  | "standby"
  /** Discovering the endpoint, connecting or authenticating. */
  | "connecting"
  | "connected"
  /** Lost; reconnecting with backoff. */
  | "disconnected"
  /** Crisp refused the credentials: not retrying (see `reason`). */
  | "unauthorized"
  | "stopped";

/** The connection's state and tallies, for /metrics, `gateway { eventSource }` and /ready. */
export interface RtmStatus {
  state: RtmState;
  /** This instance holds the fleet's RTM connection. */
  holder: boolean;
  /** When `state` last changed. */
  since: Date;
  /** Why it is not connected (the last failure), null while connected. */
  reason: string | null;
  /** Successful authentications (the first one and every reconnect). */
  connects: number;
  /** Events received over the socket (duplicates of hooks included). */
  events: number;
  /** Events the socket brought that could not be recorded (the event log was away). */
  lost: number;
  /** Stretches without a connection that were caught up. */
  gaps: number;
  /** The last gap's length, ms; null before the first. */
  lastGapMs: number | null;
}

/** A status with nothing counted yet, in `state` since `since`. */
export function freshRtmStatus(state: RtmState, since: Date): RtmStatus {
  return {
    state,
    holder: false,
    since,
    reason: null,
    connects: 0,
    events: 0,
    lost: 0,
    gaps: 0,
    lastGapMs: null,
  };
}

export interface RtmSourceOptions {
  /** The RTM endpoint (`getRtmEndpoint` through the Crisp client). */
  discover: (signal: AbortSignal) => Promise<URL>;
  credentials: { identifier: string; key: string; tier: CrispTier };
  ingest: Ingest;
  lease: RtmLease;
  /**
   * Catches up a gap: refresh what the gateway holds of its websites. Called on the holder for
   * its own gaps and on every other instance for the holder's; `websiteIds` empty: every one
   * the holder knows of. Returns the websites it refreshed (posted to the others).
   */
  onGap: (gap: { fromMs: number; toMs: number; websiteIds: string[] }) => Promise<string[]>;
  logger: Logger;
  /** Event names asked for. @default RTM_EVENTS */
  events?: readonly string[];
  /**
   * Reconnect backoff, ms: the first delay, the longest, and the jitter (each delay is drawn
   * within ±jitter of itself, so a fleet of gateways does not reconnect in step).
   * @default { initialMs: 1_000, maxMs: 30_000, jitter: 0.5 }
   */
  backoff?: { initialMs?: number; maxMs?: number; jitter?: number };
  /** Longest a connection attempt may take, ms. @default 10_000 (the SDK's) */
  connectTimeoutMs?: number;
  /** @default Date.now */
  now?: () => number;
}

export interface RtmSource {
  status(): RtmStatus;
  /** Told of every recorded event, whichever source brought it: rebinds on subscription changes. */
  observe(event: CrispHookEvent): void;
  /** Resolves once `state` is `state` (tests wait on it rather than on time). */
  reached(state: RtmState): Promise<void>;
  /**
   * Resolves once `count` socket events were received and handed to `ingest` (or refused),
   * and the gap of events lost before them is caught up.
   */
  received(count: number): Promise<void>;
  stop(): Promise<void>;
}

export function createRtmSource({
  discover,
  credentials,
  ingest,
  lease,
  onGap,
  logger,
  events = RTM_EVENTS,
  backoff = {},
  connectTimeoutMs = 10_000, // 10 seconds: the SDK's DEFAULT_SOCKET_TIMEOUT
  now = Date.now,
}: RtmSourceOptions): RtmSource {
  const {
    initialMs = 1_000, // 1 second: a dropped connection is usually back at once
    maxMs = 30_000, // 30 seconds: a long outage costs at most that much extra gap
    jitter = 0.5,
  } = backoff;
  const wanted = new Set(events);
  const status = freshRtmStatus("standby", new Date(now()));
  let socket: Socket | undefined;
  let attempt: AbortController | undefined;
  let retryTimer: NodeJS.Timeout | undefined;
  let bindTimer: NodeJS.Timeout | undefined;
  let lastBind = 0;
  /** Since when no connection heard events; null while connected (or before any holder). */
  let unheardSince: number | null = null;
  let failures = 0;
  let waiters: { state: RtmState; wake: () => void }[] = [];
  let counted: { count: number; wake: () => void }[] = [];
  /** Socket events handed over (recorded, duplicates or refused). */
  let handled = 0;
  const handledOne = () => {
    handled += 1;
    counted = counted.filter((waiter) => {
      if (waiter.count <= handled) {
        waiter.wake();
        return false;
      }
      return true;
    });
  };

  const setState = (state: RtmState, reason: string | null = null) => {
    status.state = state;
    status.reason = reason;
    status.since = new Date(now());
    waiters = waiters.filter((waiter) => {
      if (waiter.state === state) {
        waiter.wake();
        return false;
      }
      return true;
    });
  };

  /** The next reconnect delay: exponential, capped, drawn within ±jitter. */
  const delay = () => {
    const base = Math.min(maxMs, initialMs * 2 ** Math.min(failures, 20));
    failures += 1;
    return Math.round(base * (1 - jitter + Math.random() * 2 * jitter));
  };

  const retryLater = (reason: string) => {
    if (!status.holder || status.state === "unauthorized" || status.state === "stopped") {
      return;
    }
    setState(status.state === "connected" ? "disconnected" : status.state, reason);
    const wait = delay();
    logger.warn({ rtm: { reason, retryInMs: wait } }, "the Crisp RTM connection is down");
    clearTimeout(retryTimer);
    retryTimer = setTimeout(() => void connect(), wait);
    retryTimer.unref();
  };

  const refuse = (reason: string) => {
    close();
    setState("unauthorized", reason);
    logger.error({ rtm: { reason } }, "the Crisp RTM connection is refused; not retrying");
  };

  const close = () => {
    attempt?.abort();
    attempt = undefined;
    clearTimeout(retryTimer);
    clearTimeout(bindTimer);
    socket?.removeAllListeners();
    socket?.offAny();
    socket?.disconnect();
    socket = undefined;
  };

  async function connect(): Promise<void> {
    close();
    if (!status.holder) {
      return;
    }
    setState(status.state === "disconnected" ? "disconnected" : "connecting", status.reason);
    const controller = new AbortController();
    attempt = controller;
    let endpoint: URL;
    try {
      endpoint = await discover(controller.signal);
    } catch (error) {
      if (controller.signal.aborted) {
        return;
      }
      if (error instanceof GatewayError && error.code === ErrorCode.UNAUTHENTICATED) {
        refuse(
          "Crisp refused the credentials when asked for the RTM endpoint (401): check CRISP_IDENTIFIER, CRISP_KEY and CRISP_TIER.",
        );
        return;
      }
      retryLater(
        `The RTM endpoint could not be discovered: ${error instanceof Error ? error.message : String(error)}`,
      );
      return;
    }
    if (controller.signal.aborted) {
      return;
    }
    const next = io(endpoint.origin, {
      path: endpoint.pathname || "/",
      transports: ["websocket"],
      timeout: connectTimeoutMs,
      // Reconnects are ours (with a fresh discovery), so that every one is authenticated and
      // counted, whoever closed the connection.
      reconnection: false,
    });
    socket = next;
    next.on("connect", () => {
      next.emit(RtmMessage.AUTHENTICATION, {
        username: credentials.identifier,
        password: credentials.key,
        tier: credentials.tier,
        events: [...wanted],
      });
    });
    next.on(RtmMessage.AUTHENTICATED, () => {
      failures = 0;
      status.connects += 1;
      const at = now();
      const from = unheardSince;
      unheardSince = null;
      logger.info(
        { rtm: { endpoint: endpoint.origin, connects: status.connects } },
        "Crisp RTM connected and authenticated (this instance holds the fleet's connection)",
      );
      // Connected once what the gap may have made stale is refreshed; events flow meanwhile.
      void (from === null ? Promise.resolve() : catchUp(from, at)).then(() => {
        if (socket === next && status.state !== "unauthorized") {
          setState("connected");
        }
      });
    });
    next.on(RtmMessage.UNAUTHORIZED, () => {
      refuse(
        "Crisp answered unauthorized to the RTM authentication: check CRISP_IDENTIFIER, CRISP_KEY and CRISP_TIER (and the plugin's scopes).",
      );
    });
    next.on("connect_error", (error: Error) => {
      retryLater(`The RTM socket could not connect: ${error.message}`);
    });
    next.on("disconnect", (reason: string) => {
      // Only a connection that was had leaves a gap behind (a takeover starts from the last
      // holder's heartbeat instead).
      unheardSince ??= now();
      retryLater(`The RTM socket closed (${reason}).`);
    });
    next.onAny((name: unknown, data: unknown) => {
      if (typeof name === "string" && wanted.has(name)) {
        void receive(next, name, data);
      }
    });
  }

  async function receive(via: Socket, name: string, data: unknown): Promise<void> {
    status.events += 1;
    const event = readRtmEvent(name, data, now);
    if (typeof event === "string") {
      logger.warn({ rtm: { event: name, reason: event } }, "a Crisp RTM event was refused");
      handledOne();
      return;
    }
    try {
      // Crisp does not send a socket event twice: there is no redelivery to recognise, and
      // what the log could not take is a gap.
      await ingest(event, { source: "rtm", dedupeKey: null });
    } catch {
      status.lost += 1;
      unheardSince ??= now();
      logger.error({ rtm: { event: name } }, "a Crisp RTM event could not be recorded");
      handledOne();
      return;
    }
    if (unheardSince !== null && socket === via && via.connected && status.state === "connected") {
      // The log takes events again while the socket stayed up: no reconnect will come to
      // catch up what the lost ones changed, so it is caught up now. (A gap of a dropped
      // connection is the reconnect's: this socket is then no longer the one that is up.)
      const from = unheardSince;
      unheardSince = null;
      await catchUp(from, now());
    }
    handledOne();
  }

  async function catchUp(fromMs: number, toMs: number): Promise<void> {
    status.gaps += 1;
    status.lastGapMs = toMs - fromMs;
    logger.warn(
      { rtm: { gapMs: toMs - fromMs, from: new Date(fromMs).toISOString() } },
      "Crisp RTM events were missed while disconnected: refreshing what the gateway holds",
    );
    try {
      const websiteIds = await onGap({ fromMs, toMs, websiteIds: [] });
      const notice: GapNotice = { id: randomUUID(), fromMs, toMs, websiteIds };
      await lease.announceGap(notice);
    } catch (error) {
      logger.error({ err: error }, "a Crisp RTM gap could not be caught up");
    }
  }

  const rebind = () => {
    clearTimeout(bindTimer);
    const wait = Math.max(0, lastBind + RTM_REBIND_MIN_INTERVAL_MS - now());
    bindTimer = setTimeout(() => {
      if (socket?.connected === true) {
        lastBind = now();
        socket.emit(RtmMessage.BIND, {});
      }
    }, wait);
    bindTimer.unref();
  };

  lease.start({
    change(held, previousSeenAt) {
      status.holder = held;
      if (held) {
        // Taking over: events since the last holder was heard of went unheard.
        unheardSince = previousSeenAt;
        void connect();
      } else {
        close();
        if (status.state !== "stopped") {
          setState("standby");
        }
      }
    },
    gap(notice) {
      status.gaps += 1;
      status.lastGapMs = notice.toMs - notice.fromMs;
      onGap(notice).catch((error: unknown) =>
        logger.error({ err: error }, "a Crisp RTM gap could not be caught up"),
      );
    },
  });

  return {
    status: () => ({ ...status }),
    observe(event) {
      if (event.name === "plugin:subscription:updated" && status.holder) {
        rebind();
      }
    },
    received: (count) =>
      count <= handled ? Promise.resolve() : new Promise((wake) => counted.push({ count, wake })),
    reached: (state) =>
      status.state === state
        ? Promise.resolve()
        : new Promise((wake) => waiters.push({ state, wake })),
    async stop() {
      close();
      setState("stopped");
      waiters = [];
      counted = [];
      await lease.stop();
    },
  };
}
