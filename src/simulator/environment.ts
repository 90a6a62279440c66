/**
 * What the routes and the live activity share: the event hub, the write clock, the id stream,
 * the tokens and the limits. One object per simulator, built by `startSimulator`.
 */

import type { CrispAssumptions } from "./assumptions.js";
import type { SimulatorEventHub } from "./events.js";
import type { Prng } from "./prng.js";
import { SEED_ANCHOR } from "./seed/data.js";
import type { SimulatorToken } from "./types.js";

export interface SimulatorEnvironment {
  events: SimulatorEventHub;
  /** Strictly increasing ms timestamps, never before the seed anchor (`createWriteClock`). */
  clock: () => number;
  /** Ids of created websites, conversations and profiles (deterministic per seed). */
  ids: Prng;
  /** Every accepted token: deleting a website unbinds it from all of them. */
  tokens: SimulatorToken[];
  accountPassword: string;
  messageLimit: number;
  /** The plugin's id: what `/plugin/connect/account` answers and plugin hooks name. */
  pluginId: string;
  /**
   * What the simulator assumes where Crisp documents nothing. Replaced as a whole by
   * `configure({ assumptions })`, so read it when answering, never keep a copy.
   */
  assumptions: CrispAssumptions;
  /** Where the RTM Socket.IO server listens (`socket.app` of `/…/connect/endpoints`). */
  rtmUrl: string;
}

/**
 * A write clock on top of `now`: each call answers a later ms than the one before, and never
 * one before the seed anchor, so written data always sorts after the seeded data.
 */
export function createWriteClock(now: () => number): () => number {
  let last = 0;
  return () => {
    last = Math.max(now(), SEED_ANCHOR, last + 1);
    return last;
  };
}
