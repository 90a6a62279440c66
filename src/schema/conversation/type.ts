import { canonicalId, isUuid } from "../../crisp/ids.js";
import type {
  CrispConversation,
  CrispConversationMeta,
  CrispDevice,
  CrispSoftware,
} from "../../crisp/types.js";
import { badUserInput } from "../../errors.js";
import { builder } from "../builder.js";
import { GeolocationRef } from "../common.js";
import { joinIdParts, splitIdParts } from "../global-id.js";
import { fromCrispTime } from "../scalars.js";
import { WebsiteRef } from "../website.js";

export const ConversationRef = builder.objectRef<CrispConversation>("Conversation");

export const ConversationState = builder.enumType("ConversationState", {
  description: "Crisp's conversation state (its `state`, or `status` 0/1/2).",
  values: {
    PENDING: { value: "pending", description: "Waiting for a first answer." },
    UNRESOLVED: { value: "unresolved", description: "Open." },
    RESOLVED: { value: "resolved", description: "Closed by an operator." },
  } as const,
});

const Availability = builder.enumType("Availability", {
  description: "Whether the visitor is online in the chatbox.",
  values: { ONLINE: { value: "online" }, OFFLINE: { value: "offline" } } as const,
});

const SoftwareRef = builder.objectRef<CrispSoftware>("Software").implement({
  description: "A piece of software of the visitor's device.",
  fields: (t) => ({
    name: t.string({ nullable: true, resolve: (s) => s.name ?? null }),
    version: t.string({ nullable: true, resolve: (s) => s.version ?? null }),
  }),
});

const DeviceSystemRef = builder
  .objectRef<NonNullable<CrispDevice["system"]>>("DeviceSystem")
  .implement({
    description: "The visitor's operating system, engine and browser.",
    fields: (t) => ({
      os: t.field({ type: SoftwareRef, nullable: true, resolve: (s) => s.os ?? null }),
      engine: t.field({ type: SoftwareRef, nullable: true, resolve: (s) => s.engine ?? null }),
      browser: t.field({ type: SoftwareRef, nullable: true, resolve: (s) => s.browser ?? null }),
      useragent: t.string({ nullable: true, resolve: (s) => s.useragent ?? null }),
    }),
  });

const DeviceRef = builder.objectRef<CrispDevice>("Device").implement({
  description: "The visitor's device, as Crisp saw it.",
  fields: (t) => ({
    capabilities: t.stringList({ resolve: (d) => d.capabilities ?? [] }),
    geolocation: t.field({
      type: GeolocationRef,
      nullable: true,
      resolve: (d) => d.geolocation ?? null,
    }),
    system: t.field({ type: DeviceSystemRef, nullable: true, resolve: (d) => d.system ?? null }),
    timezone: t.int({
      nullable: true,
      description: "Minutes offset from UTC as Crisp reports it (e.g. -120).",
      resolve: (d) => d.timezone ?? null,
    }),
    locales: t.stringList({ resolve: (d) => d.locales ?? [] }),
  }),
});

const ConversationMetaRef = builder.objectRef<CrispConversationMeta>("ConversationMeta").implement({
  description:
    "The conversation's metas (who the visitor is). Part of the conversation: no extra Crisp request.",
  fields: (t) => ({
    nickname: t.string({ nullable: true, resolve: (m) => m.nickname ?? null }),
    email: t.string({ nullable: true, resolve: (m) => m.email ?? null }),
    phone: t.string({ nullable: true, resolve: (m) => m.phone ?? null }),
    address: t.string({ nullable: true, resolve: (m) => m.address ?? null }),
    subject: t.string({ nullable: true, resolve: (m) => m.subject ?? null }),
    ip: t.string({ nullable: true, resolve: (m) => m.ip ?? null }),
    avatar: t.string({ nullable: true, resolve: (m) => m.avatar ?? null }),
    origin: t.string({ nullable: true, resolve: (m) => m.origin ?? null }),
    segments: t.stringList({ resolve: (m) => m.segments ?? [] }),
    data: t.field({ type: "JSON", nullable: true, resolve: (m) => m.data ?? null }),
    device: t.field({ type: DeviceRef, nullable: true, resolve: (m) => m.device ?? null }),
  }),
});

const ParticipantRef = builder
  .objectRef<{ type: string; target: string }>("Participant")
  .implement({
    description: "An extra participant Crisp copies on the conversation (e.g. an email).",
    fields: (t) => ({ type: t.exposeString("type"), target: t.exposeString("target") }),
  });

const UnreadCountRef = builder
  .objectRef<{ operator: number; visitor: number }>("UnreadCount")
  .implement({
    description: "Unread messages on each side.",
    fields: (t) => ({
      operator: t.exposeInt("operator", { description: "Messages operators have not read." }),
      visitor: t.exposeInt("visitor", { description: "Messages the visitor has not read." }),
    }),
  });

builder.node(ConversationRef, {
  description:
    "A Crisp conversation (session). Loaded by GET /website/{website_id}/conversation/{session_id}, or for free from the list page that returned it. Its scalar fields and `meta` cost nothing more.",
  id: {
    resolve: (c) => joinIdParts(c.website_id, c.session_id),
    parse: (id) => {
      const [websiteId = "", sessionId = ""] = splitIdParts(id, 2);
      const website = canonicalId("websiteId", websiteId);
      const session = canonicalId("sessionId", sessionId);
      if (website === null || session === null) {
        throw badUserInput("id", "not a global id of this gateway.");
      }
      return joinIdParts(website, session);
    },
  },
  loadOne: (id, ctx) => {
    const [websiteId = "", sessionId = ""] = id.split("/");
    return ctx.loaders.conversation(websiteId, sessionId);
  },
  fields: (t) => ({
    sessionId: t.exposeID("session_id", { description: "Crisp's session id (session_<UUID>)." }),
    peopleId: t.id({
      nullable: true,
      description:
        "The people id Crisp links to this conversation (its `people_id`), without loading the profile: match contacts by it at no extra Crisp request. Null when no profile is bound.",
      resolve: (c) => (c.people_id !== undefined && isUuid(c.people_id) ? c.people_id : null),
    }),
    website: t.field({
      type: WebsiteRef,
      description:
        "The website the conversation belongs to (its fields load it: one Crisp request per website).",
      resolve: (c) => ({ websiteId: c.website_id }),
    }),
    state: t.field({ type: ConversationState, resolve: (c) => c.state }),
    isVerified: t.boolean({
      description: "The visitor's identity is verified.",
      resolve: (c) => c.is_verified === true,
    }),
    isBlocked: t.boolean({ resolve: (c) => c.is_blocked === true }),
    availability: t.field({
      type: Availability,
      nullable: true,
      resolve: (c) => c.availability ?? null,
    }),
    active: t.boolean({
      description: "The visitor is active right now.",
      resolve: (c) => c.active?.now === true,
    }),
    lastActiveAt: t.field({
      type: "DateTime",
      nullable: true,
      resolve: (c) => fromCrispTime(c.active?.last),
    }),
    lastMessage: t.string({
      nullable: true,
      description:
        "Excerpt of the last message, from the conversation itself (no extra Crisp request).",
      resolve: (c) => c.last_message ?? null,
    }),
    topic: t.string({ nullable: true, resolve: (c) => c.topic ?? null }),
    participants: t.field({ type: [ParticipantRef], resolve: (c) => c.participants ?? [] }),
    unread: t.field({
      type: UnreadCountRef,
      resolve: (c) => c.unread ?? { operator: 0, visitor: 0 },
    }),
    meta: t.field({ type: ConversationMetaRef, resolve: (c) => c.meta ?? {} }),
    createdAt: t.field({ type: "DateTime", resolve: (c) => new Date(c.created_at) }),
    updatedAt: t.field({ type: "DateTime", resolve: (c) => new Date(c.updated_at) }),
    waitingSince: t.field({
      type: "DateTime",
      nullable: true,
      description: "Since when the visitor waits for an answer, when waiting.",
      resolve: (c) => fromCrispTime(c.waiting_since),
    }),
  }),
});

export const ConversationConnection = builder.connectionObject(
  {
    type: ConversationRef,
    name: "ConversationConnection",
    description: "A page of conversations.",
  },
  { name: "ConversationEdge", description: "One conversation and its cursor." },
);
