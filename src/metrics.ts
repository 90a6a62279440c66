import { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { CrispExchange } from "./crisp/client.js";
import { CRISP_LOCKED_STATUS, isThrottleStatus } from "./crisp/statuses.js";

/**
 * Prometheus metrics of one gateway, served at GET /metrics. A registry per gateway (not
 * prom-client's global one), so several gateways in one process never mix their numbers.
 */
export interface Metrics {
  registry: Registry;
  recordExchange(exchange: CrispExchange): void;
  subscriptionOpened(): void;
  subscriptionClosed(): void;
  /** Executions running for open subscriptions (identical ones share one). */
  subscriptionExecutions(running: number): void;
  hookReceived(status: number): void;
}

export interface MetricsSources {
  cache: () => {
    hits: number;
    misses: number;
    secondLevelHits: number;
    staleServes: number;
    size: number;
  };
  quota: () => Promise<{ used: number; limit: number | null }>;
}

/**
 * Crisp paths with their ids replaced, so the route label stays low-cardinality
 * (`/website/:website_id/conversation/:session_id/messages`).
 */
export function routeOf(path: string): string {
  return (
    path
      .replace(/session_[0-9a-f-]{36}/gi, ":session_id")
      .replace(/\/website\/[0-9a-f-]{36}/gi, "/website/:website_id")
      .replace(/\/people\/(profile|conversations|data)\/[^/]+/gi, "/people/$1/:people_id")
      .replace(/\/message\/-?\d+/g, "/message/:fingerprint")
      .replace(
        /\/plugins\/subscription\/[^/]+\/[^/]+/gi,
        "/plugins/subscription/:website_id/:plugin_id",
      )
      // Raw calls (crispRequest) may name any route: no id of theirs becomes a label either.
      .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi, ":id")
      .replace(/\/(\d+)$/g, "/:page")
  );
}

/**
 * A counter of a tally kept elsewhere that only grows (the cache's hits, the RTM source's
 * connects): raised at each scrape by what the tally grew since the last one.
 */
export function tallyCounter(
  registry: Registry,
  name: string,
  help: string,
  read: () => number,
): Counter {
  let seen = 0;
  return new Counter({
    name,
    help,
    registers: [registry],
    collect() {
      const now = read();
      this.inc(Math.max(0, now - seen));
      seen = Math.max(seen, now);
    },
  });
}

export function createMetrics({ cache, quota }: MetricsSources): Metrics {
  const registry = new Registry();
  const requests = new Counter({
    name: "crisp_requests_total",
    help: "HTTP requests sent to Crisp, by route, method and status (0: no answer).",
    labelNames: ["route", "method", "status"] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: "crisp_request_duration_seconds",
    help: "Time to a Crisp answer (or failure), by route and method.",
    labelNames: ["route", "method"] as const,
    buckets: [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const throttled = new Counter({
    name: "crisp_throttled_responses_total",
    help: "Crisp answers 429, 420 or 423 (quota).",
    labelNames: ["status"] as const,
    registers: [registry],
  });
  const subscriptions = new Gauge({
    name: "gateway_open_subscriptions",
    help: "Subscriptions currently open (graphql-ws and SSE).",
    registers: [registry],
  });
  const executions = new Gauge({
    name: "gateway_subscription_executions",
    help: "Executions running for the open subscriptions: identical subscriptions share one.",
    registers: [registry],
  });
  const hooks = new Counter({
    name: "gateway_webhooks_total",
    help: "Web hooks received, by the status answered.",
    labelNames: ["status"] as const,
    registers: [registry],
  });
  const gauge = (name: string, help: string, read: () => number | Promise<number>) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      async collect() {
        this.set(await read());
      },
    });
  // The cache's own tallies only grow: counters.
  const tally = (name: string, help: string, read: () => number) =>
    tallyCounter(registry, name, help, read);
  tally(
    "gateway_cache_hits_total",
    "Shared cache answers without a Crisp request.",
    () => cache().hits,
  );
  tally(
    "gateway_cache_misses_total",
    "Shared cache misses (a Crisp request was needed).",
    () => cache().misses,
  );
  tally(
    "gateway_cache_second_level_hits_total",
    "Misses of this instance answered by the shared second level (Redis): another instance had read it.",
    () => cache().secondLevelHits,
  );
  tally(
    "gateway_cache_stale_serves_total",
    "Answers served past their TTL.",
    () => cache().staleServes,
  );
  gauge("gateway_cache_entries", "Entries in the shared cache.", () => cache().size);
  gauge(
    "crisp_quota_used",
    "Crisp requests counted against today's quota.",
    async () => (await quota()).used,
  );
  gauge(
    "crisp_quota_limit",
    "The token's daily Crisp quota (-1: none).",
    async () => (await quota()).limit ?? -1,
  );

  return {
    registry,
    recordExchange({ method, path, status, durationMs }) {
      const route = routeOf(path);
      requests.inc({ route, method, status: String(status) });
      duration.observe({ route, method }, durationMs / 1000);
      if (isThrottleStatus(status) || status === CRISP_LOCKED_STATUS) {
        throttled.inc({ status: String(status) });
      }
    },
    subscriptionOpened: () => subscriptions.inc(),
    subscriptionClosed: () => subscriptions.dec(),
    subscriptionExecutions: (running) => executions.set(running),
    hookReceived: (status) => hooks.inc({ status: String(status) }),
  };
}
