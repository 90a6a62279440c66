/**
 * Where Crisp documents nothing, the simulator has to assume something; every such assumption
 * is a knob here, so a test can make the simulator disagree with the gateway and see whether
 * the gateway depended on it. Each default cites `../shared/crisp-api.md` (section and tag:
 * [V] verified, [L] library-derived, [I] inferred); a few [V] facts are knobs too, because a
 * test wants other values (the `/messages` batch size).
 *
 * Set them with `startSimulator({ assumptions })` or later with `configure({ assumptions })`;
 * nested objects merge key by key. docs/simulator.md lists them all.
 */

import { Reason, type RtmEventName, Status } from "./protocol.js";

/** A success answer: HTTP status and envelope reason. */
export interface Answer {
  status: number;
  reason: string;
}

export interface CrispAssumptions {
  /**
   * Items a page of the lists that take no `per_page`: "Page size: not documented" (§4.2
   * plugin websites, §4.8 visitors, §8; §4.7 a person's conversations) [I].
   * @default { visitors: 20, pluginWebsites: 20, personConversations: 20 }
   */
  pageSizes: { visitors: number; pluginWebsites: number; personConversations: number };
  /**
   * Messages a `/messages` batch holds: "the official export plugin continues while
   * `messages.length === 40`" (§4.6 [V EXPORT]). A knob all the same, for tests.
   * @default 40
   */
  messagesBatch: number;
  /**
   * Order of the messages within a batch: "oldest → newest within a batch" (§4.6 [I from
   * EXPORT]). `"newest-first"` reverses each batch; the batch is still the newest messages
   * before `timestamp_before`.
   * @default "oldest-first"
   */
  messagesOrder: "oldest-first" | "newest-first";
  /**
   * A `per_page` outside 20..50 (or not a number): the reference only says "between 20 and 50,
   * defaults to 20" (§4.4, §4.7 [V D-PM]). `"clamp"` brings it into the range (a non-number
   * means the default); `"refuse"` answers 400 `invalid_data`.
   * @default "clamp"
   */
  perPageOutOfRange: "clamp" | "refuse";
  /**
   * Status of an empty page past the end of a paged list (conversations, people, visitors,
   * plugin websites, a person's conversations): "End of list: [I] empty array" (§4.2, §4.4,
   * §4.7, §4.8); whether lists other than `/messages` switch 206 to 200 is open (§8). Pages with
   * items are always 206 (§2.1 [V BP]).
   * @default 200
   */
  listEndStatus: 200 | 206;
  /**
   * Reasons of 404 for an unknown conversation, profile, message: "not found in any official
   * source" (§2.2 [I]).
   * @default { session: "session_not_found", people: "people_not_found", message: "message_not_found" }
   */
  notFoundReasons: { session: string; people: string; message: string };
  /**
   * Reason of the 401 for bad credentials: "`invalid_session` is commonly cited but unverified"
   * (§2.2; the 401 itself is [V N42]).
   * @default "invalid_session"
   */
  unauthorizedReason: string;
  /**
   * Status of `invalid_data`: the reason is [V QS2021], the status is not (§2.2 [I]).
   * @default 400
   */
  invalidDataStatus: number;
  /**
   * Success answers the reference infers (§2.1 [I]; §4.5 create conversation "added/201" [I];
   * §4.6 send message "dispatched, probably 202" [I]): creating a conversation or a profile,
   * PATCH/PUT, deleting anything but a website, sending a message, and a HEAD that found its
   * object (no body, the request log keeps the reason). `POST /website` (201 `added`) and
   * `DELETE /website` (200 `deleted`) are [V BP] and not knobs.
   * @default { created: 201 added, updated: 200 updated, deleted: 200 deleted, dispatched: 202 dispatched, found: 200 found }
   */
  answers: { created: Answer; updated: Answer; deleted: Answer; dispatched: Answer; found: Answer };
  /**
   * Longest `search_query` before 400 `search_query_too_long`: the reason is [V BP], the limit
   * "is not published" (§2.2) [I].
   * @default 500
   */
  searchQueryMaxLength: number;
  /**
   * What `filter_assigned` means: the docs take "a user_id" [V], GO sends `1`/`0` [L] (§4.4).
   * `"user-id-or-flag"` reads `1` as "assigned to anyone" and `0` as no filter, anything else
   * as a user id; `"user-id"` reads every value as a user id (so `1` matches nobody).
   * @default "user-id-or-flag"
   */
  filterAssigned: "user-id-or-flag" | "user-id";
  /**
   * Whether `…/people/profile/{people_id}` also takes an email, "used by third parties" (§4.7
   * [I]); when not, an email answers the people not-found reason.
   * @default true
   */
  profileByEmail: boolean;
  /**
   * Whether `PATCH …/routing` unassigns with `{ "assigned": null }` (§4.5 [I]); when not, that
   * body is 400 `invalid_data`.
   * @default true
   */
  unassignWithNull: boolean;
  /**
   * Unit of the `X-Crisp-Request-Timestamp` hook header: "not stated" (§5.2 [I]).
   * @default "ms"
   */
  hookTimestampUnit: "ms" | "s";
  /**
   * Waits before the 2nd, 3rd, ... delivery attempt of a hook that failed (the last value
   * repeats): "Back-off schedule ... not documented" (§5.4 [I]).
   * @default [200, 1000]
   */
  hookRetryDelaysMs: readonly number[];
  /**
   * Attempts per hook, the first included, sent as `X-Delivery-Attempt-Limit`: the header is
   * [V D-WH], its value is not documented (§5.4 [I]).
   * @default 3
   */
  hookAttemptLimit: number;
  /**
   * How long one delivery attempt may take (connect, headers, body) before it counts as
   * failed: "timeout ... not documented" (§5.4 [I]).
   * @default 5000
   */
  hookTimeoutMs: number;
  /**
   * Whether website hooks are retried like plugin hooks: Crisp documents retries for plugin
   * hooks only (§5.1, §5.4 [I]).
   * @default true
   */
  retryWebsiteHooks: boolean;
  /**
   * Events a website hook receives: "which subset is selectable for Website Hooks vs Plugin
   * Hooks: not verified" (§5.5 [I]). Plugin hooks receive every event.
   * @default "all"
   */
  websiteHookEvents: "all" | readonly RtmEventName[];
  /**
   * What `timestamp_after` does to a `/messages` batch: NODE ≥ 10.10.4 sends it (§4.6 [L]), no
   * source says what it means [I]. `"bounds-batch"`: the batch is still the newest messages
   * before `timestamp_before`, only those strictly after `timestamp_after`, and 206 while older
   * ones remain inside those bounds; `"ignored"`: the parameter changes nothing.
   * @default "bounds-batch"
   */
  timestampAfter: "bounds-batch" | "ignored";
  /**
   * What a `null` value does in a `PATCH …/people/profile/{people_id}` body, where the
   * reference gives no nullable field (§4.7 [L]: NODE `PeopleProfileUpdateCard`) [I].
   * `"clears"`: the key is removed from the profile (the way to clear a number, which has no
   * empty value); `"refuse"`: 400 `invalid_data` like any value of the wrong type.
   * @default "clears"
   */
  patchNull: "clears" | "refuse";
}

export const DEFAULT_ASSUMPTIONS: Readonly<CrispAssumptions> = Object.freeze({
  pageSizes: { visitors: 20, pluginWebsites: 20, personConversations: 20 },
  messagesBatch: 40,
  messagesOrder: "oldest-first",
  perPageOutOfRange: "clamp",
  listEndStatus: Status.OK,
  notFoundReasons: {
    session: Reason.SESSION_NOT_FOUND,
    people: Reason.PEOPLE_NOT_FOUND,
    message: Reason.MESSAGE_NOT_FOUND,
  },
  unauthorizedReason: Reason.INVALID_SESSION,
  invalidDataStatus: Status.BAD_REQUEST,
  answers: {
    created: { status: Status.CREATED, reason: Reason.ADDED },
    updated: { status: Status.OK, reason: Reason.UPDATED },
    deleted: { status: Status.OK, reason: Reason.DELETED },
    dispatched: { status: Status.ACCEPTED, reason: Reason.DISPATCHED },
    found: { status: Status.OK, reason: Reason.FOUND },
  },
  searchQueryMaxLength: 500,
  filterAssigned: "user-id-or-flag",
  profileByEmail: true,
  unassignWithNull: true,
  hookTimestampUnit: "ms",
  hookRetryDelaysMs: [200, 1000], // 200 ms, then 1 s
  hookAttemptLimit: 3,
  hookTimeoutMs: 5_000, // 5 seconds
  retryWebsiteHooks: true,
  websiteHookEvents: "all",
  timestampAfter: "bounds-batch",
  patchNull: "clears",
});

/** What `assumptions` options take: any subset, nested objects too. */
export type AssumptionsInput = {
  [K in keyof CrispAssumptions]?: CrispAssumptions[K] extends readonly unknown[] | string
    ? CrispAssumptions[K]
    : CrispAssumptions[K] extends object
      ? Partial<CrispAssumptions[K]>
      : CrispAssumptions[K];
};

/**
 * `base` with `input` applied (nested objects merged key by key), checked: a value that breaks
 * the contract throws, naming the knob, what it takes and what it received.
 */
export function mergeAssumptions(
  base: Readonly<CrispAssumptions>,
  input: AssumptionsInput = {},
): CrispAssumptions {
  const merged: CrispAssumptions = {
    ...base,
    ...(input as Partial<CrispAssumptions>),
    pageSizes: { ...base.pageSizes, ...input.pageSizes },
    notFoundReasons: { ...base.notFoundReasons, ...input.notFoundReasons },
    answers: { ...base.answers, ...input.answers },
  };
  checkAssumptions(merged);
  return merged;
}

function refuse(knob: string, expected: string, received: unknown): never {
  throw new Error(`assumptions.${knob} must be ${expected}; received ${JSON.stringify(received)}`);
}

function positiveInteger(knob: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 1) {
    refuse(knob, "a positive integer", value);
  }
}

function oneOf<T>(knob: string, value: T, allowed: readonly T[]): void {
  if (!allowed.includes(value)) {
    refuse(knob, `one of ${allowed.map((item) => JSON.stringify(item)).join(", ")}`, value);
  }
}

function reason(knob: string, value: string): void {
  if (typeof value !== "string" || value === "") {
    refuse(knob, "a non-empty reason string", value);
  }
}

function status(knob: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    refuse(knob, `an HTTP status from ${min} to ${max}`, value);
  }
}

function checkAssumptions(value: CrispAssumptions): void {
  for (const [key, size] of Object.entries(value.pageSizes)) {
    positiveInteger(`pageSizes.${key}`, size);
  }
  positiveInteger("messagesBatch", value.messagesBatch);
  oneOf("messagesOrder", value.messagesOrder, ["oldest-first", "newest-first"]);
  oneOf("perPageOutOfRange", value.perPageOutOfRange, ["clamp", "refuse"]);
  oneOf("listEndStatus", value.listEndStatus, [200, 206]);
  for (const [key, text] of Object.entries(value.notFoundReasons)) {
    reason(`notFoundReasons.${key}`, text);
  }
  reason("unauthorizedReason", value.unauthorizedReason);
  status("invalidDataStatus", value.invalidDataStatus, 400, 499);
  for (const [key, answer] of Object.entries(value.answers)) {
    status(`answers.${key}.status`, answer.status, 200, 299);
    reason(`answers.${key}.reason`, answer.reason);
  }
  positiveInteger("searchQueryMaxLength", value.searchQueryMaxLength);
  oneOf("filterAssigned", value.filterAssigned, ["user-id-or-flag", "user-id"]);
  oneOf("profileByEmail", value.profileByEmail, [true, false]);
  oneOf("unassignWithNull", value.unassignWithNull, [true, false]);
  oneOf("hookTimestampUnit", value.hookTimestampUnit, ["ms", "s"]);
  if (
    !Array.isArray(value.hookRetryDelaysMs) ||
    value.hookRetryDelaysMs.some((delay) => !Number.isFinite(delay) || delay < 0)
  ) {
    refuse("hookRetryDelaysMs", "a list of finite delays >= 0 ms", value.hookRetryDelaysMs);
  }
  positiveInteger("hookAttemptLimit", value.hookAttemptLimit);
  positiveInteger("hookTimeoutMs", value.hookTimeoutMs);
  oneOf("retryWebsiteHooks", value.retryWebsiteHooks, [true, false]);
  if (value.websiteHookEvents !== "all" && !Array.isArray(value.websiteHookEvents)) {
    refuse("websiteHookEvents", '"all" or a list of event names', value.websiteHookEvents);
  }
  oneOf("timestampAfter", value.timestampAfter, ["bounds-batch", "ignored"]);
  oneOf("patchNull", value.patchNull, ["clears", "refuse"]);
}
