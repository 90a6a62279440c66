/**
 * A tiny HTTP client for black-box simulator tests: it speaks to the simulator the way a
 * Crisp client does (Basic auth + X-Crisp-Tier) and hands back status, headers and the body.
 */

import type { Simulator, WireEnvelope } from "../../src/simulator/index.js";

export interface Credentials {
  identifier: string;
  key: string;
  tier: string;
}

export interface CrispCall {
  method?: string;
  query?: Record<string, string | number>;
  /** `null` sends no Authorization and no X-Crisp-Tier. @default the plugin credentials */
  auth?: Credentials | null;
}

export interface CrispReply<T> {
  status: number;
  headers: Headers;
  text: string;
  body: WireEnvelope<T> | undefined;
}

export function authHeaders(auth: Credentials): Record<string, string> {
  const basic = Buffer.from(`${auth.identifier}:${auth.key}`).toString("base64");
  return { authorization: `Basic ${basic}`, "x-crisp-tier": auth.tier };
}

/** Calls `path` (after `/v1`) on the simulator. */
export async function crisp<T = unknown>(
  simulator: Simulator,
  path: string,
  call: CrispCall = {},
): Promise<CrispReply<T>> {
  const { method = "GET", query = {}, auth = simulator.credentials } = call;
  const search = new URLSearchParams(
    Object.entries(query).map(([name, value]) => [name, String(value)]),
  ).toString();
  const response = await fetch(`${simulator.url}${path}${search === "" ? "" : `?${search}`}`, {
    method,
    headers: auth === null ? {} : authHeaders(auth),
  });
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    text,
    body: text === "" ? undefined : (JSON.parse(text) as WireEnvelope<T>),
  };
}

/** The data of a successful call, failing loudly with the status otherwise. */
export async function crispData<T>(
  simulator: Simulator,
  path: string,
  call: CrispCall = {},
): Promise<T> {
  const reply = await crisp<T>(simulator, path, call);
  if (reply.body === undefined || reply.body.error) {
    throw new Error(`${path} answered ${reply.status} ${reply.text}`);
  }
  return reply.body.data;
}
