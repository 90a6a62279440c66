import { createHmac, timingSafeEqual } from "node:crypto";

/**
 * Verification of Crisp web hooks (crisp-api.md §5). Plugin hooks are signed:
 * `X-Crisp-Signature` is the lower-case hex HMAC-SHA256, keyed with the plugin's hook secret,
 * of `[<X-Crisp-Request-Timestamp>;<raw body>]`. Website hooks are not signed; Crisp's advice
 * is a secret `?key=` in the hook URL.
 */

export type HookCheck = { ok: true } | { ok: false; status: 400 | 401 | 403; message: string };

/**
 * How far a hook's timestamp may be from now, either way, by default (CRISP_HOOK_WINDOW_MS).
 * Neither official SDK checks freshness, and nothing says a retry carries a new timestamp:
 * the window must cover Crisp's whole retry schedule (undocumented), or a late retry is
 * refused forever. Replays inside it are caught by the redelivery check, whose memory lasts
 * twice the window (docs/configuration.md).
 */
export const HOOK_TIMESTAMP_WINDOW_MS = 60 * 60_000; // 1 hour

/**
 * Crisp does not document the header's unit (crisp-api.md §5.2): a value of 10^12 or more
 * can only be milliseconds (10^12 seconds is in the year 33658), anything smaller seconds.
 */
export function hookTimestampMs(header: string): number | null {
  if (!/^\d{1,16}$/.test(header)) {
    return null;
  }
  const value = Number(header);
  return value >= 1e12 ? value : value * 1000;
}

export function signHook(secret: string, timestamp: string, rawBody: Buffer | string): string {
  return createHmac("sha256", secret)
    .update(`[${timestamp};`)
    .update(rawBody)
    .update("]")
    .digest("hex");
}

export interface PluginHookInput {
  secret: string;
  timestamp: string | undefined;
  signature: string | undefined;
  rawBody: Buffer;
  now?: number;
  /** How far the timestamp may be from `now`, either way, ms. @default HOOK_TIMESTAMP_WINDOW_MS */
  windowMs?: number;
}

export function verifyPluginHook({
  secret,
  timestamp,
  signature,
  rawBody,
  now = Date.now(),
  windowMs = HOOK_TIMESTAMP_WINDOW_MS,
}: PluginHookInput): HookCheck {
  if (timestamp === undefined || timestamp === "") {
    return { ok: false, status: 400, message: "Missing X-Crisp-Request-Timestamp header." };
  }
  if (signature === undefined || signature === "") {
    return { ok: false, status: 401, message: "Missing X-Crisp-Signature header." };
  }
  const at = hookTimestampMs(timestamp);
  if (at === null) {
    return { ok: false, status: 400, message: "X-Crisp-Request-Timestamp is not a timestamp." };
  }
  if (Math.abs(now - at) > windowMs) {
    return {
      ok: false,
      status: 401,
      message: `X-Crisp-Request-Timestamp is more than ${describeWindow(windowMs)} from now: refused as stale or replayed.`,
    };
  }
  if (!/^[0-9a-f]{64}$/i.test(signature)) {
    return {
      ok: false,
      status: 400,
      message: "X-Crisp-Signature must be 64 hexadecimal characters (an HMAC-SHA256).",
    };
  }
  const expected = Buffer.from(signHook(secret, timestamp, rawBody), "hex");
  if (!timingSafeEqual(expected, Buffer.from(signature, "hex"))) {
    return { ok: false, status: 401, message: "X-Crisp-Signature does not match the body." };
  }
  return { ok: true };
}

/** Website hooks carry the configured key in `?key=`; compared in constant time. */
export function verifyWebsiteHook(configuredKey: string, givenKey: string | null): HookCheck {
  if (givenKey === null || givenKey === "") {
    return { ok: false, status: 401, message: "Unsigned hook without ?key=." };
  }
  const expected = Buffer.from(configuredKey);
  const given = Buffer.from(givenKey);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
    return { ok: false, status: 403, message: "The hook key does not match." };
  }
  return { ok: true };
}

/** "5 minutes", "1 hour", "90 seconds": the window as its refusal states it. */
function describeWindow(ms: number): string {
  const unit = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;
  if (ms % 3_600_000 === 0) {
    return unit(ms / 3_600_000, "hour");
  }
  if (ms % 60_000 === 0) {
    return unit(ms / 60_000, "minute");
  }
  return unit(Math.round(ms / 1000), "second");
}
