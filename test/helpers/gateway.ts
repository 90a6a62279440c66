import { createGateway, type Gateway, type GatewayOptions } from "../../src/server.js";
import {
  type Simulator,
  type SimulatorOptions,
  type SimulatorRequest,
  type SimulatorRequestStage,
  startSimulator,
} from "../../src/simulator/index.js";
import { afterThis } from "./cleanup.js";

export interface GraphQLResponse<T = Record<string, unknown>> {
  data?: T | null;
  errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, unknown> }[];
  extensions?: Record<string, unknown>;
}

export interface TestGateway {
  simulator: Simulator;
  gateway: Gateway;
  /**
   * Runs an operation through Yoga's fetch (no port), as a client would send it, with extra
   * request headers when given (e.g. `authorization`).
   */
  query<T = Record<string, unknown>>(
    query: string,
    variables?: Record<string, unknown>,
    headers?: Record<string, string>,
  ): Promise<GraphQLResponse<T>>;
  /** The Crisp requests the simulator served since the last call, as `METHOD /path?query`. */
  takeRequests(): string[];
  /** The same, each with the JSON body it carried (what a write sent). */
  takeWrites(): { request: string; body: unknown }[];
}

/**
 * A gateway wired to a fresh simulator, both closed after the test that made them (after the
 * file, when made outside a test: `afterThis`). The simulator is
 * the real HTTP server, so every request crosses a socket as it would with Crisp.
 */
export async function startTestGateway(
  simulatorOptions: SimulatorOptions = {},
  gatewayOptions: TestGatewayOptions = {},
): Promise<TestGateway> {
  const simulator = await startSimulator({ seed: 1, ...simulatorOptions });
  afterThis(() => simulator.close());
  const gateway = gatewayOn(simulator, {
    demo: true,
    dailyQuota: 5_000,
    // These tests count what one operation costs, and inject Crisp failures one after the
    // other on one gateway; the shared cache, backoff and breaker have their own tests.
    cache: false,
    guard: LENIENT_GUARD,
    // Many operations from one test client; the per-client limit has its own tests.
    operationsPerMinute: 0,
    ...gatewayOptions,
  });
  return {
    simulator,
    gateway,
    async query<T>(
      query: string,
      variables?: Record<string, unknown>,
      headers: Record<string, string> = {},
    ) {
      const response = await gateway.yoga.fetch("http://gateway.test/graphql", {
        method: "POST",
        headers: {
          "content-type": "application/json",
          accept: "application/graphql-response+json",
          ...headers,
        },
        body: JSON.stringify({ query, variables }),
      });
      return (await response.json()) as GraphQLResponse<T>;
    },
    takeRequests() {
      const served = simulator.requests.map((request) => `${request.method} ${request.url}`);
      simulator.clearRequests();
      return served;
    },
    takeWrites() {
      const served = simulator.requests.map((request) => ({
        request: `${request.method} ${request.url}`,
        body: request.body,
      }));
      simulator.clearRequests();
      return served;
    },
  };
}

/** The code of a response's first error, if any. */
export const errorCode = (response: GraphQLResponse): unknown =>
  response.errors?.[0]?.extensions?.code;

/** A guard that forgets a throttle within a millisecond and never opens its breaker. */
export const LENIENT_GUARD = { backoffBaseMs: 1, backoffMaxMs: 1, breakerThreshold: 1_000_000 };

/** Order-insensitive view of a request list: parallel loads may reach Crisp in any order. */
export function sorted(requests: string[]): string[] {
  return [...requests].sort();
}

/** Runs an operation against any gateway through Yoga's fetch. */
export async function queryGateway<T = Record<string, unknown>>(
  gateway: Gateway,
  query: string,
  variables?: Record<string, unknown>,
): Promise<GraphQLResponse<T>> {
  const response = await gateway.yoga.fetch("http://gateway.test/graphql", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ query, variables }),
  });
  return (await response.json()) as GraphQLResponse<T>;
}

/** A second gateway on the same simulator holding its user-tier token (stopped as `gatewayOn`'s). */
export function userTierGateway(simulator: Simulator): Gateway {
  const token = simulator.tokens.find((candidate) => candidate.tier === "user");
  if (token === undefined) {
    throw new Error("the simulator has no user-tier token");
  }
  return gatewayOn(simulator, {
    crisp: { identifier: token.identifier, key: token.key, tier: "user" },
    guard: LENIENT_GUARD,
  });
}

/** Gateway options where `crisp` may name only what differs from the simulator's own. */
export type TestGatewayOptions = Omit<Partial<GatewayOptions>, "crisp"> & {
  crisp?: Partial<GatewayOptions["crisp"]>;
};

/**
 * The one place tests build a gateway: on `simulator` (its URL, default plugin token and first
 * website unless `options` say otherwise), with the gateway's own defaults for everything
 * else, stopped after the current test when made inside one, else after the file (`afterThis`).
 */
export function gatewayOn(simulator: Simulator, options: TestGatewayOptions = {}): Gateway {
  const { crisp, ...rest } = options;
  const gateway = createGateway({
    defaultWebsiteId: simulator.defaultWebsiteId,
    ...rest,
    crisp: { baseUrl: simulator.url, ...simulator.credentials, ...crisp },
  });
  afterThis(() => gateway.stop());
  return gateway;
}

/**
 * Resolves with the next request the simulator reports at `stage` (and matching `accept`):
 * call it before causing the request, then await it instead of sleeping.
 */
export function nextRequest(
  simulator: Simulator,
  stage: SimulatorRequestStage,
  accept: (request: SimulatorRequest) => boolean = () => true,
): Promise<SimulatorRequest> {
  return new Promise((resolve) => {
    const stop = simulator.onRequest((request, seen) => {
      if (seen === stage && accept(request)) {
        stop();
        resolve(request);
      }
    });
  });
}

/**
 * Resolves once `count` more requests reached `stage` at the simulator: call it before causing
 * them (e.g. background refreshes), then await it instead of sleeping.
 */
export function requestsAt(
  simulator: Simulator,
  stage: SimulatorRequestStage,
  count: number,
): Promise<void> {
  let seen = 0;
  return new Promise((resolve) => {
    const stop = simulator.onRequest((_request, at) => {
      if (at === stage && ++seen >= count) {
        stop();
        resolve();
      }
    });
  });
}
