/**
 * Write calls for black-box simulator tests: a JSON body (or raw text, to send broken JSON)
 * with the same Basic auth + X-Crisp-Tier as `simulator-client.ts`.
 */

import { onTestFinished } from "vitest";
import type { Simulator, SimulatorEvent, WireEnvelope } from "../../src/simulator/index.js";
import { authHeaders, type Credentials, type CrispReply } from "./simulator-client.js";

export interface WriteCall {
  /** Sent as JSON; a `{ raw }` object is sent verbatim. `undefined` sends no body. */
  body?: unknown;
  /** @default the plugin credentials */
  auth?: Credentials;
}

/** Calls `method path` (after `/v1`) on the simulator with a JSON body. */
export async function crispWrite<T = unknown>(
  simulator: Simulator,
  method: "POST" | "PUT" | "PATCH" | "DELETE",
  path: string,
  call: WriteCall = {},
): Promise<CrispReply<T>> {
  const { body, auth = simulator.credentials } = call;
  const raw =
    typeof body === "object" && body !== null && "raw" in body && typeof body.raw === "string"
      ? body.raw
      : undefined;
  const text = raw ?? (body === undefined ? undefined : JSON.stringify(body));
  const response = await fetch(`${simulator.url}${path}`, {
    method,
    headers: {
      ...authHeaders(auth),
      ...(text === undefined ? {} : { "content-type": "application/json" }),
    },
    ...(text === undefined ? {} : { body: text }),
  });
  const answer = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    text: answer,
    body: answer === "" ? undefined : (JSON.parse(answer) as WireEnvelope<T>),
  };
}

/** The user token of a simulator (it reaches every website and may create or delete them). */
export function userToken(simulator: Simulator): Credentials {
  const token = simulator.tokens.find((item) => item.tier === "user");
  if (token === undefined) {
    throw new Error("userToken needs a simulator with a user token; it has none");
  }
  return { identifier: token.identifier, key: token.key, tier: "user" };
}

/** The path of the simulator's default website, below `/v1`. */
export function websitePath(simulator: Simulator): string {
  return `/website/${simulator.defaultWebsiteId}`;
}

/** Creates a conversation on the default website (201, or it throws); its session id. */
export async function newConversation(simulator: Simulator): Promise<string> {
  const reply = await crispWrite<{ session_id: string }>(
    simulator,
    "POST",
    `${websitePath(simulator)}/conversation`,
  );
  const sessionId = reply.body?.data.session_id;
  if (reply.status !== 201 || sessionId === undefined) {
    throw new Error(`creating a conversation answered ${reply.status}: ${reply.text}`);
  }
  return sessionId;
}

/** Every event the simulator emits from now on, until the current test ends. */
export function recordEvents(simulator: Simulator): SimulatorEvent[] {
  const events: SimulatorEvent[] = [];
  onTestFinished(simulator.onEvent((event) => events.push(event)));
  return events;
}
