import type { GatewayContext } from "../context.js";
import { CrispEvent, CrispEventFamily, isEventOf } from "../crisp/events.js";
import { isFingerprint, isUuid, requireId } from "../crisp/ids.js";
import { CRISP_MESSAGE_TYPES, type CrispConversation, type CrispMessage } from "../crisp/types.js";
import { ErrorCode, GatewayError } from "../errors.js";
import type { CrispHookEvent } from "../events/event.js";
import { mapItems } from "../events/iterate.js";
import type { LiveItem } from "../events/live.js";
import { builder } from "./builder.js";
import { ConversationRef } from "./conversation/type.js";
import { MessageRef } from "./message/type.js";
import { PersonRef, type PersonShape } from "./person/type.js";

const MESSAGE_TYPES: ReadonlySet<string> = new Set(CRISP_MESSAGE_TYPES);

/** A `message:send` / `message:received` hook carries the whole message (crisp-api.md §5.5). */
function hookMessage(event: CrispHookEvent): CrispMessage | null {
  const data = event.data;
  if (
    event.sessionId === null ||
    typeof data.fingerprint !== "number" ||
    !isFingerprint(data.fingerprint) ||
    typeof data.type !== "string" ||
    !MESSAGE_TYPES.has(data.type)
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
 * The website's events a subscriber accepts, as they arrive, optionally of one conversation.
 * Ids are checked before anything is subscribed.
 */
async function eventsOf(
  ctx: GatewayContext,
  args: { websiteId: string; sessionId?: string | null | undefined },
  accept: (event: CrispHookEvent) => boolean,
): Promise<AsyncIterator<LiveItem>> {
  const websiteId = requireId("websiteId", args.websiteId).toLowerCase();
  if (!ctx.loaders.visible(websiteId)) {
    // Events of a website the viewer may not see are never delivered: no such website.
    throw new GatewayError(ErrorCode.NOT_FOUND, "Crisp has no such website for this token.");
  }
  const sessionId =
    args.sessionId === null || args.sessionId === undefined
      ? null
      : requireId("sessionId", args.sessionId).toLowerCase();
  return ctx.events.subscribe(
    {
      websiteId,
      visible: ctx.loaders.visible,
      accept: (event) => accept(event) && (sessionId === null || event.sessionId === sessionId),
    },
    null,
  );
}

/**
 * Each accepted event, read again through cleared loaders (a subscription keeps one context
 * for its whole life, and each event must show Crisp's state after it); an event whose read
 * finds nothing is skipped.
 */
async function freshReads<T>(
  ctx: GatewayContext,
  args: { websiteId: string; sessionId?: string | null | undefined },
  accept: (event: CrispHookEvent) => boolean,
  read: (event: CrispHookEvent) => T | null | Promise<T | null>,
) {
  return mapItems(await eventsOf(ctx, args, accept), async (item: LiveItem) => {
    if (item.kind !== "event") {
      return undefined;
    }
    // A new read of Crisp, with a budget of its own.
    ctx.budget.startEvent();
    ctx.loaders.clearAll();
    const value = await read(item.event);
    return value === null ? undefined : { value };
  });
}

interface ConversationEventShape {
  name: string;
  conversation: CrispConversation;
  timestamp: Date;
}
interface PersonEventShape {
  name: string;
  peopleId: string;
  person: PersonShape | null;
  timestamp: Date;
}

const CrispEventRef = builder.objectRef<CrispHookEvent>("CrispEvent").implement({
  description:
    "One Crisp web hook event as received, for events without a typed subscription. Costs no Crisp request.",
  fields: (t) => ({
    id: t.exposeID("id", {
      description: "The event's id in the gateway's event log: pass it as `after` to resume.",
    }),
    name: t.exposeString("name", { description: "Crisp's event name, e.g. session:set_state." }),
    websiteId: t.exposeID("websiteId"),
    sessionId: t.id({ nullable: true, resolve: (e) => e.sessionId }),
    data: t.field({
      type: "JSON",
      description: "The hook's `data`, as Crisp sent it.",
      resolve: (e) => e.data,
    }),
    timestamp: t.field({ type: "DateTime", resolve: (e) => new Date(e.timestamp) }),
  }),
});

const ConversationEventRef = builder
  .objectRef<ConversationEventShape>("ConversationEvent")
  .implement({
    description:
      "A conversation after a session:* event, read again from Crisp (GET …/conversation/{session_id}, once per event: subscriptions to the same conversation share the read through the gateway's cache).",
    fields: (t) => ({
      name: t.exposeString("name", {
        description: "Crisp's event name that caused it, e.g. session:set_state.",
      }),
      conversation: t.field({ type: ConversationRef, resolve: (e) => e.conversation }),
      timestamp: t.field({ type: "DateTime", resolve: (e) => e.timestamp }),
    }),
  });

const PersonEventRef = builder.objectRef<PersonEventShape>("PersonEvent").implement({
  description:
    "A people profile after a people:profile:* event, read again from Crisp (GET …/people/profile/{people_id}, once per event, shared by the subscriptions it reaches; none once removed).",
  fields: (t) => ({
    name: t.exposeString("name", {
      description: "people:profile:created, people:profile:updated or people:profile:removed.",
    }),
    peopleId: t.exposeID("peopleId"),
    person: t.field({
      type: PersonRef,
      nullable: true,
      description: "Null once removed.",
      resolve: (e) => e.person,
    }),
    timestamp: t.field({ type: "DateTime", resolve: (e) => e.timestamp }),
  }),
});

/** A website's events, or only one conversation's. */
const conversationScope = builder.args((t) => ({
  websiteId: t.id({ required: true }),
  sessionId: t.id({ description: "Only this conversation's events." }),
}));

builder.subscriptionFields((t) => ({
  messageAdded: t.field({
    type: MessageRef,
    description:
      "message:send (from the visitor) and message:received (from an operator). The message comes whole in the hook, so only fields such as `conversation` that load more reach Crisp.",
    crispCost: { requests: 0 },
    args: conversationScope,
    subscribe: (_root, args, ctx) =>
      freshReads(
        ctx,
        args,
        (event) =>
          event.name === CrispEvent.MESSAGE_SEND || event.name === CrispEvent.MESSAGE_RECEIVED,
        hookMessage,
      ),
    resolve: (message) => message,
  }),
  messageUpdated: t.field({
    type: MessageRef,
    description:
      "message:updated. The hook only carries the new content, so the message is read again: GET …/message/{fingerprint}, shared by the subscriptions it reaches.",
    crispCost: { requests: 1 },
    args: conversationScope,
    subscribe: (_root, args, ctx) =>
      freshReads(
        ctx,
        args,
        (event) => event.name === CrispEvent.MESSAGE_UPDATED,
        (event) => {
          const fingerprint = event.data.fingerprint;
          return typeof fingerprint === "number" &&
            isFingerprint(fingerprint) &&
            event.sessionId !== null
            ? ctx.loaders.message(event.websiteId, event.sessionId, fingerprint)
            : null;
        },
      ),
    resolve: (message) => message,
  }),
  conversationUpdated: t.field({
    type: ConversationEventRef,
    description:
      "Any session:* event that changes a conversation (state, routing, meta, block…), with the conversation as Crisp now holds it (GET …/conversation/{session_id}). session:removed is not delivered here (see crispEvents).",
    crispCost: { requests: 1 },
    args: conversationScope,
    subscribe: (_root, args, ctx) =>
      freshReads(
        ctx,
        args,
        (event) =>
          isEventOf(event.name, CrispEventFamily.SESSION) &&
          event.name !== CrispEvent.SESSION_REMOVED &&
          event.sessionId !== null,
        async (event): Promise<ConversationEventShape | null> => {
          const conversation = await ctx.loaders.conversation(
            event.websiteId,
            event.sessionId ?? "",
          );
          return conversation === null
            ? null
            : { name: event.name, conversation, timestamp: new Date(event.timestamp) };
        },
      ),
    resolve: (event) => event,
  }),
  personUpdated: t.field({
    type: PersonEventRef,
    description:
      "people:profile:created, people:profile:updated and people:profile:removed, with the profile as Crisp now holds it (GET …/people/profile/{people_id}; none once removed).",
    crispCost: { requests: 1 },
    args: { websiteId: t.arg.id({ required: true }) },
    subscribe: (_root, args, ctx) =>
      freshReads(
        ctx,
        args,
        (event) => isEventOf(event.name, CrispEventFamily.PEOPLE_PROFILE),
        async (event): Promise<PersonEventShape | null> => {
          const peopleId = event.data.people_id;
          if (typeof peopleId !== "string" || !isUuid(peopleId)) {
            return null;
          }
          const profile =
            event.name === CrispEvent.PEOPLE_PROFILE_REMOVED
              ? null
              : await ctx.loaders.person(event.websiteId, peopleId);
          return {
            name: event.name,
            peopleId,
            person: profile === null ? null : { websiteId: event.websiteId, profile },
            timestamp: new Date(event.timestamp),
          };
        },
      ),
    resolve: (event) => event,
  }),
  crispEvents: t.field({
    type: CrispEventRef,
    description: "Every event of the website, raw, optionally only the named ones.",
    crispCost: { requests: 0 },
    args: {
      websiteId: t.arg.id({ required: true }),
      names: t.arg.stringList({
        description: 'Crisp event names to receive, e.g. ["session:set_state"].',
      }),
    },
    subscribe: async (_root, args, ctx) =>
      mapItems(
        await eventsOf(ctx, args, (event) => !args.names || args.names.includes(event.name)),
        (item: LiveItem) => (item.kind === "event" ? { value: item.event } : undefined),
      ),
    resolve: (event) => event,
  }),
}));
