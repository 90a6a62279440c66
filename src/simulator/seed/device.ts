/**
 * A visitor's connection as Crisp reports it in a conversation's `meta` (crisp-api.md §4.4,
 * §7 `conversation-list.json`): shared by the seed and the live activity, so both draw it alike.
 */

import type { WireDevice } from "../payloads.js";
import type { Prng } from "../prng.js";
import type { Place, Platform } from "./data.js";

/** A public-looking IPv4 address. */
export function ipAddress(rng: Prng): string {
  return `${rng.int(1, 223)}.${rng.int(0, 255)}.${rng.int(0, 255)}.${rng.int(1, 254)}`;
}

/** `meta.device` of a visitor at `place` on `platform`. */
export function device(rng: Prng, place: Place, platform: Platform): WireDevice {
  return {
    capabilities: capabilities(rng),
    geolocation: place.geolocation,
    system: {
      os: platform.os,
      engine: platform.engine,
      browser: platform.browser,
      useragent: platform.useragent,
    },
    timezone: place.timezone,
    locales: place.locales,
  };
}

/** What the visitor's chatbox can do (§4.4: `"browsing" | "call"`). */
export function capabilities(rng: Prng): string[] {
  return rng.chance(0.5) ? ["browsing", "call"] : ["call"];
}
