/**
 * The embedded Crisp simulator: a real HTTP server answering Crisp's REST API v1 read and write
 * routes with seeded, deterministic data, plus knobs for latency, failures, rate limits and
 * quotas, the RTM / web hook events writes cause, their delivery as signed web hooks
 * (`hooks.ts`) and optional live demo activity (`live-activity.ts`).
 */

import { type CrispAssumptions, DEFAULT_ASSUMPTIONS, mergeAssumptions } from "./assumptions.js";
import { createWriteClock, type SimulatorEnvironment } from "./environment.js";
import { SimulatorEventHub } from "./events.js";
import { checkHooks } from "./hook-signing.js";
import { HookSender } from "./hooks.js";
import { LiveActivity } from "./live-activity.js";
import { setPluginInstalled } from "./mutations.js";
import { Prng } from "./prng.js";
import { Router } from "./router.js";
import { createRoutes } from "./routes/index.js";
import { type RtmAuthentication, RtmServer } from "./rtm.js";
import { generateSeed } from "./seed/index.js";
import { SimulatorServer } from "./server.js";
import { SimulatorStore } from "./store.js";
import type {
  SimulatorEventListener,
  SimulatorHookDelivery,
  SimulatorKnobs,
  SimulatorOptions,
  SimulatorRequest,
  SimulatorRequestListener,
  SimulatorToken,
} from "./types.js";

export {
  type Answer,
  type AssumptionsInput,
  type CrispAssumptions,
  DEFAULT_ASSUMPTIONS,
} from "./assumptions.js";
export { hookBody, hookTarget, signHook } from "./hook-signing.js";
export { HOOK_ATTEMPT_LIMIT } from "./hooks.js";
export type { LiveAction } from "./live-activity.js";

export type * from "./payloads.js";
export {
  CONVERSATION_STATUS,
  MESSAGE_TYPES,
  PER_PAGE,
  Reason,
  RtmEvent,
  type RtmEventName,
  RtmMessage,
  Status,
  type Tier,
} from "./protocol.js";
export { roundTrips } from "./round-trips.js";
export type { RtmAuthentication } from "./rtm.js";
export { SEED_ANCHOR } from "./seed/data.js";
export type {
  ConversationQuery,
  PeopleQuery,
  PersonConversationsQuery,
  WebsiteRecord,
} from "./store.js";
export { SimulatorStore } from "./store.js";
export type {
  SimulatorEvent,
  SimulatorEventListener,
  SimulatorEventName,
  SimulatorHookDelivery,
  SimulatorHooks,
  SimulatorKnobs,
  SimulatorLiveActivity,
  SimulatorOptions,
  SimulatorRequest,
  SimulatorRequestListener,
  SimulatorRequestStage,
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
  /**
   * Calls `listener` as each request arrives, is answered, or is abandoned by its caller (see
   * `SimulatorRequestStage`). Returns the unsubscribe function. Await these instead of sleeping
   * for a request to reach the simulator.
   */
  onRequest(listener: SimulatorRequestListener): () => void;
  /** Changes knobs while running; a bad value throws and changes nothing. */
  configure(knobs: Partial<SimulatorKnobs>): void;
  /** The assumptions in force (see `SimulatorKnobs.assumptions`), a frozen copy. */
  readonly assumptions: Readonly<CrispAssumptions>;
  /** Forgets every token's daily request count. */
  resetQuota(): void;
  /**
   * Calls `listener` with every RTM / web hook event a successful write causes (crisp-api.md
   * §5.2 body shape), synchronously before the write's HTTP answer. Returns the unsubscribe
   * function. A listener that throws does not fail the write (a process warning reports it).
   */
  onEvent(listener: SimulatorEventListener): () => void;
  /**
   * The 16-hex plugin id plugin hooks name in `X-Crisp-Hook-Origin`
   * (`plugin/rtm <pluginId> production`); derived from the seed.
   */
  pluginId: string;
  /**
   * Installs the plugin on a website (`true`) or removes it (`false`), as a website owner does
   * in Crisp's Marketplace: every plugin token then reaches the website or stops reaching it
   * (404 `not_subscribed`), `/plugin/connect/websites/all` lists it or not, and
   * `plugin:subscription:updated` `{ plugin_id, bound, target }` is emitted (and delivered as a
   * hook). Removing it forgets its settings. Nothing happens when it is already so; an unknown
   * website throws.
   */
  setPluginInstalled(websiteId: string, installed: boolean): void;
  /**
   * The RTM API (crisp-api.md §6, `rtm.ts`): a Socket.IO server that `/…/connect/endpoints`
   * names, sending every event it also delivers as a hook to the sockets that authenticated
   * and asked for it.
   */
  rtm: {
    /** `socket.app`: where clients connect. */
    url: string;
    /** Sockets connected now, and authenticated now. */
    readonly connected: number;
    readonly authenticated: number;
    /** Every `authentication` answered, oldest first. */
    authentications: RtmAuthentication[];
    /** Calls `listener` on every later answer; returns the unsubscribe. */
    onAuthentication(listener: (authentication: RtmAuthentication) => void): () => void;
    /**
     * Calls `listener` with the token identifier after every later `socket:bind` of an
     * authenticated socket is applied; returns the unsubscribe.
     */
    onBind(listener: (username: string) => void): () => void;
    /** Drops every connection as a network failure would: clients reconnect on their own. */
    drop(): void;
  };
  /** Every web hook delivery attempt (see `SimulatorKnobs.hooks`), oldest first. */
  hookDeliveries: SimulatorHookDelivery[];
  clearHookDeliveries(): void;
  /**
   * Calls `listener` after each delivery attempt is logged in `hookDeliveries` (a failed one
   * included); returns the unsubscribe function.
   */
  onHookDelivery(listener: (delivery: SimulatorHookDelivery) => void): () => void;
  /**
   * Resolves once no hook is queued, in flight or waiting for a retry: await it after a write
   * instead of sleeping. Events are queued before a write answers, so its hooks are included.
   */
  hooksIdle(): Promise<void>;
  /**
   * Stops live activity, drops pending hook deliveries (aborting the one in flight) and closes
   * the server and every open socket, keep-alive ones included. No timer survives it.
   */
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
    hooks = null,
    liveActivity = null,
    assumptions: assumptionsInput = {},
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
  const pluginId = new Prng(seed ^ 0x0b0c_4a11).hex(16);
  const env: SimulatorEnvironment = {
    events,
    clock: createWriteClock(now),
    // Its own stream, so created ids repeat per seed whatever the data generator drew.
    ids: new Prng(seed ^ 0x0a11_ad0e),
    tokens,
    accountPassword,
    messageLimit,
    pluginId,
    assumptions: mergeAssumptions(DEFAULT_ASSUMPTIONS, assumptionsInput),
    rtmUrl: "",
  };
  const current = (): CrispAssumptions => env.assumptions;
  const hookSender = new HookSender({ pluginId, assumptions: current });
  hookSender.configure(hooks);
  const stopHooks = events.on((event) => hookSender.enqueue(event));
  const rtm = new RtmServer(tokens);
  const stopRtm = events.on((event) => rtm.emit(event));
  const activity = new LiveActivity({
    store,
    write: env,
    // Its own stream: activity never shifts the ids the write routes create.
    rng: new Prng(seed ^ 0x11fe_ac71),
    defaultWebsiteId: defaultWebsite.website.website_id,
  });
  activity.check(liveActivity);
  const server = new SimulatorServer({
    store,
    router: new Router(createRoutes(env)),
    tokens,
    knobs: { latencyMs, errors, rateLimit, dailyQuota },
    seed,
    assumptions: current,
  });
  const url = await server.listen(host, port);
  env.rtmUrl = await rtm.listen(host);
  activity.configure(liveActivity);
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
    onRequest: (listener) => server.onRequest(listener),
    get assumptions() {
      return Object.freeze({ ...env.assumptions });
    },
    configure: (knobs) => {
      const {
        hooks: newHooks,
        liveActivity: newActivity,
        assumptions: newAssumptions,
        ...serverKnobs
      } = knobs;
      // All checked first, so a bad setting changes nothing.
      if (newHooks !== undefined) {
        checkHooks(newHooks);
      }
      if (newActivity !== undefined) {
        activity.check(newActivity);
      }
      const nextAssumptions =
        newAssumptions === undefined
          ? env.assumptions
          : mergeAssumptions(env.assumptions, newAssumptions);
      env.assumptions = nextAssumptions;
      if (newHooks !== undefined) {
        hookSender.configure(newHooks);
      }
      if (newActivity !== undefined) {
        activity.configure(newActivity);
      }
      server.configure(serverKnobs);
    },
    resetQuota: () => server.resetQuota(),
    onEvent: (listener) => events.on(listener),
    pluginId,
    setPluginInstalled: (websiteId, installed) =>
      setPluginInstalled(env, store, websiteId, installed),
    rtm: {
      url: env.rtmUrl,
      get connected() {
        return rtm.connected;
      },
      get authenticated() {
        return rtm.authenticated;
      },
      authentications: rtm.authentications,
      onAuthentication: (listener) => rtm.onAuthentication(listener),
      onBind: (listener) => rtm.onBind(listener),
      drop: () => rtm.drop(),
    },
    hookDeliveries: hookSender.deliveries,
    clearHookDeliveries: () => hookSender.clearDeliveries(),
    onHookDelivery: (listener) => hookSender.onAttempt(listener),
    hooksIdle: () => hookSender.idle(),
    close: async () => {
      activity.stop();
      stopHooks();
      stopRtm();
      await hookSender.close();
      await rtm.close();
      await server.close();
    },
  };
}
