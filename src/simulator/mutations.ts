/**
 * The changes writes make to the store, and the RTM / web hook event each emits (crisp-api.md
 * §5.5). Shared by the write routes (`routes/`) and the live demo activity, so a change shows
 * the same way in reads and in events whoever made it.
 *
 * Our inferred choices [I]:
 * - State, routing, meta and new messages bump the conversation's `updated_at`; editing or
 *   removing a message does not, nor does a message sent with a `timestamp` older than the
 *   conversation's newest (an import: it is stored in time order).
 * - A `stealth` message is stored like any other but not counted unread for the visitor.
 * - No RTM event is documented for creating a website or a conversation, so none is emitted.
 */

import type { SimulatorEnvironment } from "./environment.js";
import { CrispHttpError } from "./errors.js";
import type {
  WireConversation,
  WireConversationMeta,
  WireConversationState,
  WireMessage,
  WireMessageUser,
  WireOperator,
} from "./payloads.js";
import { CONVERSATION_STATUS, Reason, RtmEvent, type RtmEventName, Status } from "./protocol.js";
import { renderMessage } from "./seed/messages.js";
import type { SimulatorStore, WebsiteRecord } from "./store.js";
import type { MessageInput } from "./validation/message.js";
import type { JsonObject } from "./validation/primitives.js";

/** A conversation a write changes, with its website record and its (mutable) messages. */
export interface SessionTarget {
  websiteId: string;
  sessionId: string;
  record: WebsiteRecord;
  conversation: WireConversation;
  messages: WireMessage[];
}

/** The conversation `sessionId` of `websiteId`; `undefined` when either is unknown. */
export function findSessionTarget(
  store: SimulatorStore,
  websiteId: string,
  sessionId: string,
): SessionTarget | undefined {
  const record = store.record(websiteId);
  const conversation = store.conversation(websiteId, sessionId);
  if (record === undefined || conversation === undefined) {
    return undefined;
  }
  let messages = record.messages.get(sessionId);
  if (messages === undefined) {
    messages = [];
    record.messages.set(sessionId, messages);
  }
  return { websiteId, sessionId, record, conversation, messages };
}

/** Drops `undefined` values, so stored objects look as if parsed from JSON. */
export function compact<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, item]) => item !== undefined)) as T;
}

/**
 * Emits a write's event in Crisp's hook body shape: `data` repeats `website_id` first
 * (crisp-api.md §5.2).
 */
export function emitWriteEvent(
  env: Pick<SimulatorEnvironment, "events" | "clock">,
  event: RtmEventName,
  websiteId: string,
  data: JsonObject,
  timestamp = env.clock(),
): void {
  env.events.emit({
    event,
    website_id: websiteId,
    data: { website_id: websiteId, ...data },
    timestamp,
  });
}

/**
 * Emits an event about one conversation. Every session-scoped event carries `website_id`,
 * `session_id` and `inbox_id` (nullable) before its own fields (crisp-api.md §5.5, NODE
 * `EventsSessionGeneric`, GO `EventsSessionGeneric`).
 */
export function emitSessionEvent(
  env: Pick<SimulatorEnvironment, "events" | "clock">,
  event: RtmEventName,
  target: Pick<SessionTarget, "websiteId" | "sessionId" | "conversation">,
  data: JsonObject,
  timestamp = env.clock(),
): void {
  const session = {
    session_id: target.sessionId,
    inbox_id: target.conversation.inbox_id ?? null,
  };
  emitWriteEvent(env, event, target.websiteId, { ...session, ...data }, timestamp);
}

/**
 * The `data` of `message:send` / `message:received`: what the SDKs type for it (NODE
 * `EventsMessageGeneric`, GO `EventsReceiveGenericMessage`), in the order of Crisp's
 * `message:send` sample (§7); not the REST message's `read` and `delivered`.
 */
function messageEventData(message: WireMessage): JsonObject {
  return structuredClone(
    compact({
      type: message.type,
      content: message.content,
      from: message.from,
      origin: message.origin,
      mentions: message.mentions,
      stamped: message.stamped,
      timestamp: message.timestamp,
      fingerprint: message.fingerprint,
      user: message.user,
      edited: message.edited,
      translated: message.translated,
      automated: message.automated,
    }),
  );
}

/**
 * Adds a new, empty, pending conversation to `record` (`POST …/conversation`; no event, see
 * the header). `meta` replaces the default anonymous `visitorNNNNNN` meta.
 */
export function addConversation(
  env: Pick<SimulatorEnvironment, "clock" | "ids">,
  record: WebsiteRecord,
  options: { sessionId?: string; meta?: WireConversationMeta; peopleId?: string } = {},
): WireConversation {
  const websiteId = record.website.website_id;
  const sessionId = options.sessionId ?? `session_${env.ids.uuid()}`;
  const now = env.clock();
  const conversation: WireConversation = {
    session_id: sessionId,
    website_id: websiteId,
    ...(options.peopleId === undefined ? {} : { people_id: options.peopleId }),
    state: "pending",
    status: CONVERSATION_STATUS.pending,
    is_verified: false,
    is_blocked: false,
    availability: "offline",
    active: { now: false },
    mentions: [],
    participants: [],
    created_at: now,
    updated_at: now,
    unread: { operator: 0, visitor: 0 },
    meta: options.meta ?? {
      nickname: `visitor${env.ids.int(100000, 999999)}`,
      avatar: null,
      segments: [],
      data: {},
    },
  };
  record.conversations.push(conversation);
  record.messages.set(sessionId, []);
  return conversation;
}

/** Sets a conversation's state and emits `session:set_state` (`PATCH …/state`). */
export function setConversationState(
  env: Pick<SimulatorEnvironment, "events" | "clock">,
  target: SessionTarget,
  state: WireConversationState,
): void {
  const conversation = target.conversation;
  conversation.state = state;
  conversation.status = CONVERSATION_STATUS[state];
  if (state === "resolved") {
    // Nobody waits on a resolved conversation (the seed computes it the same way).
    delete conversation.waiting_since;
  }
  conversation.updated_at = env.clock();
  emitSessionEvent(env, RtmEvent.SESSION_SET_STATE, target, { state }, conversation.updated_at);
}

/**
 * The plugin installed on, or removed from, a website (`Simulator.setPluginInstalled`): the
 * plugin tokens reach it or not, and `plugin:subscription:updated` says so. Our inferred
 * choices [I]: `target` is "website" (NODE and GO type it a string and say no more); removing
 * the plugin forgets its settings of that website.
 */
export function setPluginInstalled(
  env: Pick<SimulatorEnvironment, "events" | "clock" | "tokens" | "pluginId">,
  store: SimulatorStore,
  websiteId: string,
  installed: boolean,
): void {
  const record = store.record(websiteId);
  if (record === undefined) {
    throw new Error(`setPluginInstalled needs a simulated website; received ${websiteId}`);
  }
  const plugins = env.tokens.filter((token) => token.tier === "plugin");
  if (plugins.every((token) => token.websiteIds.includes(websiteId) === installed)) {
    return;
  }
  for (const token of plugins) {
    token.websiteIds = installed
      ? [...new Set([...token.websiteIds, websiteId])]
      : token.websiteIds.filter((id) => id !== websiteId);
  }
  if (!installed) {
    record.connect.settings = {};
  }
  emitWriteEvent(env, RtmEvent.PLUGIN_SUBSCRIPTION_UPDATED, websiteId, {
    plugin_id: env.pluginId,
    bound: installed,
    target: "website",
  });
}

/** What `appendMessage` needs of a new message (a checked `POST …/message` body). */
export type NewMessage = Omit<MessageInput, "user">;

/**
 * Appends a message to a conversation, updates the conversation and emits `message:send`
 * (from a visitor) or `message:received` (from an operator), as `POST …/message` does.
 * 409 `too_many_messages` at the message limit. A given fingerprint already taken is bumped:
 * the route answers an idempotent retry before calling this.
 */
export function appendMessage(
  env: Pick<SimulatorEnvironment, "events" | "clock" | "messageLimit">,
  target: SessionTarget,
  input: NewMessage,
  user: WireMessageUser,
): WireMessage {
  const { messages, conversation } = target;
  if (messages.length >= env.messageLimit) {
    throw new CrispHttpError(Status.CONFLICT, Reason.TOO_MANY_MESSAGES);
  }
  const last = messages[messages.length - 1];
  // A message given its own time (an import) keeps it; any other is the newest.
  const timestamp = input.timestamp ?? Math.max(env.clock(), (last?.timestamp ?? 0) + 1);
  let fingerprint = input.fingerprint ?? timestamp * 100;
  while (messages.some((message) => message.fingerprint === fingerprint)) {
    fingerprint++;
  }
  const message: WireMessage = {
    session_id: target.sessionId,
    website_id: target.websiteId,
    type: input.type,
    from: input.from,
    origin: input.origin,
    content: input.content,
    mentions: input.mentions ?? [],
    read: "",
    delivered: "",
    edited: false,
    translated: input.translated ?? false,
    automated: input.automated ?? false,
    stamped: true,
    fingerprint,
    timestamp,
    user,
  };
  // Messages stay in time order: an older imported one goes where its time puts it, and only
  // the newest changes the conversation's summary.
  const place = messages.findIndex((item) => item.timestamp > timestamp);
  if (place === -1) {
    messages.push(message);
    applyNewMessage(conversation, message, input.stealth === true);
  } else {
    messages.splice(place, 0, message);
  }
  emitSessionEvent(
    env,
    input.from === "user" ? RtmEvent.MESSAGE_SEND : RtmEvent.MESSAGE_RECEIVED,
    target,
    messageEventData(message),
    timestamp,
  );
  return message;
}

/** How an operator signs a message (the seed's shape): `type: "website"`, "First L.". */
export function operatorUser(
  operator: WireOperator,
  given: MessageInput["user"] = {},
): WireMessageUser {
  const { details } = operator;
  return compact({
    type: given.type ?? "website",
    user_id: details.user_id,
    nickname: given.nickname ?? `${details.first_name ?? ""} ${details.last_name?.[0] ?? ""}.`,
    avatar: given.avatar ?? details.avatar,
  });
}

/**
 * What a new message changes on its conversation: last message, update time and, for what a
 * person reads (not notes or events), the unread counters and the waiting time.
 */
function applyNewMessage(
  conversation: WireConversation,
  message: WireMessage,
  stealth: boolean,
): void {
  conversation.last_message = renderMessage(message);
  conversation.updated_at = message.timestamp;
  if (message.type === "note" && (message.mentions ?? []).length > 0) {
    conversation.mentions = [
      ...new Set([...(conversation.mentions ?? []), ...(message.mentions ?? [])]),
    ];
  }
  if (message.type === "note" || message.type === "event") {
    return;
  }
  const unread = conversation.unread ?? { operator: 0, visitor: 0 };
  if (message.from === "user") {
    unread.operator++;
    if (conversation.state !== "resolved" && conversation.waiting_since === undefined) {
      conversation.waiting_since = message.timestamp;
    }
  } else {
    // A stealth message is not announced to the visitor as unread [I].
    if (!stealth) {
      unread.visitor++;
    }
    delete conversation.waiting_since;
  }
  conversation.unread = unread;
}
