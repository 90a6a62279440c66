import { afterAll } from "vitest";
import { createGateway, type Gateway, type GatewayOptions } from "../../src/server.js";
import {
  type Simulator,
  type SimulatorOptions,
  startSimulator,
} from "../../src/simulator/index.js";

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
}

/**
 * A gateway wired to a fresh simulator, both closed after the file's tests. The simulator is
 * the real HTTP server, so every request crosses a socket as it would with Crisp.
 */
export async function startTestGateway(
  simulatorOptions: SimulatorOptions = {},
  gatewayOptions: Partial<GatewayOptions> = {},
): Promise<TestGateway> {
  const simulator = await startSimulator({ seed: 1, ...simulatorOptions });
  const gateway = createGateway({
    crisp: { baseUrl: simulator.url, ...simulator.credentials },
    defaultWebsiteId: simulator.defaultWebsiteId,
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
  afterAll(async () => {
    await gateway.stop();
    await simulator.close();
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
  };
}

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

/** A second gateway on the same simulator holding its user-tier token, stopped after the file. */
export function userTierGateway(simulator: Simulator): Gateway {
  const token = simulator.tokens.find((candidate) => candidate.tier === "user");
  if (token === undefined) {
    throw new Error("the simulator has no user-tier token");
  }
  const gateway = createGateway({
    crisp: { baseUrl: simulator.url, identifier: token.identifier, key: token.key, tier: "user" },
    defaultWebsiteId: simulator.defaultWebsiteId,
    guard: LENIENT_GUARD,
  });
  afterAll(() => gateway.stop());
  return gateway;
}
