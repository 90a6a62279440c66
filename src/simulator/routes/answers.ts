/**
 * The success answers of the routes (crisp-api.md §2.1): the envelope's status and reason.
 * Those the reference verifies are fixed here; those it infers come from the assumptions.
 */

import type { Answer, CrispAssumptions } from "../assumptions.js";
import { Reason, Status } from "../protocol.js";
import type { RouteAnswer } from "../router.js";

function answer({ status, reason }: Answer, data: unknown): RouteAnswer {
  return { status, reason, data };
}

/** A single object: 200 `resolved` (§2.1 [V BP] for `GET /website/{id}`). */
export function resolved(data: unknown): RouteAnswer {
  return { status: Status.OK, reason: Reason.RESOLVED, data };
}

/** `POST /website`: 201 `added` `{ website_id }` (§2.1 [V BP]). */
export function websiteAdded(data: unknown): RouteAnswer {
  return { status: Status.CREATED, reason: Reason.ADDED, data };
}

/** `DELETE /website/{id}`: 200 `deleted` (§2.1 [V BP]). */
export function websiteDeleted(): RouteAnswer {
  return { status: Status.OK, reason: Reason.DELETED, data: {} };
}

/**
 * One page of a list: 206 `listed` while the page has items (§2.1 [V BP]), then an empty page
 * with `listEndStatus` (200 unless told otherwise, §4.4 [I]).
 */
export function listed<T>(
  assumptions: CrispAssumptions,
  items: readonly T[],
  page: number,
  perPage: number,
): RouteAnswer {
  const slice = items.slice((page - 1) * perPage, page * perPage);
  const status = slice.length > 0 ? Status.PARTIAL_CONTENT : assumptions.listEndStatus;
  return { status, reason: Reason.LISTED, data: slice };
}

/** A HEAD check that found its object (no body is sent; the request log keeps the reason). */
export const found = (assumptions: CrispAssumptions): RouteAnswer =>
  answer(assumptions.answers.found, {});
/** A created conversation or profile, with its id. */
export const created = (assumptions: CrispAssumptions, data: unknown): RouteAnswer =>
  answer(assumptions.answers.created, data);
/** A PATCH or PUT that took. */
export const updated = (assumptions: CrispAssumptions): RouteAnswer =>
  answer(assumptions.answers.updated, {});
/** A deleted conversation, message or profile. */
export const deleted = (assumptions: CrispAssumptions): RouteAnswer =>
  answer(assumptions.answers.deleted, {});
/** A sent message, with its fingerprint. */
export const dispatched = (assumptions: CrispAssumptions, fingerprint: number): RouteAnswer =>
  answer(assumptions.answers.dispatched, { fingerprint });
