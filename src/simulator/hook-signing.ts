/**
 * What a web hook request is made of (crisp-api.md §5.2, §5.3): its exact body bytes, its
 * signature and its URL. Pure functions, so a test can check them against a value computed by
 * hand.
 */

import { createHmac } from "node:crypto";
import type { SimulatorEvent, SimulatorHooks } from "./types.js";

/**
 * The hook body exactly as sent and signed: compact JSON in Crisp's key order (§5.2), since
 * Crisp's Node library verifies against `JSON.stringify(parsedBody)` (§5.3).
 */
export function hookBody(event: SimulatorEvent): string {
  return JSON.stringify({
    website_id: event.website_id,
    event: event.event,
    data: event.data,
    timestamp: event.timestamp,
  });
}

/**
 * `X-Crisp-Signature`: lower-case hex HMAC-SHA256, keyed with the plugin's hook secret, of
 * `[<timestamp header verbatim>;<raw body>]` (§5.3 [V D-WH, NODE, GO]).
 */
export function signHook(secret: string, timestamp: string, body: string): string {
  return createHmac("sha256", secret).update(`[${timestamp};${body}]`).digest("hex");
}

/** Where a hook is POSTed: website hooks get `key=<key>` added to the URL's query (§5.1). */
export function hookTarget(hooks: SimulatorHooks): string {
  const url = new URL(hooks.url);
  url.hash = "";
  if (hooks.kind === "website") {
    const key = `key=${encodeURIComponent(hooks.key)}`;
    // Appended to the raw query rather than via searchParams, which would re-encode it.
    url.search = url.search === "" || url.search === "?" ? `?${key}` : `${url.search}&${key}`;
  }
  return url.href;
}

/** Throws, stating the contract, when `hooks` cannot be delivered to. */
export function checkHooks(hooks: SimulatorHooks | null): void {
  if (hooks === null) {
    return;
  }
  let protocol: string;
  try {
    protocol = new URL(hooks.url).protocol;
  } catch {
    throw new Error(
      `hooks.url must be an absolute http(s) URL; received ${JSON.stringify(hooks.url)}`,
    );
  }
  if (protocol !== "http:" && protocol !== "https:") {
    throw new Error(`hooks.url must be an http(s) URL; received protocol ${protocol}`);
  }
  // Checked at run time too: the demo may build this from untyped configuration.
  const kind: unknown = hooks.kind;
  if (kind !== "plugin" && kind !== "website") {
    throw new Error(`hooks.kind must be "plugin" or "website"; received ${String(kind)}`);
  }
  const credential: unknown = hooks.kind === "plugin" ? hooks.secret : hooks.key;
  if (typeof credential !== "string" || credential === "") {
    const name = hooks.kind === "plugin" ? "secret" : "key";
    throw new Error(`hooks.${name} must be a non-empty string for ${hooks.kind} hooks`);
  }
}
