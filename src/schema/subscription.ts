import type { GatewayContext } from "../context.js";
import { isUuid, requireId } from "../crisp/ids.js";
import type { CrispConversation, CrispMessage, CrispPeopleProfile } from "../crisp/types.js";
import { badUserInput, ErrorCode, GatewayError } from "../errors.js";
import type { CrispHookEvent } from "../events/event.js";
import { mapItems, type StepResult } from "../events/iterate.js";
import { type LiveItem, MAX_PENDING_EVENTS } from "../events/live.js";
import { EventLogGap } from "../events/log.js";
import { eventMessage, isSessionEvent } from "../events/patches.js";
import type { SharedRead } from "../events/projection.js";
import { builder } from "./builder.js";
import { ConversationRef } from "./conversation/type.js";
import { CrispEventRef, eventIdArgument, resyncError } from "./event.js";
import { decodeGlobalId } from "./global-id.js";
import { MessageRef } from "./message/type.js";
import { PersonRef, type PersonShape } from "./person/type.js";
import { WebsiteRef } from "./website.js";

/**
 * Subscriptions deliver from the gateway's state: each recorded event, once applied to what
 * the gateway holds (src/events/upkeep.ts), reaches the subscriptions it concerns with what it
 * changed (src/events/projection.ts: computed once per event for every subscriber, so an event
 * the gateway can patch costs Crisp nothing). A read that fails is that event's field error:
 * the subscription goes on. Every subscription takes `after` (an event id): the recorded
 * events after it first, then live ones, with no gap and no duplicate.
 */

/** What a subscription's resolver gets for each event, or word that it fell behind. */
type Delivered<T> = { event: CrispHookEvent; value: T } | { behind: string | null };

/** The value of a delivered event; a subscriber that fell behind gets its last error. */
function unwrap<T>(delivered: Delivered<T>): T {
  if ("behind" in delivered) {
    const error = new GatewayError(
      ErrorCode.REQUEST_LIMIT_EXCEEDED,
      `This subscription fell more than ${MAX_PENDING_EVENTS} events behind and was ended: subscribe again with after: ${JSON.stringify(delivered.behind ?? "")} to resume.`,
    );
    error.extensions.resumeAfter = delivered.behind;
    throw error;
  }
  return delivered.value;
}

/**
 * A website id as a client may give it: Crisp's UUID in any case, or the `Website` global
 * id. Normalised here, once, to what events carry (lower case).
 */
function websiteIdArgument(value: string): string {
  if (isUuid(value)) {
    return value.toLowerCase();
  }
  try {
    const { typename, id } = decodeGlobalId(value);
    if (typename === "Website" && isUuid(id)) {
      return id.toLowerCase();
    }
  } catch {
    // Neither shape: said below.
  }
  throw badUserInput(
    "websiteId",
    `expected a Crisp website id (a UUID) or a Website id, got ${JSON.stringify(value.slice(0, 80))}.`,
  );
}

/** Where a subscription listens: one website, or every website the viewer may see. */
interface Scope {
  websiteId?: string | null | undefined;
  sessionId?: string | null | undefined;
  after?: string | null | undefined;
}

/**
 * Registers the subscription with the live events (checking every argument first) and maps
 * each event it accepts to its payload (`toValue`: undefined skips the event). Each event has
 * a budget of its own, and the context remembers which event it is (extensions.eventId).
 */
async function subscribeTo<T>(
  ctx: GatewayContext,
  scope: Scope,
  accept: (event: CrispHookEvent) => boolean,
  toValue: (event: CrispHookEvent) => T | undefined | Promise<T | undefined>,
): Promise<AsyncIterableIterator<Delivered<T>>> {
  const websiteId =
    scope.websiteId === null || scope.websiteId === undefined
      ? null
      : websiteIdArgument(scope.websiteId);
  if (websiteId !== null && !ctx.loaders.visible(websiteId)) {
    // Events of a website the viewer may not see are never delivered: no such website.
    throw new GatewayError(ErrorCode.NOT_FOUND, "Crisp has no such website for this token.");
  }
  const sessionId =
    scope.sessionId === null || scope.sessionId === undefined
      ? null
      : requireId("sessionId", scope.sessionId).toLowerCase();
  const after =
    scope.after === null || scope.after === undefined
      ? eventIdArgument(ctx.lastEventId, "Last-Event-ID")
      : eventIdArgument(scope.after, "after");
  let items: AsyncIterator<LiveItem>;
  try {
    items = await ctx.events.live.subscribe(
      {
        websiteId,
        visible: ctx.loaders.visible,
        accept: (event) => (sessionId === null || event.sessionId === sessionId) && accept(event),
      },
      after,
    );
  } catch (error) {
    throw error instanceof EventLogGap ? resyncError("after", error) : error;
  }
  return mapItems(items, async (item: LiveItem): Promise<StepResult<Delivered<T>>> => {
    if (item.kind === "behind") {
      return { value: { behind: item.lastDelivered }, last: true };
    }
    // A new event: a budget of its own, and nothing an earlier event loaded.
    ctx.budget.startEvent();
    ctx.loaders.clearAll();
    ctx.eventId = item.event.id;
    const value = await toValue(item.event);
    return value === undefined ? undefined : { value: { event: item.event, value } };
  });
}

/**
 * Awaits a shared read for this subscriber, charging this event for what it cost (once per
 * event, whichever subscriber's resolver asked first).
 */
async function readShared<T>(ctx: GatewayContext, read: SharedRead<T>): Promise<T> {
  try {
    return await read.value;
  } finally {
    ctx.budget.chargeShared(read, read.cost());
  }
}

interface ConversationEventShape {
  name: string;
  read: SharedRead<CrispConversation | null>;
  timestamp: Date;
}
interface PersonEventShape {
  name: string;
  peopleId: string;
  websiteId: string;
  read: SharedRead<CrispPeopleProfile | null> | null;
  timestamp: Date;
}

const ConversationEventRef = builder
  .objectRef<ConversationEventShape>("ConversationEvent")
  .implement({
    description: "A conversation after a session:* event.",
    fields: (t) => ({
      name: t.exposeString("name", {
        description: "Crisp's event name that caused it, e.g. session:set_state.",
      }),
      conversation: t.field({
        type: ConversationRef,
        description:
          "The conversation with the event applied, as the gateway holds it (patched from what the event carries: no Crisp request). When the gateway did not hold it, GET /website/{website_id}/conversation/{session_id}, once per event for every subscriber (with Redis, of every instance), with the event laid over Crisp's answer. A failed read is this event's error; the subscription goes on.",
        crispCost: { requests: 1 },
        resolve: async (e, _args, ctx) => {
          const conversation = await readShared(ctx, e.read);
          if (conversation === null) {
            throw new GatewayError(ErrorCode.NOT_FOUND, "The conversation no longer exists.");
          }
          return conversation;
        },
      }),
      timestamp: t.field({ type: "DateTime", resolve: (e) => e.timestamp }),
    }),
  });

const PersonEventRef = builder.objectRef<PersonEventShape>("PersonEvent").implement({
  description: "A people profile after a people:profile:* event.",
  fields: (t) => ({
    name: t.exposeString("name", {
      description: "people:profile:created, people:profile:updated or people:profile:removed.",
    }),
    peopleId: t.exposeID("peopleId"),
    person: t.field({
      type: PersonRef,
      nullable: true,
      description:
        "Null once removed. The profile with the event's `update` merged in, as the gateway holds it (no Crisp request); when it did not hold it, GET /website/{website_id}/people/profile/{people_id}, once per event for every subscriber, with the update laid over Crisp's answer.",
      crispCost: { requests: 1 },
      resolve: async (e, _args, ctx): Promise<PersonShape | null> => {
        if (e.read === null) {
          return null;
        }
        const profile = await readShared(ctx, e.read);
        return profile === null ? null : { websiteId: e.websiteId, profile };
      },
    }),
    timestamp: t.field({ type: "DateTime", resolve: (e) => e.timestamp }),
  }),
});

interface WebsiteConnectionShape {
  websiteId: string;
  connected: boolean;
}

const WebsiteConnectionEventRef = builder
  .objectRef<WebsiteConnectionShape>("WebsiteConnectionEvent")
  .implement({
    description:
      "A website installed or removed the plugin (plugin:subscription:updated). The gateway forgets the installations it held, so the next `websites` read lists them anew.",
    fields: (t) => ({
      websiteId: t.exposeID("websiteId", {
        description: "Crisp's website id, from the event (no Crisp request).",
      }),
      connected: t.exposeBoolean("connected", {
        description: "True once installed, false once removed (the event's `bound`).",
      }),
      website: t.field({
        type: WebsiteRef,
        nullable: true,
        description:
          "The website, null once removed. Costs nothing itself; its fields cost what they cost on Website (GET /website/{website_id} for its profile).",
        crispCost: { requests: 0 },
        resolve: (e) => (e.connected ? { websiteId: e.websiteId } : null),
      }),
    }),
  });

const scopeDescriptions = {
  websiteId:
    "Only this website's events: Crisp's website id or the Website's id. Without it, the events of every website these credentials may see.",
  sessionId: "Only this conversation's events.",
  after:
    "An event id (CrispEvent.id, `extensions.eventId`, or SSE's `id:`): the recorded events after it come first, then live ones, with no gap and no duplicate. One older than the event log keeps fails with BAD_USER_INPUT and `extensions.resync`.",
} as const;

/** A website's (or every visible website's) events, or only one conversation's, and where to resume. */
const conversationScope = builder.args((t) => ({
  websiteId: t.id({ description: scopeDescriptions.websiteId }),
  sessionId: t.id({ description: scopeDescriptions.sessionId }),
  after: t.id({ description: scopeDescriptions.after }),
}));

const isNewMessage = (event: CrispHookEvent) =>
  event.name === "message:send" || event.name === "message:received";

builder.subscriptionFields((t) => ({
  messageAdded: t.field({
    type: MessageRef,
    description:
      "message:send (from the visitor) and message:received (from an operator). The message comes whole in the event, so only fields such as `conversation` that load more may reach Crisp.",
    crispCost: { requests: 0 },
    args: conversationScope,
    subscribe: (_root, args, ctx) =>
      subscribeTo(ctx, args, isNewMessage, (event) => eventMessage(event) ?? undefined),
    resolve: (delivered: Delivered<CrispMessage>) => unwrap(delivered),
  }),
  messageUpdated: t.field({
    type: MessageRef,
    description:
      "message:updated, with the new content. The message as the gateway holds it, patched (no Crisp request); when it did not hold it, GET …/message/{fingerprint}, once per event for every subscriber. A failed read is this event's error; the subscription goes on.",
    crispCost: { requests: 1 },
    args: conversationScope,
    subscribe: (_root, args, ctx) =>
      subscribeTo(
        ctx,
        args,
        (event) => event.name === "message:updated",
        async (event): Promise<CrispMessage | GatewayError | undefined> => {
          try {
            return (await readShared(ctx, ctx.events.projections.message(event))) ?? undefined;
          } catch (error) {
            // Delivered as this event's error, not the stream's end.
            return error instanceof GatewayError
              ? error
              : new GatewayError(ErrorCode.UPSTREAM_UNAVAILABLE, "The message could not be read.");
          }
        },
      ),
    resolve: (delivered: Delivered<CrispMessage | GatewayError>) => {
      const value = unwrap(delivered);
      if (value instanceof GatewayError) {
        throw value;
      }
      return value;
    },
  }),
  conversationUpdated: t.field({
    type: ConversationEventRef,
    description:
      "Any session:* event but session:removed (see crispEvents), with the conversation after it.",
    crispCost: { requests: 0 },
    args: conversationScope,
    subscribe: (_root, args, ctx) =>
      subscribeTo(
        ctx,
        args,
        (event) =>
          isSessionEvent(event.name) &&
          event.name !== "session:removed" &&
          event.sessionId !== null,
        (event): ConversationEventShape => ({
          name: event.name,
          read: ctx.events.projections.conversation(event),
          timestamp: new Date(event.timestamp),
        }),
      ),
    resolve: (delivered: Delivered<ConversationEventShape>) => unwrap(delivered),
  }),
  personUpdated: t.field({
    type: PersonEventRef,
    description:
      "people:profile:created, people:profile:updated and people:profile:removed, with the profile after it.",
    crispCost: { requests: 0 },
    args: {
      websiteId: t.arg.id({ description: scopeDescriptions.websiteId }),
      after: t.arg.id({ description: scopeDescriptions.after }),
    },
    subscribe: (_root, args, ctx) =>
      subscribeTo(
        ctx,
        args,
        (event) => event.name.startsWith("people:profile:"),
        (event): PersonEventShape | undefined => {
          const peopleId = event.data.people_id;
          if (typeof peopleId !== "string" || !isUuid(peopleId)) {
            return undefined;
          }
          return {
            name: event.name,
            peopleId: peopleId.toLowerCase(),
            websiteId: event.websiteId,
            read:
              event.name === "people:profile:removed" ? null : ctx.events.projections.person(event),
            timestamp: new Date(event.timestamp),
          };
        },
      ),
    resolve: (delivered: Delivered<PersonEventShape>) => unwrap(delivered),
  }),
  websiteConnectionChanged: t.field({
    type: WebsiteConnectionEventRef,
    description:
      "plugin:subscription:updated: the plugin was installed on or removed from a website (plugin tier). Delivered to credentials that see that website (a plugin token sees every website). The event says everything: no Crisp request.",
    crispCost: { requests: 0 },
    args: {
      after: t.arg.id({ description: scopeDescriptions.after }),
    },
    subscribe: (_root, args, ctx) =>
      subscribeTo(
        ctx,
        { after: args.after },
        (event) => event.name === "plugin:subscription:updated",
        (event): WebsiteConnectionShape | undefined =>
          typeof event.data.bound === "boolean"
            ? { websiteId: event.websiteId.toLowerCase(), connected: event.data.bound }
            : undefined,
      ),
    resolve: (delivered: Delivered<WebsiteConnectionShape>) => unwrap(delivered),
  }),
  crispEvents: t.field({
    type: CrispEventRef,
    description: "Every event, raw, optionally only the named ones.",
    crispCost: { requests: 0 },
    args: {
      websiteId: t.arg.id({ description: scopeDescriptions.websiteId }),
      names: t.arg.stringList({
        description: 'Crisp event names to receive, e.g. ["session:set_state"].',
      }),
      after: t.arg.id({ description: scopeDescriptions.after }),
    },
    subscribe: (_root, args, ctx) =>
      subscribeTo(
        ctx,
        args,
        (event) => !args.names || args.names.includes(event.name),
        (event) => event,
      ),
    resolve: (delivered: Delivered<CrispHookEvent>) => unwrap(delivered),
  }),
}));
