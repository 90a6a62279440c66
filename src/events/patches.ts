import { isFingerprint } from "../crisp/ids.js";
import type { MessageBatch } from "../crisp/messages.js";
import {
  CRISP_MESSAGE_TYPES,
  type CrispConversation,
  type CrispConversationState,
  type CrispMessage,
  type CrispPeopleProfile,
} from "../crisp/types.js";
import type { CrispHookEvent } from "./event.js";

/**
 * What one Crisp event does to one object the gateway holds, from what the event carries
 * (crisp-api.md §5.5; data shapes from go-crisp-api's events.go). Pure functions: each
 * returns a patched copy, the very same object when the event changes nothing in it, or
 * null when the event removes it. Never a mutation: cached objects are shared.
 *
 * Events that bump a conversation's `updated_at` (state, routing, metas, new messages) are
 * applied only to a copy older than the event: a copy read after the event already shows it,
 * and applying a new message again would count its unread twice.
 */

const MESSAGE_TYPES: ReadonlySet<string> = new Set(CRISP_MESSAGE_TYPES);
const STATUS: Record<CrispConversationState, 0 | 1 | 2> = {
  pending: 0,
  unresolved: 1,
  resolved: 2,
};
const META_FIELDS = [
  "nickname",
  "email",
  "phone",
  "address",
  "subject",
  "avatar",
  "origin",
] as const;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

const strings = (value: unknown): string[] | undefined =>
  Array.isArray(value) && value.every((item) => typeof item === "string") ? value : undefined;

/** Whether an event is about messages (`message:*`) or a conversation (`session:*`). */
export const isMessageEvent = (name: string) => name.startsWith("message:");
export const isSessionEvent = (name: string) => name.startsWith("session:");

/** The message a `message:send` / `message:received` event carries whole, or null. */
export function eventMessage(event: CrispHookEvent): CrispMessage | null {
  const data = event.data;
  if (
    event.sessionId === null ||
    typeof data.fingerprint !== "number" ||
    !isFingerprint(data.fingerprint) ||
    typeof data.type !== "string" ||
    !MESSAGE_TYPES.has(data.type) ||
    // A message without content Crisp's shapes allow is no message to lay over a batch (its
    // excerpt could not be told either): the cache drops what it held instead.
    !(
      typeof data.content === "string" ||
      (typeof data.content === "object" && data.content !== null)
    )
  ) {
    return null;
  }
  return {
    ...(data as unknown as CrispMessage),
    website_id: event.websiteId,
    session_id: event.sessionId,
    from: data.from === "operator" ? "operator" : "user",
    origin: typeof data.origin === "string" ? data.origin : "chat",
    timestamp: typeof data.timestamp === "number" ? data.timestamp : event.timestamp,
  };
}

/**
 * The excerpt Crisp keeps as a conversation's `last_message`: a text's text, a file's name,
 * another content's text, namespace or URL, else the type [I: as the reference simulator
 * renders it].
 */
export function lastMessageExcerpt(message: Pick<CrispMessage, "type" | "content">): string {
  const content = message.content;
  if (typeof content === "string") {
    return content;
  }
  if ("name" in content && typeof content.name === "string") {
    return content.name;
  }
  if ("text" in content && typeof content.text === "string") {
    return content.text;
  }
  if ("namespace" in content && typeof content.namespace === "string") {
    return content.namespace;
  }
  if ("url" in content && typeof content.url === "string") {
    return content.url;
  }
  return message.type;
}

/** The `updated_at` an event gives the conversation it changes; undefined: it leaves it. */
export function bumpOf(event: CrispHookEvent): number | undefined {
  switch (event.name) {
    case "message:send":
    case "message:received":
      return eventMessage(event)?.timestamp;
    case "session:set_state":
    case "session:set_routing":
    case "session:set_segments":
    case "session:set_data":
      return event.timestamp;
    default:
      return META_FIELDS.some((field) => event.name === `session:set_${field}`)
        ? event.timestamp
        : undefined;
  }
}

/** A conversation after a `session:*`, `message:send/received` or `people:bind:session` event. */
export function patchConversation(
  conversation: CrispConversation,
  event: CrispHookEvent,
): CrispConversation | null {
  if (event.sessionId !== conversation.session_id) {
    return conversation;
  }
  if (event.name === "session:removed") {
    return null;
  }
  const bump = bumpOf(event);
  // A copy as new as a message already counts it; one as new as a field change may predate
  // it (several changes share a millisecond) and setting a field again is harmless.
  const counted = isMessageEvent(event.name) ? conversation.updated_at >= (bump ?? 0) : false;
  if (bump !== undefined && (counted || conversation.updated_at > bump)) {
    return conversation;
  }
  const changed = applyConversationEvent(conversation, event);
  if (changed === conversation || bump === undefined) {
    return changed;
  }
  return { ...changed, updated_at: bump };
}

function applyConversationEvent(c: CrispConversation, event: CrispHookEvent): CrispConversation {
  const d = event.data;
  const withMeta = (meta: CrispConversation["meta"]) => ({ ...c, meta: { ...c.meta, ...meta } });
  const withDevice = (device: NonNullable<CrispConversation["meta"]["device"]>) =>
    withMeta({ device: { ...c.meta?.device, ...device } });
  switch (event.name) {
    case "session:set_state": {
      if (d.state !== "pending" && d.state !== "unresolved" && d.state !== "resolved") {
        return c;
      }
      const next: CrispConversation = { ...c, state: d.state, status: STATUS[d.state] };
      if (d.state === "resolved") {
        // Nobody waits on a resolved conversation.
        delete next.waiting_since;
      }
      return next;
    }
    case "session:set_block":
      return typeof d.is_blocked === "boolean" ? { ...c, is_blocked: d.is_blocked } : c;
    case "session:set_segments": {
      const segments = strings(d.segments);
      return segments === undefined ? c : withMeta({ segments });
    }
    case "session:set_data":
      return isRecord(d.data) ? withMeta({ data: d.data }) : c;
    case "session:set_routing": {
      if (d.routing_id !== null && typeof d.routing_id !== "string") {
        return c;
      }
      const next: CrispConversation = { ...c };
      if (d.routing_id === null) {
        delete next.assigned;
      } else {
        next.assigned = { user_id: d.routing_id };
      }
      return next;
    }
    case "session:set_inbox":
      return d.inbox_id === null || typeof d.inbox_id === "string"
        ? { ...c, inbox_id: d.inbox_id }
        : c;
    case "session:set_mentions": {
      const mentions = strings(d.mentions);
      return mentions === undefined ? c : { ...c, mentions };
    }
    case "session:set_participants":
      return Array.isArray(d.participants)
        ? { ...c, participants: d.participants.filter(isParticipant) }
        : c;
    case "session:update_availability":
      return d.availability === "online" || d.availability === "offline"
        ? { ...c, availability: d.availability }
        : c;
    case "session:update_verify":
      return typeof d.is_verified === "boolean" ? { ...c, is_verified: d.is_verified } : c;
    case "session:sync:topic":
      return typeof d.topic === "string" ? { ...c, topic: d.topic } : c;
    case "session:sync:geolocation":
      return isRecord(d.geolocation) ? withDevice({ geolocation: d.geolocation }) : c;
    case "session:sync:system":
      return isRecord(d.system) ? withDevice({ system: d.system }) : c;
    case "session:sync:timezone":
      return isRecord(d.timezone) && typeof d.timezone.offset === "number"
        ? withDevice({ timezone: d.timezone.offset })
        : c;
    case "session:sync:locales": {
      const locales = isRecord(d.locales) ? strings(d.locales.locales) : undefined;
      return locales === undefined ? c : withDevice({ locales });
    }
    case "session:sync:capabilities": {
      const capabilities = isRecord(d.capabilities)
        ? strings(d.capabilities.capabilities)
        : undefined;
      return capabilities === undefined ? c : withDevice({ capabilities });
    }
    case "session:sync:network":
      return isRecord(d.network) && typeof d.network.ip === "string"
        ? withMeta({ ip: d.network.ip })
        : c;
    case "people:bind:session":
      return typeof d.people_id === "string" ? { ...c, people_id: d.people_id.toLowerCase() } : c;
    case "message:send":
    case "message:received": {
      const message = eventMessage(event);
      return message === null ? c : withNewMessage(c, message);
    }
    default: {
      const field = META_FIELDS.find((name) => event.name === `session:set_${name}`);
      if (field === undefined) {
        return c;
      }
      const value = d[field];
      return typeof value === "string" || value === null ? withMeta({ [field]: value }) : c;
    }
  }
}

function isParticipant(value: unknown): value is { type: string; target: string } {
  return isRecord(value) && typeof value.type === "string" && typeof value.target === "string";
}

/**
 * What a new message changes on its conversation [I: Crisp documents none of it; as the
 * reference simulator infers it]: the last message, and for what a person reads (not notes
 * or events) the unread counters and the waiting time; a note's mentions join the
 * conversation's.
 */
function withNewMessage(c: CrispConversation, message: CrispMessage): CrispConversation {
  const next: CrispConversation = { ...c, last_message: lastMessageExcerpt(message) };
  if (message.type === "note" && (message.mentions ?? []).length > 0) {
    next.mentions = [...new Set([...(c.mentions ?? []), ...(message.mentions ?? [])])];
  }
  if (message.type === "note" || message.type === "event") {
    return next;
  }
  const unread = { ...(c.unread ?? { operator: 0, visitor: 0 }) };
  if (message.from === "user") {
    unread.operator += 1;
    if (c.state !== "resolved" && c.waiting_since === undefined) {
      next.waiting_since = message.timestamp;
    }
  } else {
    unread.visitor += 1;
    delete next.waiting_since;
  }
  next.unread = unread;
  return next;
}

/** A batch of a conversation's messages after a message event. */
export function patchMessageBatch(
  batch: MessageBatch,
  event: CrispHookEvent,
  newest: boolean,
): MessageBatch {
  switch (event.name) {
    case "message:send":
    case "message:received": {
      const message = eventMessage(event);
      if (
        !newest ||
        message === null ||
        batch.messages.some((item) => item.fingerprint === message.fingerprint)
      ) {
        return batch;
      }
      // The REST message also says where it was read and delivered: nowhere yet.
      const stored: CrispMessage = { read: "", delivered: "", edited: false, ...message };
      const messages = [...batch.messages, stored].sort((a, b) => a.timestamp - b.timestamp);
      return { ...batch, messages };
    }
    case "message:updated":
    case "message:removed": {
      const fingerprint = event.data.fingerprint;
      const index = batch.messages.findIndex((item) => item.fingerprint === fingerprint);
      const found = batch.messages[index];
      if (found === undefined) {
        return batch;
      }
      const patched = patchMessage(found, event);
      const messages = [...batch.messages];
      if (patched === null) {
        messages.splice(index, 1);
      } else {
        messages[index] = patched;
      }
      return { ...batch, messages };
    }
    default:
      return batch;
  }
}

/** One message after `message:updated` (new content, edited) or `message:removed` (null). */
export function patchMessage(message: CrispMessage, event: CrispHookEvent): CrispMessage | null {
  if (event.data.fingerprint !== message.fingerprint) {
    return message;
  }
  if (event.name === "message:removed") {
    return null;
  }
  if (event.name !== "message:updated" || !isContent(event.data.content)) {
    return message;
  }
  return { ...message, content: event.data.content as CrispMessage["content"], edited: true };
}

function isContent(value: unknown): boolean {
  return typeof value === "string" || isRecord(value);
}

/**
 * A profile after `people:profile:updated` (its `update`, a partial profile card, merged in:
 * objects field by field, anything else replaced) or `people:profile:removed` (null).
 */
export function patchPerson(
  profile: CrispPeopleProfile,
  event: CrispHookEvent,
): CrispPeopleProfile | null {
  const peopleId = typeof event.data.people_id === "string" ? event.data.people_id : "";
  if (peopleId.toLowerCase() !== profile.people_id.toLowerCase()) {
    return profile;
  }
  if (event.name === "people:profile:removed") {
    return null;
  }
  if (event.name !== "people:profile:updated" || !isRecord(event.data.update)) {
    return profile;
  }
  if ((profile.updated_at ?? 0) >= event.timestamp) {
    return profile;
  }
  const merged = mergeDeep(profile as unknown as Record<string, unknown>, event.data.update);
  return {
    ...(merged as unknown as CrispPeopleProfile),
    people_id: profile.people_id,
    updated_at: event.timestamp,
  };
}

function mergeDeep(
  target: Record<string, unknown>,
  patch: Record<string, unknown>,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...target };
  for (const [key, value] of Object.entries(patch)) {
    const current = out[key];
    if (isRecord(value) && isRecord(current)) {
      out[key] = mergeDeep(current, value);
    } else if (
      current === undefined ||
      current === null ||
      value === null ||
      shapeOf(current) === shapeOf(value)
    ) {
      // A value of the field's own shape, a field set for the first time, or one cleared.
      out[key] = value;
    }
    // Otherwise the event does not say what Crisp holds (a number for an email): kept as read.
  }
  return out;
}

function shapeOf(value: unknown): string {
  return Array.isArray(value) ? "array" : value === null ? "null" : typeof value;
}
