/** The simulator's public types; `index.ts` re-exports them. */

import type { AssumptionsInput } from "./assumptions.js";
import type { RtmEventName, ThrottleStatus, Tier } from "./protocol.js";

/** A credential the simulator accepts, and the websites it reaches. */
export interface SimulatorToken {
  identifier: string;
  key: string;
  tier: Tier;
  /** Websites this token may read; any other existing website answers 404 `not_subscribed`. */
  websiteIds: string[];
}

/** Behaviours that can be changed while the simulator runs (`configure`). */
export interface SimulatorKnobs {
  /**
   * Time from each request's arrival to its answer, ms: it is handled after the first half and
   * answered once the whole has passed (a round trip's two travels). @default 0
   */
  latencyMs: number;
  /**
   * Injected failures: answer `status` (with `reason`, default per status) to a fraction `rate`
   * (0..1) of requests, chosen by a PRNG seeded from the simulator's seed so runs repeat;
   * `match` (tested on the path after `/v1`) limits it to some routes. @default null
   */
  errors: { status: number; rate: number; reason?: string; match?: RegExp } | null;
  /**
   * At most `requests` per `windowMs` per token (a sliding window); beyond it the answer is 429
   * `rate_limited` (or 420 when `status: 420`; `reason` replaces the reason, which Crisp does not
   * document, crisp-api.md §2.2). Refused requests do not use up the window.
   * @default null
   */
  rateLimit: {
    requests: number;
    windowMs: number;
    status?: ThrottleStatus;
    reason?: string;
  } | null;
  /**
   * Requests per token per UTC day before 423 `quota_limit_exceeded`; reset at 00:00 UTC or by
   * `resetQuota()`. @default null (unlimited)
   */
  dailyQuota: number | null;
  /**
   * Where to deliver a web hook for every event (crisp-api.md §5): a plugin hook, signed with
   * `secret` (`X-Crisp-Signature`), or a website hook, unsigned and protected by `?key=<key>`
   * added to `url`. Setting it (or `null`) drops the deliveries still queued for the previous
   * target, retries included. @default null (no hooks)
   */
  hooks: SimulatorHooks | null;
  /**
   * Live demo activity: every `intervalMs`, one random visitor or operator action on
   * `websiteId` (default: the default website), through the write routes' code, so it emits
   * events and hooks and shows in reads. Drawn from a PRNG seeded from the simulator's seed.
   * @default null (no activity)
   */
  liveActivity: SimulatorLiveActivity | null;
  /**
   * What the simulator assumes where Crisp documents nothing (`assumptions.ts`, every knob
   * listed in docs/simulator.md): page sizes, batch size, end-of-list status, reasons, hook
   * timing... `configure` merges what it is given into the assumptions in force (nested objects
   * key by key) and throws, changing nothing, on a value outside a knob's contract.
   * @default DEFAULT_ASSUMPTIONS
   */
  assumptions: AssumptionsInput;
}

/** A web hook target (crisp-api.md §5.1): plugin hooks are signed, website hooks are not. */
export type SimulatorHooks =
  | { url: string; kind: "plugin"; secret: string }
  | { url: string; kind: "website"; key: string };

/** See `SimulatorKnobs.liveActivity`. */
export interface SimulatorLiveActivity {
  intervalMs: number;
  /** @default the default website */
  websiteId?: string;
}

/** One web hook delivery attempt, as `Simulator.hookDeliveries` keeps it. */
export interface SimulatorHookDelivery {
  event: SimulatorEventName;
  /** The configured hook URL (for website hooks, without the `?key=` added to it). */
  url: string;
  /** 1, 2, 3: the `X-Delivery-Attempt-Count` sent. */
  attempt: number;
  /** The receiver's HTTP status; 0 on a network error or a timeout. */
  status: number;
  /** When the attempt was sent, ms since epoch. */
  at: number;
}

export interface SimulatorOptions extends Partial<SimulatorKnobs> {
  /** Seed of every generated id, name and timestamp. @default 1 */
  seed?: number;
  /** @default "127.0.0.1" */
  host?: string;
  /** @default 0 (any free port) */
  port?: number;
  /**
   * Accepted credentials. `POST /website` adds the new website to the calling user token's
   * `websiteIds` and `DELETE /website/{id}` removes it from every token, so these objects change.
   * @default one plugin token and one user token derived from the seed
   */
  tokens?: SimulatorToken[];
  /**
   * The account secret `DELETE /website/{id}` accepts in `verify.secret`, whatever the
   * `verify.method` (password, token or google) [I]. @default "demo-password"
   */
  accountPassword?: string;
  /**
   * Messages a conversation may hold; sending one more answers 409 `too_many_messages`
   * (CHG 2021-03-16: "in the range of 10,000+ messages"). @default 10_000
   */
  messageLimit?: number;
  /**
   * The clock of write routes (ms since epoch). Write timestamps never go back and never fall
   * before the seed anchor, so written data always sorts after seeded data. @default Date.now
   */
  now?: () => number;
}

/** One served request, as the request log keeps it. */
export interface SimulatorRequest {
  method: string;
  /** Path after the `/v1` prefix, e.g. `/website/<id>/conversations/1`. */
  path: string;
  query: Record<string, string>;
  /** `path` plus `?` and the raw query when there is one. */
  url: string;
  /** Final HTTP status (0 while the request is still in flight). */
  status: number;
  /** Envelope reason of the answer (also for HEAD, which sends no body). */
  reason: string | null;
  /** The `X-Crisp-Tier` header as sent. */
  tier: string | null;
  /** Arrival time, ms since epoch. */
  at: number;
  /**
   * Place of its arrival on the server's one sequence of arrivals and answers: a request
   * whose `arrived` is past another's `answered` was sent after that answer came (it may
   * depend on it), whatever the clock says.
   */
  arrived: number;
  /** Place of its answer on the same sequence (0 while it is in flight). */
  answered: number;
  /** The parsed JSON request body; absent when there was none or it was not JSON. */
  body?: unknown;
}

/**
 * Where a logged request stands: `arrived` as it is logged (before latency and refusals),
 * `answered` once its answer is written, `abandoned` when the caller closed the connection
 * before an answer (a client that timed out or gave up).
 */
export type SimulatorRequestStage = "arrived" | "answered" | "abandoned";

/** Told about every request at each stage; tests await these instead of sleeping. */
export type SimulatorRequestListener = (
  request: SimulatorRequest,
  stage: SimulatorRequestStage,
) => void;

/** The RTM / web hook events the write routes cause (crisp-api.md §5.5). */
export type SimulatorEventName = RtmEventName;

/**
 * One event, shaped as the body of the web hook Crisp would POST for it (crisp-api.md §5.2):
 * `data` repeats `website_id` (and, for session and message events, `session_id` and a nullable
 * `inbox_id`, §5.5).
 */
export interface SimulatorEvent {
  event: SimulatorEventName;
  website_id: string;
  data: Record<string, unknown>;
  /** When the write happened, ms since epoch (the write clock, see `SimulatorOptions.now`). */
  timestamp: number;
}

export type SimulatorEventListener = (event: SimulatorEvent) => void;
