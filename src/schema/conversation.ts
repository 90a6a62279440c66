import type { GatewayContext } from "../context.js";
import type { ConversationListParams } from "../crisp/conversations.js";
import { isSessionId, isUuid, requireId } from "../crisp/ids.js";
import type {
  CrispConversation,
  CrispConversationMeta,
  CrispDevice,
  CrispSoftware,
} from "../crisp/types.js";
import { badUserInput, ErrorCode, GatewayError } from "../errors.js";
import { SIZED_WINDOW_MAX_PAGES } from "../loaders/paging.js";
import { builder } from "./builder.js";
import { GeolocationRef } from "./common.js";
import { pagedConnection, requestedPageSize } from "./connection.js";
import { joinIdParts, splitIdParts } from "./global-id.js";
import { email, jsonObject, shortString, stringList } from "./input.js";
import { fromCrispTime } from "./scalars.js";
import { WebsiteRef } from "./website.js";

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

const ConversationSearchType = builder.enumType("ConversationSearchType", {
  description: "Crisp's search_type.",
  values: {
    TEXT: { value: "text", description: "Full-text search in conversations." },
    SEGMENT: { value: "segment", description: "Conversations carrying this segment." },
    FILTER: {
      value: "filter",
      description: "A Crisp filter: a JSON array of {model, criterion, operator, query}.",
    },
  } as const,
});

const ConversationOrder = builder.enumType("ConversationOrder", {
  description: "Crisp's order_date_* switches (default: last updated first).",
  values: {
    CREATED: { value: "created", description: "order_date_created" },
    UPDATED: { value: "updated", description: "order_date_updated" },
    WAITING: { value: "waiting", description: "order_date_waiting: longest waiting first." },
  } as const,
});

const ConversationFilter = builder.inputType("ConversationFilter", {
  description:
    "Crisp's filter_* parameters of GET /website/{website_id}/conversations/{page}. They combine (AND).",
  fields: (t) => ({
    unread: t.boolean({ description: "filter_unread: with messages the operators have not read." }),
    resolved: t.boolean({ description: "filter_resolved." }),
    notResolved: t.boolean({ description: "filter_not_resolved." }),
    mention: t.boolean({ description: "filter_mention: where an operator is mentioned." }),
    assignedTo: t.id({ description: "Operator user id the conversations are assigned to." }),
    unassigned: t.boolean({ description: "filter_unassigned." }),
    inboxId: t.id({ description: "filter_inbox_id." }),
    dateStart: t.field({
      type: "DateTime",
      description: "Crisp filter_date_start / filter_date_end.",
    }),
    dateEnd: t.field({ type: "DateTime", description: "filter_date_end." }),
    includeEmpty: t.boolean({
      description: "include_empty: also conversations without any message.",
    }),
  }),
});

const ConversationSearch = builder.inputType("ConversationSearch", {
  description: "Crisp's search_query and search_type.",
  fields: (t) => ({
    query: t.string({ required: true, description: "Text, segment name, or filter JSON." }),
    type: t.field({ type: ConversationSearchType, description: "Default TEXT." }),
  }),
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
      if (!isUuid(websiteId) || !isSessionId(sessionId)) {
        throw badUserInput("id", "not a global id of this gateway.");
      }
      return joinIdParts(websiteId, sessionId);
    },
  },
  loadOne: (id, ctx) => {
    const [websiteId = "", sessionId = ""] = id.split("/");
    return ctx.loaders.conversation(websiteId, sessionId);
  },
  fields: (t) => ({
    sessionId: t.exposeID("session_id", { description: "Crisp's session id (session_<UUID>)." }),
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

/** Search and filter text go into a URL: keep them to what Crisp could ever accept. */
const MAX_SEARCH_LENGTH = 2_000;

builder.objectFields(WebsiteRef, (t) => ({
  conversation: t.field({
    type: ConversationRef,
    nullable: true,
    description:
      "One conversation: GET /website/{website_id}/conversation/{session_id} (free when a list in this operation already returned it). Null when missing.",
    crispCost: { requests: 1 },
    args: {
      sessionId: t.arg.id({ required: true, description: "Crisp session id (session_<UUID>)." }),
    },
    resolve: (website, args, ctx) =>
      ctx.loaders.conversation(website.websiteId, requireId("sessionId", args.sessionId)),
  }),
  conversations: t.field({
    type: ConversationConnection,
    description:
      "Conversations, most recently updated first: GET /website/{website_id}/conversations/{page}. One Crisp request per page (the gateway picks per_page between 20 and 50 so that paging forward with the same `first` costs one request per page, two at worst for a window that no page size holds); `meta`, `lastMessage` and every scalar field come with it. `person` costs one request per distinct person, `assignee` one operators list per website, `messages` one request per conversation.",
    crispCost: { requests: SIZED_WINDOW_MAX_PAGES, items: requestedPageSize("first") },
    args: {
      first: t.arg.int({ description: "Page size, default 20, at most 50." }),
      after: t.arg.string({ description: "Cursor of the last conversation already seen." }),
      filter: t.arg({ type: ConversationFilter }),
      search: t.arg({ type: ConversationSearch }),
      orderBy: t.arg({ type: ConversationOrder }),
    },
    resolve: async (website, args, ctx) => {
      const filter = args.filter ?? {};
      if (filter.assignedTo !== null && filter.assignedTo !== undefined) {
        requireId("userId", filter.assignedTo, "filter.assignedTo");
      }
      if ((args.search?.query.length ?? 0) > MAX_SEARCH_LENGTH) {
        throw badUserInput("search.query", `at most ${MAX_SEARCH_LENGTH} characters.`);
      }
      if ((filter.inboxId?.length ?? 0) > 200) {
        throw badUserInput("filter.inboxId", "at most 200 characters.");
      }
      const base: Omit<ConversationListParams, "page" | "perPage"> = {
        searchQuery: args.search?.query,
        searchType: args.search ? (args.search.type ?? "text") : undefined,
        includeEmpty: filter.includeEmpty ?? undefined,
        filterInboxId: filter.inboxId ?? undefined,
        filterUnread: filter.unread ?? undefined,
        filterResolved: filter.resolved ?? undefined,
        filterNotResolved: filter.notResolved ?? undefined,
        filterMention: filter.mention ?? undefined,
        filterAssigned: filter.assignedTo ?? undefined,
        filterUnassigned: filter.unassigned ?? undefined,
        filterDateStart: filter.dateStart?.toISOString(),
        filterDateEnd: filter.dateEnd?.toISOString(),
        order: args.orderBy ?? undefined,
      };
      return pagedConnection(
        args,
        {
          perPage: "chosen",
          fetch: (page, perPage) =>
            ctx.loaders.conversationPage(website.websiteId, { ...base, page, perPage }),
        },
        (conversation) => conversation,
      );
    },
  }),
}));

/** A mutation's result is read back from Crisp: it shows what Crisp now holds. */
async function conversationAfterWrite(
  ctx: GatewayContext,
  websiteId: string,
  sessionId: string,
): Promise<CrispConversation> {
  const conversation = await ctx.loaders.conversation(websiteId, sessionId);
  if (conversation === null) {
    throw new GatewayError(ErrorCode.NOT_FOUND, "Crisp has no such conversation.");
  }
  return conversation;
}

const ConversationMetaInput = builder.inputType("ConversationMetaInput", {
  description: "Metas to change; fields left out (or null) are not sent and keep their value.",
  fields: (t) => ({
    websiteId: t.id({ required: true }),
    sessionId: t.id({ required: true }),
    nickname: t.string(),
    email: t.string(),
    phone: t.string(),
    address: t.string(),
    subject: t.string(),
    segments: t.stringList(),
    data: t.field({ type: "JSON", description: "A JSON object of custom data." }),
  }),
});

builder.mutationFields((t) => ({
  createConversation: t.field({
    type: ConversationRef,
    description:
      "Starts an empty conversation: POST /website/{website_id}/conversation, then GET …/conversation/{session_id} for the result.",
    crispCost: { requests: 2 },
    args: { websiteId: t.arg.id({ required: true }) },
    resolve: async (_root, args, ctx) => {
      const websiteId = requireId("websiteId", args.websiteId);
      const sessionId = await ctx.writes.createConversation(websiteId);
      return conversationAfterWrite(ctx, websiteId, sessionId);
    },
  }),
  removeConversation: t.boolean({
    description: "DELETE /website/{website_id}/conversation/{session_id}. NOT_FOUND when missing.",
    crispCost: { requests: 1 },
    args: { websiteId: t.arg.id({ required: true }), sessionId: t.arg.id({ required: true }) },
    resolve: async (_root, args, ctx) => {
      await ctx.writes.removeConversation(
        requireId("websiteId", args.websiteId),
        requireId("sessionId", args.sessionId),
      );
      return true;
    },
  }),
  setConversationState: t.field({
    type: ConversationRef,
    description:
      "Resolves, reopens or marks pending: PATCH …/conversation/{session_id}/state, then GET the conversation.",
    crispCost: { requests: 2 },
    args: {
      websiteId: t.arg.id({ required: true }),
      sessionId: t.arg.id({ required: true }),
      state: t.arg({ type: ConversationState, required: true }),
    },
    resolve: async (_root, args, ctx) => {
      const websiteId = requireId("websiteId", args.websiteId);
      const sessionId = requireId("sessionId", args.sessionId);
      await ctx.writes.setConversationState(websiteId, sessionId, args.state);
      return conversationAfterWrite(ctx, websiteId, sessionId);
    },
  }),
  assignConversation: t.field({
    type: ConversationRef,
    description:
      "operatorId null unassigns. PATCH …/conversation/{session_id}/routing with {assigned: {user_id}} (or null), then GET the conversation.",
    crispCost: { requests: 2 },
    args: {
      websiteId: t.arg.id({ required: true }),
      sessionId: t.arg.id({ required: true }),
      operatorId: t.arg.id({ description: "Operator user id (a UUID); null unassigns." }),
    },
    resolve: async (_root, args, ctx) => {
      const websiteId = requireId("websiteId", args.websiteId);
      const sessionId = requireId("sessionId", args.sessionId);
      const operatorId =
        args.operatorId === null || args.operatorId === undefined
          ? null
          : requireId("userId", args.operatorId, "operatorId");
      await ctx.writes.assignConversation(websiteId, sessionId, operatorId);
      return conversationAfterWrite(ctx, websiteId, sessionId);
    },
  }),
  updateConversationMeta: t.field({
    type: ConversationRef,
    description:
      "Changes only the metas given: PATCH …/conversation/{session_id}/meta, then GET the conversation.",
    crispCost: { requests: 2 },
    args: { input: t.arg({ type: ConversationMetaInput, required: true }) },
    resolve: async (_root, { input }, ctx) => {
      const websiteId = requireId("websiteId", input.websiteId, "input.websiteId");
      const sessionId = requireId("sessionId", input.sessionId, "input.sessionId");
      const meta: Parameters<GatewayContext["writes"]["updateConversationMeta"]>[2] = {};
      for (const key of ["nickname", "phone", "address", "subject"] as const) {
        const value = input[key];
        if (value !== null && value !== undefined) {
          meta[key] = shortString(value, `input.${key}`);
        }
      }
      if (input.email !== null && input.email !== undefined) {
        meta.email = email(input.email, "input.email");
      }
      if (input.segments !== null && input.segments !== undefined) {
        meta.segments = stringList(input.segments, "input.segments");
      }
      if (input.data !== null && input.data !== undefined) {
        meta.data = jsonObject(input.data, "input.data");
      }
      if (Object.keys(meta).length === 0) {
        throw badUserInput("input", "give at least one meta to change.");
      }
      await ctx.writes.updateConversationMeta(websiteId, sessionId, meta);
      return conversationAfterWrite(ctx, websiteId, sessionId);
    },
  }),
}));
