/**
 * Crisp's write routes (crisp-api.md §4). Each changes the store, so the read routes see the
 * effect, and then emits the RTM / web hook event Crisp would send (§5.5).
 *
 * Our inferred choices, marked [I] in crisp-api.md:
 * - Answers: create conversation and profile 201 `added`, PATCH/PUT 200 `updated`, DELETE 200
 *   `deleted`, send message 202 `dispatched` `{ fingerprint }`.
 * - Not found: 404 `session_not_found`, `message_not_found`, `people_not_found`.
 * - `DELETE /website` accepts `SimulatorOptions.accountPassword` as the secret of any verify
 *   method; deletion is immediate (Crisp schedules it "after a few days").
 * - Routing to a user id that is not an operator of the website answers 400 `invalid_data`.
 * - A profile whose email another profile of the website already has answers 409 `people_exists`.
 * - Sending a message whose fingerprint the conversation already holds stores nothing and
 *   answers the same 202 with that fingerprint (an idempotent retry), even at the message limit.
 * - State, routing, meta and new messages bump the conversation's `updated_at`; editing or
 *   removing a message does not. Removing a conversation or a profile leaves the other
 *   (visitors, conversations of the person) as they are.
 * - Events: no RTM event is documented for creating a website or a conversation, so none is
 *   emitted; a meta change emits one `session:set_<field>` per field set (none for `ip` and
 *   `device`); routing emits `session:set_routing` with `assigned` and, in Crisp's routing
 *   fields, the operator ids.
 */

import { CrispHttpError, invalidData } from "./errors.js";
import type { SimulatorEventHub } from "./events.js";
import type {
  WireConversation,
  WireConversationMeta,
  WireConversationState,
  WireMessage,
  WireOperator,
  WirePeopleProfile,
} from "./payloads.js";
import type { Prng } from "./prng.js";
import type { Tier } from "./protocol.js";
import type { Route, RouteAnswer, RouteContext } from "./router.js";
import { isEmail, isUuid, parseFingerprint, sessionOf, websiteOf } from "./routes.js";
import type { WebsiteRecord } from "./seed.js";
import { SEED_ANCHOR } from "./seed-data.js";
import { renderMessage } from "./seed-messages.js";
import type { SimulatorStore } from "./store.js";
import type { SimulatorEventName, SimulatorToken } from "./types.js";
import {
  checkContent,
  checkMessage,
  checkMeta,
  checkProfile,
  checkString,
  isObject,
  type JsonObject,
  type MessageInput,
  mergeDeep,
  objectBody,
  onlyKeys,
} from "./write-validation.js";

const USER_ONLY: readonly Tier[] = ["user"];
const USER_PLUGIN: readonly Tier[] = ["user", "plugin"];
const STATES: readonly WireConversationState[] = ["pending", "unresolved", "resolved"];
const STATUS: Readonly<Record<WireConversationState, 0 | 1 | 2>> = {
  pending: 0,
  unresolved: 1,
  resolved: 2,
};
const VERIFY_METHODS = ["password", "token", "google"];
const DOMAIN = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;
/** Meta fields with a `session:set_<field>` RTM event (crisp-api.md §5.5), in emit order. */
const META_EVENTS = [
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

/** What the write routes share with the simulator. */
export interface WriteEnvironment {
  events: SimulatorEventHub;
  /** Strictly increasing ms timestamps, never before the seed anchor (`createWriteClock`). */
  clock: () => number;
  /** Ids of created websites, conversations and profiles (deterministic per seed). */
  ids: Prng;
  /** Every accepted token: deleting a website unbinds it from all of them. */
  tokens: SimulatorToken[];
  accountPassword: string;
  messageLimit: number;
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

const added = (data: unknown): RouteAnswer => ({ status: 201, reason: "added", data });
const updated = (): RouteAnswer => ({ status: 200, reason: "updated", data: {} });
const deleted = (): RouteAnswer => ({ status: 200, reason: "deleted", data: {} });

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

function sessionTarget(context: RouteContext): SessionTarget {
  const { websiteId, sessionId } = sessionOf(context);
  const target = findSessionTarget(context.store, websiteId, sessionId);
  if (target === undefined) {
    throw new CrispHttpError(404, "session_not_found");
  }
  return target;
}

function messageIndex(context: RouteContext, target: SessionTarget): number {
  const fingerprint = parseFingerprint(context.params.fingerprint ?? "");
  const index = target.messages.findIndex((message) => message.fingerprint === fingerprint);
  if (index === -1) {
    throw new CrispHttpError(404, "message_not_found");
  }
  return index;
}

function profileTarget(context: RouteContext): {
  websiteId: string;
  record: WebsiteRecord;
  profile: WirePeopleProfile;
} {
  const websiteId = websiteOf(context).website_id;
  const record = context.store.record(websiteId);
  const id = context.params.people_id ?? "";
  const profile = isUuid(id) || isEmail(id) ? context.store.profile(websiteId, id) : undefined;
  if (record === undefined || profile === undefined) {
    throw new CrispHttpError(404, "people_not_found");
  }
  return { websiteId, record, profile };
}

/** 409 `people_exists` when another profile of the website has `email` (case-insensitive). */
function ensureEmailFree(record: WebsiteRecord, email: string | undefined, except?: string): void {
  if (email === undefined) {
    return;
  }
  const wanted = email.toLowerCase();
  if (
    record.people.some((item) => item.people_id !== except && item.email?.toLowerCase() === wanted)
  ) {
    throw new CrispHttpError(409, "people_exists");
  }
}

/** Drops `undefined` values, so stored objects look as if parsed from JSON. */
function compact<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, item]) => item !== undefined)) as T;
}

/**
 * Emits a write's event in Crisp's hook body shape: `data` repeats `website_id` first
 * (crisp-api.md §5.2). Shared by the write routes and the live demo activity.
 */
export function emitWriteEvent(
  env: Pick<WriteEnvironment, "events" | "clock">,
  event: SimulatorEventName,
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
 * Adds a new, empty, pending conversation to `record` (`POST …/conversation`; no event, see
 * the header). `meta` replaces the default anonymous `visitorNNNNNN` meta.
 */
export function addConversation(
  env: Pick<WriteEnvironment, "clock" | "ids">,
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
    status: 0,
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
  env: Pick<WriteEnvironment, "events" | "clock">,
  target: SessionTarget,
  state: WireConversationState,
): void {
  const conversation = target.conversation;
  conversation.state = state;
  conversation.status = STATUS[state];
  if (state === "resolved") {
    // Nobody waits on a resolved conversation (the seed computes it the same way).
    delete conversation.waiting_since;
  }
  conversation.updated_at = env.clock();
  emitWriteEvent(
    env,
    "session:set_state",
    target.websiteId,
    { session_id: target.sessionId, state },
    conversation.updated_at,
  );
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
  env: Pick<WriteEnvironment, "events" | "clock" | "messageLimit">,
  target: SessionTarget,
  input: NewMessage,
  user: NonNullable<WireMessage["user"]>,
): WireMessage {
  const { messages, conversation } = target;
  if (messages.length >= env.messageLimit) {
    throw new CrispHttpError(409, "too_many_messages");
  }
  const last = messages[messages.length - 1];
  const timestamp = Math.max(env.clock(), (last?.timestamp ?? 0) + 1);
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
  messages.push(message);
  applyNewMessage(conversation, message);
  emitWriteEvent(
    env,
    input.from === "user" ? "message:send" : "message:received",
    target.websiteId,
    structuredClone(message) as unknown as JsonObject,
    timestamp,
  );
  return message;
}

/** How an operator signs a message (the seed's shape): `type: "website"`, "First L.". */
export function operatorUser(
  operator: WireOperator,
  given: MessageInput["user"] = {},
): NonNullable<WireMessage["user"]> {
  const { details } = operator;
  return compact({
    type: given.type ?? "website",
    user_id: details.user_id,
    nickname: given.nickname ?? `${details.first_name ?? ""} ${details.last_name?.[0] ?? ""}.`,
    avatar: given.avatar ?? details.avatar,
  });
}

/** The write routes, bound to the simulator's shared write state. */
export function createWriteRoutes(env: WriteEnvironment): Route[] {
  const emit = (
    event: SimulatorEventName,
    websiteId: string,
    data: JsonObject,
    timestamp = env.clock(),
  ): void => emitWriteEvent(env, event, websiteId, data, timestamp);

  /** PATCH merges the body into the profile; PUT replaces it, keeping Crisp's own fields. */
  const writeProfile = async (
    context: RouteContext,
    mode: "merge" | "replace",
  ): Promise<RouteAnswer> => {
    const { websiteId, record, profile } = profileTarget(context);
    const input = checkProfile(await context.readBody(), mode === "merge");
    ensureEmailFree(record, input.email, profile.people_id);
    if (mode === "merge") {
      Object.assign(profile, mergeDeep(profile as unknown as JsonObject, input as JsonObject));
      profile.updated_at = env.clock();
    } else {
      const replaced: WirePeopleProfile = compact({
        people_id: profile.people_id,
        segments: [],
        notepad: "",
        score: profile.score,
        active: profile.active,
        created_at: profile.created_at,
        updated_at: env.clock(),
        ...input,
      });
      for (const key of Object.keys(profile)) {
        delete (profile as unknown as JsonObject)[key];
      }
      Object.assign(profile, replaced);
    }
    emit(
      "people:profile:updated",
      websiteId,
      { people_id: profile.people_id, email: profile.email, update: structuredClone(input) },
      profile.updated_at,
    );
    return updated();
  };

  return [
    {
      method: "POST",
      path: "/website",
      tiers: USER_ONLY,
      handle: async (context) => {
        const body = objectBody(await context.readBody());
        onlyKeys(body, ["name", "domain"]);
        const name = checkString(body.name, "name", true).trim();
        const domain = checkString(body.domain, "domain", true).trim().toLowerCase();
        if (!DOMAIN.test(domain)) {
          throw invalidData("domain must be a domain name, such as example.com");
        }
        const websiteId = env.ids.uuid();
        // The account creating it owns it: the seeded owner owns every seeded workspace.
        const firstSeeded = context.store.websites[0];
        const owner = (
          firstSeeded === undefined
            ? []
            : (context.store.record(firstSeeded.website_id)?.operators ?? [])
        ).filter((operator) => operator.details.role === "owner");
        context.store.addWebsite({
          website: {
            website_id: websiteId,
            name,
            domain,
            logo: null,
            verified: false,
            institutional: false,
          },
          connect: {
            token: env.ids.hex(64),
            settings: {},
            plan: { id: env.ids.uuid(), name: "Free", trialing: false },
          },
          operators: owner,
          inboxes: [],
          people: [],
          conversations: [],
          messages: new Map(),
          visitors: [],
        });
        context.token.websiteIds.push(websiteId);
        return added({ website_id: websiteId });
      },
    },
    {
      method: "DELETE",
      path: "/website/:website_id",
      tiers: USER_ONLY,
      handle: async (context) => {
        const websiteId = websiteOf(context).website_id;
        const body = objectBody(await context.readBody());
        onlyKeys(body, ["verify"]);
        if (!isObject(body.verify)) {
          throw invalidData("verify must be an object { method, secret }");
        }
        const { method, secret } = body.verify;
        onlyKeys(body.verify, ["method", "secret"], "verify.");
        if (typeof method !== "string" || !VERIFY_METHODS.includes(method)) {
          throw invalidData(`verify.method must be one of ${VERIFY_METHODS.join(", ")}`);
        }
        checkString(secret, "verify.secret", true);
        if (secret !== env.accountPassword) {
          throw new CrispHttpError(423, "password_unverified");
        }
        context.store.removeWebsite(websiteId);
        for (const token of env.tokens) {
          token.websiteIds = token.websiteIds.filter((id) => id !== websiteId);
        }
        return deleted();
      },
    },
    {
      method: "POST",
      path: "/website/:website_id/conversation",
      tiers: USER_PLUGIN,
      handle: (context) => {
        const websiteId = websiteOf(context).website_id;
        const record = context.store.record(websiteId);
        if (record === undefined) {
          throw new CrispHttpError(404, "website_not_found");
        }
        const conversation = addConversation(env, record);
        return added({ session_id: conversation.session_id });
      },
    },
    {
      method: "DELETE",
      path: "/website/:website_id/conversation/:session_id",
      tiers: USER_PLUGIN,
      handle: (context) => {
        const { websiteId, sessionId, record } = sessionTarget(context);
        record.conversations = record.conversations.filter((item) => item.session_id !== sessionId);
        record.messages.delete(sessionId);
        emit("session:removed", websiteId, { session_id: sessionId });
        return deleted();
      },
    },
    {
      method: "PATCH",
      path: "/website/:website_id/conversation/:session_id/state",
      tiers: USER_PLUGIN,
      handle: async (context) => {
        const target = sessionTarget(context);
        const body = objectBody(await context.readBody());
        onlyKeys(body, ["state", "user", "origin"]);
        const state = body.state;
        if (typeof state !== "string" || !STATES.includes(state as WireConversationState)) {
          throw invalidData(`state must be one of ${STATES.join(", ")}`);
        }
        setConversationState(env, target, state as WireConversationState);
        return updated();
      },
    },
    {
      method: "PATCH",
      path: "/website/:website_id/conversation/:session_id/routing",
      tiers: USER_PLUGIN,
      handle: async (context) => {
        const target = sessionTarget(context);
        const body = objectBody(await context.readBody());
        onlyKeys(body, ["assigned", "silent"]);
        if (!("assigned" in body)) {
          throw invalidData("assigned must be { user_id } or null");
        }
        let userId: string | null = null;
        if (body.assigned !== null) {
          if (!isObject(body.assigned)) {
            throw invalidData("assigned must be { user_id } or null");
          }
          onlyKeys(body.assigned, ["user_id"], "assigned.");
          userId = checkString(body.assigned.user_id, "assigned.user_id", true);
          const known = target.record.operators.some(
            (operator) => operator.details.user_id === userId,
          );
          if (!known) {
            throw invalidData("assigned.user_id is not an operator of this website");
          }
        }
        const conversation = target.conversation;
        const previous = conversation.assigned?.user_id ?? null;
        if (userId === null) {
          delete conversation.assigned;
        } else {
          conversation.assigned = { user_id: userId };
        }
        conversation.updated_at = env.clock();
        emit(
          "session:set_routing",
          target.websiteId,
          {
            session_id: target.sessionId,
            assigned: userId === null ? null : { user_id: userId },
            routing_id: userId,
            previous_routing_id: previous,
          },
          conversation.updated_at,
        );
        return updated();
      },
    },
    {
      method: "PATCH",
      path: "/website/:website_id/conversation/:session_id/meta",
      tiers: USER_PLUGIN,
      handle: async (context) => {
        const target = sessionTarget(context);
        const patch = checkMeta(await context.readBody());
        const conversation = target.conversation;
        // Fields are replaced one by one; `data` as a whole, as `session:set_data` carries it.
        conversation.meta = { ...conversation.meta, ...patch } as WireConversationMeta;
        if (Object.keys(patch).length > 0) {
          conversation.updated_at = env.clock();
        }
        for (const field of META_EVENTS) {
          if (field in patch) {
            emit(
              `session:set_${field}`,
              target.websiteId,
              { session_id: target.sessionId, [field]: patch[field] },
              conversation.updated_at,
            );
          }
        }
        return updated();
      },
    },
    {
      method: "POST",
      path: "/website/:website_id/conversation/:session_id/message",
      tiers: USER_PLUGIN,
      handle: async (context) => {
        const target = sessionTarget(context);
        const input = checkMessage(await context.readBody());
        if (
          input.fingerprint !== undefined &&
          target.messages.some((message) => message.fingerprint === input.fingerprint)
        ) {
          return dispatched(input.fingerprint);
        }
        const message = appendMessage(env, target, input, messageUser(context, target, input));
        return dispatched(message.fingerprint);
      },
    },
    {
      method: "PATCH",
      path: "/website/:website_id/conversation/:session_id/message/:fingerprint",
      tiers: USER_PLUGIN,
      handle: async (context) => {
        const target = sessionTarget(context);
        const index = messageIndex(context, target);
        const body = objectBody(await context.readBody());
        onlyKeys(body, ["content"]);
        const message = target.messages[index] as WireMessage;
        message.content = checkContent(message.type, body.content);
        message.edited = true;
        if (index === target.messages.length - 1) {
          target.conversation.last_message = renderMessage(message);
        }
        emit("message:updated", target.websiteId, {
          session_id: target.sessionId,
          fingerprint: message.fingerprint,
          content: structuredClone(message.content),
        });
        return updated();
      },
    },
    {
      method: "DELETE",
      path: "/website/:website_id/conversation/:session_id/message/:fingerprint",
      tiers: USER_PLUGIN,
      handle: (context) => {
        const target = sessionTarget(context);
        const index = messageIndex(context, target);
        const [removed] = target.messages.splice(index, 1);
        const last = target.messages[target.messages.length - 1];
        if (last === undefined) {
          delete target.conversation.last_message;
        } else {
          target.conversation.last_message = renderMessage(last);
        }
        emit("message:removed", target.websiteId, {
          session_id: target.sessionId,
          fingerprint: removed?.fingerprint,
        });
        return deleted();
      },
    },
    {
      method: "POST",
      path: "/website/:website_id/people/profile",
      tiers: USER_PLUGIN,
      handle: async (context) => {
        const websiteId = websiteOf(context).website_id;
        const record = context.store.record(websiteId);
        if (record === undefined) {
          throw new CrispHttpError(404, "website_not_found");
        }
        const input = checkProfile(await context.readBody(), false);
        ensureEmailFree(record, input.email);
        const now = env.clock();
        const profile: WirePeopleProfile = {
          people_id: env.ids.uuid(),
          segments: [],
          notepad: "",
          score: 0,
          active: { now: false },
          created_at: now,
          updated_at: now,
          ...input,
        };
        record.people.push(profile);
        emit(
          "people:profile:created",
          websiteId,
          { people_id: profile.people_id, email: profile.email },
          now,
        );
        return added({ people_id: profile.people_id });
      },
    },
    {
      method: "PATCH",
      path: "/website/:website_id/people/profile/:people_id",
      tiers: USER_PLUGIN,
      handle: (context) => writeProfile(context, "merge"),
    },
    {
      method: "PUT",
      path: "/website/:website_id/people/profile/:people_id",
      tiers: USER_PLUGIN,
      handle: (context) => writeProfile(context, "replace"),
    },
    {
      method: "DELETE",
      path: "/website/:website_id/people/profile/:people_id",
      tiers: USER_PLUGIN,
      handle: (context) => {
        const { websiteId, record, profile } = profileTarget(context);
        record.people = record.people.filter((item) => item.people_id !== profile.people_id);
        emit("people:profile:removed", websiteId, {
          people_id: profile.people_id,
          email: profile.email,
        });
        return deleted();
      },
    },
  ];
}

function dispatched(fingerprint: number): RouteAnswer {
  return { status: 202, reason: "dispatched", data: { fingerprint } };
}

/**
 * The `user` of a new message [I]: a visitor is the conversation's session (as in Crisp's
 * `message:send` sample); an operator is the seeded account owner for a `user` token and the
 * plugin (its token identifier) for a plugin token. `body.user` overrides type, nickname, avatar.
 */
function messageUser(
  context: RouteContext,
  target: SessionTarget,
  input: ReturnType<typeof checkMessage>,
): NonNullable<WireMessage["user"]> {
  const given = input.user ?? {};
  if (input.from === "user") {
    return compact({
      nickname: given.nickname ?? target.conversation.meta.nickname ?? "visitor",
      user_id: target.sessionId,
      avatar: given.avatar,
      type: given.type,
    });
  }
  const owner = target.record.operators.find((operator) => operator.details.role === "owner");
  if (context.token.tier === "user" && owner !== undefined) {
    return operatorUser(owner, given);
  }
  return compact({
    type: given.type ?? "website",
    user_id: context.token.identifier,
    nickname: given.nickname ?? "Bot",
    avatar: given.avatar,
  });
}

/**
 * What a new message changes on its conversation: last message, update time and, for what a
 * person reads (not notes or events), the unread counters and the waiting time.
 */
function applyNewMessage(conversation: WireConversation, message: WireMessage): void {
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
    unread.visitor++;
    delete conversation.waiting_since;
  }
  conversation.unread = unread;
}
