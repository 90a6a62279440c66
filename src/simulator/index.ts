/**
 * The embedded Crisp simulator: a real HTTP server answering Crisp's REST API v1 read and write
 * routes with seeded, deterministic data, plus knobs for latency, failures, rate limits and
 * quotas, and the RTM / web hook events writes cause.
 */

import { SimulatorEventHub } from "./events.js";
import { Prng } from "./prng.js";
import { Router } from "./router.js";
import { READ_ROUTES } from "./routes.js";
import { generateSeed } from "./seed.js";
import { SimulatorServer } from "./server.js";
import { SimulatorStore } from "./store.js";
import type {
  SimulatorEventListener,
  SimulatorKnobs,
  SimulatorOptions,
  SimulatorRequest,
  SimulatorToken,
} from "./types.js";
import { createWriteClock, createWriteRoutes } from "./write-routes.js";

export type { WebsiteRecord } from "./seed.js";
export { SEED_ANCHOR } from "./seed-data.js";
export type {
  ConversationQuery,
  PeopleQuery,
  PersonConversationsQuery,
} from "./store.js";
export { SimulatorStore } from "./store.js";
export type {
  SimulatorEvent,
  SimulatorEventListener,
  SimulatorEventName,
  SimulatorKnobs,
  SimulatorOptions,
  SimulatorRequest,
  SimulatorToken,
} from "./types.js";

export interface Simulator {
  /** API base, e.g. `http://127.0.0.1:4100/v1` (no trailing slash). */
  url: string;
  /** The default plugin token. */
  credentials: { identifier: string; key: string; tier: "plugin" };
  /** Every accepted token. */
  tokens: SimulatorToken[];
  /** The first seeded website, reachable by the default plugin token. */
  defaultWebsiteId: string;
  /** The seeded data (mutable; write routes change it). */
  store: SimulatorStore;
  /** Every request served, in arrival order, refused ones included. */
  requests: SimulatorRequest[];
  clearRequests(): void;
  configure(knobs: Partial<SimulatorKnobs>): void;
  /** Forgets every token's daily request count. */
  resetQuota(): void;
  /**
   * Calls `listener` with every RTM / web hook event a successful write causes (crisp-api.md
   * §5.2 body shape), synchronously before the write's HTTP answer. Returns the unsubscribe
   * function. A listener that throws does not fail the write (a process warning reports it).
   */
  onEvent(listener: SimulatorEventListener): () => void;
  /** Closes the server and every open socket, keep-alive ones included. */
  close(): Promise<void>;
}

/** Starts a simulator. Every option has a default, so `startSimulator({})` is enough. */
export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const {
    seed = 1,
    host = "127.0.0.1",
    port = 0, // any free port
    latencyMs = 0,
    errors = null,
    rateLimit = null,
    dailyQuota = null, // unlimited
    accountPassword = "demo-password",
    messageLimit = 10_000, // CHG 2021-03-16: "in the range of 10,000+ messages"
    now = Date.now,
  } = options;
  const data = generateSeed(seed);
  const tokens = options.tokens ?? data.tokens;
  const plugin = tokens.find((token) => token.tier === "plugin");
  const defaultWebsite = data.websites[0];
  if (plugin === undefined || defaultWebsite === undefined) {
    throw new Error("startSimulator needs at least one plugin token; received none");
  }
  const store = new SimulatorStore(data);
  const events = new SimulatorEventHub();
  const writeRoutes = createWriteRoutes({
    events,
    clock: createWriteClock(now),
    // Its own stream, so created ids repeat per seed whatever the data generator drew.
    ids: new Prng(seed ^ 0x0a11_ad0e),
    tokens,
    accountPassword,
    messageLimit,
  });
  const server = new SimulatorServer({
    store,
    router: new Router([...READ_ROUTES, ...writeRoutes]),
    tokens,
    knobs: { latencyMs, errors, rateLimit, dailyQuota },
    seed,
  });
  const url = await server.listen(host, port);
  return {
    url,
    credentials: { identifier: plugin.identifier, key: plugin.key, tier: "plugin" },
    tokens,
    defaultWebsiteId: defaultWebsite.website.website_id,
    store,
    requests: server.requests,
    clearRequests: () => {
      server.requests.length = 0;
    },
    configure: (knobs) => server.configure(knobs),
    resetQuota: () => server.resetQuota(),
    onEvent: (listener) => events.on(listener),
    close: () => server.close(),
  };
}
