/**
 * Crisp's protocol constants as the simulator believes them: statuses, envelope reasons, token
 * tiers, list bounds and event names. Each is copied from our reference (`../shared/crisp-api.md`,
 * section and confidence tag beside it: [V] verified, [L] from an official library, [I] inferred)
 * and never imported from the gateway's client (`src/crisp`), so the two can disagree and a test
 * can tell. What the reference only infers is not fixed here but a knob (`assumptions.ts`); the
 * values below marked [I] are the names those knobs default to.
 */

/** HTTP statuses the simulator answers. */
export const Status = {
  OK: 200,
  /** `POST /website` answers 201 `added` (§2.1 [V BP]). */
  CREATED: 201,
  /** What we answer a sent message (§4.6 [I]: "dispatched, probably 202"). */
  ACCEPTED: 202,
  /** A listed page (§2.1 [V BP]); `/messages` while older messages remain (§4.6 [V R16]). */
  PARTIAL_CONTENT: 206,
  /** `invalid_data` (§2.2: reason [V QS2021], status [I]). */
  BAD_REQUEST: 400,
  /** Bad credentials or a route the tier may not use (§2.2 [V N42]). */
  UNAUTHORIZED: 401,
  /** `subscription_upgrade_required` (§2.2 [V BP]). */
  PAYMENT_REQUIRED: 402,
  /** `not_allowed` (§2.2 [V BP]). */
  FORBIDDEN: 403,
  /** `not_subscribed`, `website_not_found` (§2.2 [V BP, N31]). */
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  /** `too_many_messages` (§2.2 [V CHG 2021-03-16]). */
  CONFLICT: 409,
  /** "420 Enhance Your Calm", one of the two rate-limit statuses (§3 [V D-RATE]). */
  ENHANCE_YOUR_CALM: 420,
  /** `quota_limit_exceeded`, `password_unverified` (§2.2 [V BP]). */
  LOCKED: 423,
  /** "429 Too Many Requests", the other rate-limit status (§3 [V D-RATE]). */
  TOO_MANY_REQUESTS: 429,
  INTERNAL_SERVER_ERROR: 500,
  BAD_GATEWAY: 502,
  SERVICE_UNAVAILABLE: 503,
} as const;

/** The two statuses a rate limiter answers (§3 [V D-RATE]). */
export type ThrottleStatus = typeof Status.TOO_MANY_REQUESTS | typeof Status.ENHANCE_YOUR_CALM;

/** Envelope `reason` strings (§2). */
export const Reason = {
  /** `GET /website/{id}` (§2.1 [V BP]); by analogy every single-object read [I]. */
  RESOLVED: "resolved",
  /** A list page (§2.1 [V BP]). */
  LISTED: "listed",
  /** `POST /website` (§2.1 [V BP]); conversation and profile creation by analogy [I]. */
  ADDED: "added",
  /** `DELETE /website/{id}` (§2.1 [V BP]); other deletions by analogy [I]. */
  DELETED: "deleted",
  /** PATCH and PUT routes (§2.1 [I]). */
  UPDATED: "updated",
  /** A sent message (§4.6 [I]). */
  DISPATCHED: "dispatched",
  /** A HEAD check that found its object: no body is sent, the log keeps it (§2.1 [I, PY]). */
  FOUND: "found",

  /** A body the schema validators reject (§2.2 [V QS2021]). */
  INVALID_DATA: "invalid_data",
  /** List Conversations past the (unpublished) query length (§2.2 [V BP]). */
  SEARCH_QUERY_TOO_LONG: "search_query_too_long",
  SUBSCRIPTION_UPGRADE_REQUIRED: "subscription_upgrade_required",
  NOT_ALLOWED: "not_allowed",
  /** A route the token's tier may not use (§2.2 [V N56], status not shown). */
  RESTRICTED_ROUTE_TIER: "restricted_route_tier",
  /** The website exists but did not install the plugin (§1, §2.2 [V N31]). */
  NOT_SUBSCRIBED: "not_subscribed",
  WEBSITE_NOT_FOUND: "website_not_found",
  TOO_MANY_MESSAGES: "too_many_messages",
  QUOTA_LIMIT_EXCEEDED: "quota_limit_exceeded",
  PASSWORD_UNVERIFIED: "password_unverified",

  /** Bad credentials: "commonly cited but unverified" (§2.2 [I]). */
  INVALID_SESSION: "invalid_session",
  /** Unknown conversation, profile, message: no official source (§2.2 [I]). */
  SESSION_NOT_FOUND: "session_not_found",
  PEOPLE_NOT_FOUND: "people_not_found",
  MESSAGE_NOT_FOUND: "message_not_found",
  /** A path no route matches, and the default of injected 404s (§2.2 [I]). */
  NOT_FOUND: "not_found",
  METHOD_NOT_ALLOWED: "method_not_allowed",
  /** The body of a 420/429 is not documented (§2.2 [I]). */
  RATE_LIMITED: "rate_limited",
  /** A plugin id the settings route does not know (§4.9 [I]). */
  PLUGIN_NOT_FOUND: "plugin_not_found",
  /** A profile whose email the website already has (§4.7 [I]). */
  PEOPLE_EXISTS: "people_exists",
  CONFLICT: "conflict",
  INTERNAL_ERROR: "internal_error",
  SERVICE_UNAVAILABLE: "service_unavailable",
} as const;

/** Token kinds, sent as `X-Crisp-Tier` (§1 [V D-AUTH, NODE `CrispTier`]). */
export type Tier = "user" | "website" | "plugin";
export const ALL_TIERS: readonly Tier[] = ["user", "website", "plugin"];
/** The tiers of most website routes, e.g. List Conversations (§1 [V BP]: "Tiers: user plugin"). */
export const USER_PLUGIN: readonly Tier[] = ["user", "plugin"];
/** Create and delete website (§4.1 [V BP], N42). */
export const USER_ONLY: readonly Tier[] = ["user"];
/** `/plugin/connect/*` (§4.2 [L]). */
export const PLUGIN_ONLY: readonly Tier[] = ["plugin"];

/**
 * `per_page` of List Conversations and List People Profiles: "between 20 and 50, defaults to 20"
 * (§4.4, §4.7 [V D-PM]). What happens outside the range is not said: `assumptions.perPage`.
 */
export const PER_PAGE = { MIN: 20, MAX: 50, DEFAULT: 20 } as const;

/**
 * Message `type`s (§4.6 [L NODE]); `content` is a string for text and note, an object
 * otherwise.
 */
export const MESSAGE_TYPES = [
  "text",
  "note",
  "file",
  "animation",
  "audio",
  "picker",
  "field",
  "carousel",
  "event",
] as const;

/** Conversation states, and the numeric `status` alias of each (§4.4 [V BP]). */
export const CONVERSATION_STATUS = { pending: 0, unresolved: 1, resolved: 2 } as const;

/**
 * The RTM / web hook events the simulator emits, named as Crisp names them (§5.5 [V NODE
 * `DEFAULT_RTM_EVENTS`]): `message:send` is a visitor's message, `message:received` an
 * operator's.
 */
export const RtmEvent = {
  MESSAGE_SEND: "message:send",
  MESSAGE_RECEIVED: "message:received",
  MESSAGE_UPDATED: "message:updated",
  MESSAGE_REMOVED: "message:removed",
  SESSION_SET_STATE: "session:set_state",
  SESSION_SET_ROUTING: "session:set_routing",
  SESSION_SET_NICKNAME: "session:set_nickname",
  SESSION_SET_EMAIL: "session:set_email",
  SESSION_SET_PHONE: "session:set_phone",
  SESSION_SET_ADDRESS: "session:set_address",
  SESSION_SET_SUBJECT: "session:set_subject",
  SESSION_SET_AVATAR: "session:set_avatar",
  SESSION_SET_ORIGIN: "session:set_origin",
  SESSION_SET_SEGMENTS: "session:set_segments",
  SESSION_SET_DATA: "session:set_data",
  SESSION_REMOVED: "session:removed",
  PEOPLE_PROFILE_CREATED: "people:profile:created",
  PEOPLE_PROFILE_UPDATED: "people:profile:updated",
  PEOPLE_PROFILE_REMOVED: "people:profile:removed",
  /** The plugin was installed on (`bound: true`) or removed from a website (§4.9 [L NODE]). */
  PLUGIN_SUBSCRIPTION_UPDATED: "plugin:subscription:updated",
  /** The plugin's settings of a website were saved (NODE `EventsPluginSettingsSaved` [L]). */
  PLUGIN_SETTINGS_SAVED: "plugin:settings:saved",
} as const;
export type RtmEventName = (typeof RtmEvent)[keyof typeof RtmEvent];

/**
 * The RTM socket's own messages (crisp-api.md §6 [L NODE `__emitAuthenticateSocket`,
 * `rebindSocket`]): the client emits `authentication` `{ username, password, tier, events }`
 * (the token's identifier and key, its tier, the event names it wants), the server answers
 * `authenticated` or `unauthorized`; `socket:bind` `{}` asks for the events of websites bound
 * since.
 */
export const RtmMessage = {
  AUTHENTICATION: "authentication",
  AUTHENTICATED: "authenticated",
  UNAUTHORIZED: "unauthorized",
  BIND: "socket:bind",
} as const;

/**
 * Conversation meta fields that have a `session:set_<field>` event (§5.5 [V NODE]), in the order
 * a meta update emits them. `ip` and `device` have none.
 */
export const META_EVENT_FIELDS = [
  "nickname",
  "email",
  "phone",
  "address",
  "subject",
  "avatar",
  "origin",
  "segments",
  "data",
] as const;

/** Web hook request headers (§5.2 [V D-WH]). */
export const HookHeader = {
  ORIGIN: "X-Crisp-Hook-Origin",
  TIMESTAMP: "X-Crisp-Request-Timestamp",
  SIGNATURE: "X-Crisp-Signature",
  ATTEMPT_LIMIT: "X-Delivery-Attempt-Limit",
  ATTEMPT_COUNT: "X-Delivery-Attempt-Count",
} as const;

/** The verify methods `DELETE /website/{id}` accepts (§4.1 [V D-REF, NODE, GO]). */
export const VERIFY_METHODS = ["password", "token", "google"] as const;
