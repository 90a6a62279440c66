/**
 * The objects a route's path names (`:website_id`, `:session_id`, `:fingerprint`,
 * `:people_id`), or the 404 Crisp answers when there is none. A malformed id answers as an
 * unknown one. The not-found reasons of sessions, messages and people are ours (§2.2 [I]).
 */

import { CrispHttpError } from "../errors.js";
import { isEmail, isSessionId, isUuid, parseFingerprint } from "../ids.js";
import { findSessionTarget, type SessionTarget } from "../mutations.js";
import type { WirePeopleProfile, WireWebsite } from "../payloads.js";
import { Reason, Status } from "../protocol.js";
import type { RouteContext } from "../router.js";
import type { WebsiteRecord } from "../store.js";

export function websiteOf(context: RouteContext): WireWebsite {
  if (context.website === undefined) {
    throw new CrispHttpError(Status.NOT_FOUND, Reason.WEBSITE_NOT_FOUND);
  }
  return context.website;
}

/** The mutable record of the `:website_id` website. */
export function websiteRecord(context: RouteContext): WebsiteRecord {
  const record = context.store.record(websiteOf(context).website_id);
  if (record === undefined) {
    throw new CrispHttpError(Status.NOT_FOUND, Reason.WEBSITE_NOT_FOUND);
  }
  return record;
}

/** The conversation of `:session_id`, with its record and messages, or 404. */
export function sessionTarget(context: RouteContext): SessionTarget {
  const websiteId = websiteOf(context).website_id;
  const sessionId = context.params.session_id ?? "";
  const target = isSessionId(sessionId)
    ? findSessionTarget(context.store, websiteId, sessionId)
    : undefined;
  if (target === undefined) {
    throw new CrispHttpError(Status.NOT_FOUND, context.assumptions.notFoundReasons.session);
  }
  return target;
}

/** The index of the `:fingerprint` message in its conversation, or 404. */
export function messageIndex(context: RouteContext, target: SessionTarget): number {
  const fingerprint = parseFingerprint(context.params.fingerprint ?? "");
  const index = target.messages.findIndex((message) => message.fingerprint === fingerprint);
  if (index === -1) {
    throw new CrispHttpError(Status.NOT_FOUND, context.assumptions.notFoundReasons.message);
  }
  return index;
}

/** A people id, or an email when `profileByEmail` (§4.7 [I]). */
function profileIdAccepted(context: RouteContext, id: string): boolean {
  return isUuid(id) || (context.assumptions.profileByEmail && isEmail(id));
}

/** The `:people_id` profile (a people id, or an email as third parties use it), or 404. */
export function profileTarget(context: RouteContext): {
  websiteId: string;
  record: WebsiteRecord;
  profile: WirePeopleProfile;
} {
  const record = websiteRecord(context);
  const websiteId = record.website.website_id;
  const id = context.params.people_id ?? "";
  const profile = profileIdAccepted(context, id) ? context.store.profile(websiteId, id) : undefined;
  if (profile === undefined) {
    throw new CrispHttpError(Status.NOT_FOUND, context.assumptions.notFoundReasons.people);
  }
  return { websiteId, record, profile };
}
