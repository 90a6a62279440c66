import type { IncomingMessage, ServerResponse } from "node:http";
import { Gauge, type Registry } from "prom-client";
import type { CrispClient } from "../crisp/client.js";
import { getRtmEndpoint } from "../crisp/connect.js";
import { listConnectedWebsites } from "../crisp/plugin.js";
import type { CrispTier } from "../crisp/types.js";
import { HOOK_TIMESTAMP_WINDOW_MS } from "../crisp/webhook.js";
import type { ReadinessProblem } from "../http/readiness.js";
import type { SharedCache } from "../loaders/cache.js";
import { cacheTag } from "../loaders/cache-index.js";
import { CACHE_KINDS } from "../loaders/cache-kinds.js";
import type { Logger } from "../logger.js";
import { tallyCounter } from "../metrics.js";
import type { CrispHookEvent } from "./event.js";
import { createWebhookRoute, type HookOutcome } from "./hook-route.js";
import type { EventJournal } from "./journal.js";
import type { EventLog } from "./log.js";
import { createEventPipeline, type EventPipeline } from "./pipeline.js";
import { localLease, type RtmLease } from "./rtm-lease.js";
import {
  createRtmSource,
  freshRtmStatus,
  type RtmSource,
  type RtmSourceOptions,
  type RtmStatus,
} from "./rtm-source.js";
import { applyEventToCache, subjectTags } from "./upkeep.js";

/**
 * The event sources of one gateway and the path they share (docs/events.md): the web hook
 * route and/or Crisp's RTM socket, by CRISP_EVENTS, both calling the pipeline's `ingest`
 * (dedupe and record in the event log), whose follower patches the cache and feeds the
 * subscriptions. Nothing past `ingest` knows which source brought an event.
 */

/** Which sources bring events: web hooks, the RTM socket, or both (deduplicated). */
export type EventMode = "hooks" | "rtm" | "both";

export interface EventSourceOptions {
  /** CRISP_EVENTS. @default "hooks" */
  mode?: EventMode;
  /**
   * Who holds the fleet's one RTM connection: `createRedisLease` with REDIS_URL (main.ts).
   * The gateway stops it. @default localLease() (this instance, always)
   */
  lease?: RtmLease;
  /** Reconnect backoff of the RTM socket. @default createRtmSource's */
  backoff?: RtmSourceOptions["backoff"];
}

/** What `gateway { eventSource }`, /metrics and /ready read. */
export interface EventSourcesStatus {
  mode: EventMode;
  /** The RTM connection (state `off` with CRISP_EVENTS=hooks). */
  rtm: RtmStatus;
}

export interface EventSources {
  pipeline: EventPipeline;
  /** `POST /webhooks/crisp`. */
  webhook: (request: IncomingMessage, response: ServerResponse) => void;
  /** The RTM source, when on. */
  rtm: RtmSource | null;
  status(): EventSourcesStatus;
  /** Why events cannot arrive (Crisp refused the RTM credentials), for /ready. */
  problem(): ReadinessProblem | undefined;
  close(): Promise<void>;
}

export interface EventSourcesOptions extends EventSourceOptions {
  log: EventLog;
  cache: SharedCache;
  journal: EventJournal;
  client: CrispClient;
  credentials: { identifier: string; key: string; tier: CrispTier };
  defaultWebsiteId: string | undefined;
  hooks: {
    secret?: string | undefined;
    key?: string | undefined;
    maxBodyBytes?: number;
    windowMs?: number;
  };
  onHook: (outcome: HookOutcome) => void;
  /** After an event is applied to the cache (the response cache drops what it changed). @default none */
  applied?: (event: CrispHookEvent) => void;
  /** After a gap's refresh, with the websites dropped (the response cache then drops everything). @default none */
  gap?: (websiteIds: string[]) => void;
  registry: Registry;
  logger: Logger;
}

/** The RTM status of a gateway that does not use RTM. */
const off: RtmStatus = Object.freeze(freshRtmStatus("off", new Date(0)));

/** Websites remembered from events, for a gap's refresh when Crisp cannot list them. */
const MAX_SEEN_WEBSITES = 10_000;

export function createEventSources({
  mode = "hooks",
  lease = localLease(),
  backoff,
  log,
  cache,
  journal,
  client,
  credentials,
  defaultWebsiteId,
  hooks,
  onHook,
  applied,
  gap,
  registry,
  logger,
}: EventSourcesOptions): EventSources {
  const seen = new Set<string>(defaultWebsiteId === undefined ? [] : [defaultWebsiteId]);
  let rtm: RtmSource | null = null;
  const pipeline = createEventPipeline({
    log,
    upkeep: (event) => {
      if (seen.size < MAX_SEEN_WEBSITES) {
        seen.add(event.websiteId);
      }
      rtm?.observe(event);
      try {
        applyEventToCache(cache, journal, event);
      } catch (error) {
        // Half applied: what it is about is read from Crisp again, the journal laid over it.
        for (const tag of subjectTags(event)) {
          cache.dropTagged(tag);
        }
        throw error;
      } finally {
        // Whatever the cache kept, cached answers about the event's objects must go.
        applied?.(event);
      }
    },
    // An instance joining a fleet learns of what the others applied lately.
    recall: { ms: journal.maxAgeMs, event: (event) => journal.record(subjectTags(event), event) },
    dedupeTtlMs: 2 * (hooks.windowMs ?? HOOK_TIMESTAMP_WINDOW_MS),
    pairSources: mode === "both",
    missed: () => {
      refresh({ websiteIds: [] }, "the event log was trimmed past this instance").catch(
        (error: unknown) => logger.error({ err: error }, "a gap could not be caught up"),
      );
    },
    logger,
  });
  const webhook = createWebhookRoute({
    ingest: pipeline.ingest,
    ...hooks,
    ...(mode === "rtm"
      ? {
          off: "Web hooks are off on this gateway: it receives events over Crisp's RTM socket (CRISP_EVENTS=rtm).",
        }
      : {}),
    onOutcome: onHook,
  });

  /** A gap: what the gateway holds of every website it may have missed events of is dropped. */
  const refresh = async (
    { websiteIds }: { websiteIds: string[] },
    cause = "RTM",
  ): Promise<string[]> => {
    let targets = websiteIds;
    if (targets.length === 0) {
      targets = [...seen];
      if (credentials.tier === "plugin") {
        try {
          const connected = await listConnectedWebsites(client);
          targets = [
            ...new Set([...targets, ...connected.map((site) => site.website_id.toLowerCase())]),
          ];
        } catch (error) {
          logger.warn({ err: error }, "the connected websites could not be listed for a gap");
        }
      }
    }
    let dropped = cache.dropTagged(cacheTag.kind("connectedWebsites", "*"));
    for (const websiteId of targets) {
      for (const kind of CACHE_KINDS) {
        dropped += cache.dropTagged(cacheTag.kind(kind, websiteId));
      }
    }
    gap?.(targets);
    logger.info({ gap: { cause, websites: targets.length, dropped } }, "a gap was caught up");
    return targets;
  };

  if (mode !== "hooks") {
    rtm = createRtmSource({
      discover: (signal) => getRtmEndpoint(client, credentials.tier, defaultWebsiteId, signal),
      credentials,
      ingest: pipeline.ingest,
      lease,
      onGap: refresh,
      logger,
      ...(backoff === undefined ? {} : { backoff }),
    });
    registerRtmMetrics(registry, rtm);
  }

  return {
    pipeline,
    webhook,
    rtm,
    status: () => ({ mode, rtm: rtm?.status() ?? off }),
    problem() {
      const status = rtm?.status();
      return status?.state === "unauthorized"
        ? { component: "crisp", reason: status.reason ?? "Crisp refused the RTM credentials." }
        : undefined;
    },
    async close() {
      await rtm?.stop();
      await pipeline.close();
    },
  };
}

/** The RTM connection's state and tallies on /metrics. */
function registerRtmMetrics(registry: Registry, rtm: RtmSource): void {
  const gauge = (name: string, help: string, read: (status: RtmStatus) => number) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        this.set(read(rtm.status()));
      },
    });
  gauge(
    "gateway_rtm_connected",
    "1 while this instance's Crisp RTM socket is connected and authenticated.",
    (status) => (status.state === "connected" ? 1 : 0),
  );
  gauge(
    "gateway_rtm_holder",
    "1 while this instance holds the fleet's RTM connection (the others follow the event log).",
    (status) => (status.holder ? 1 : 0),
  );
  gauge(
    "gateway_rtm_unauthorized",
    "1 once Crisp refused the RTM credentials (no more retries).",
    (status) => (status.state === "unauthorized" ? 1 : 0),
  );
  // Tallies that only grow: counters.
  const tally = (name: string, help: string, read: (status: RtmStatus) => number) =>
    tallyCounter(registry, name, help, () => read(rtm.status()));
  tally(
    "gateway_rtm_connects_total",
    "RTM authentications since start (the first and every reconnect).",
    (status) => status.connects,
  );
  tally(
    "gateway_rtm_events_total",
    "Events received over the RTM socket since start (duplicates of hooks included).",
    (status) => status.events,
  );
  tally(
    "gateway_rtm_lost_events_total",
    "RTM events the event log could not record (each one starts a gap).",
    (status) => status.lost,
  );
  tally(
    "gateway_rtm_gaps_total",
    "Stretches without an RTM connection that were caught up (the cache of their websites dropped).",
    (status) => status.gaps,
  );
  gauge("gateway_rtm_last_gap_seconds", "Length of the last RTM gap (-1: none yet).", (status) =>
    status.lastGapMs === null ? -1 : status.lastGapMs / 1000,
  );
}
