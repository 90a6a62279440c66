import { canonicalId, isFingerprintText, requireFingerprint } from "../../crisp/ids.js";
import type { CrispMessage } from "../../crisp/types.js";
import { badUserInput, ErrorCode, GatewayError } from "../../errors.js";
import { builder } from "../builder.js";
import { requestedPageSize } from "../connection.js";
import { ConversationRef } from "../conversation/type.js";
import { joinIdParts, splitIdParts } from "../global-id.js";
import { startsReadOfEach } from "../prefetch.js";
import { MessageContent, messageText, toContent } from "./content.js";
import { MAX_MESSAGE_BATCHES, messageWindow, readHistory } from "./history.js";

export const MessageRef = builder.objectRef<CrispMessage>("Message");

export const MessageType = builder.enumType("MessageType", {
  description: "Crisp's message `type`.",
  values: {
    TEXT: { value: "text" },
    NOTE: { value: "note", description: "A private note, visible to operators only." },
    FILE: { value: "file" },
    ANIMATION: { value: "animation" },
    AUDIO: { value: "audio" },
    PICKER: { value: "picker" },
    FIELD: { value: "field" },
    CAROUSEL: { value: "carousel" },
    EVENT: { value: "event" },
  } as const,
});

export const MessageFrom = builder.enumType("MessageFrom", {
  description: "Who sent the message: the visitor (USER) or an operator or bot (OPERATOR).",
  values: { USER: { value: "user" }, OPERATOR: { value: "operator" } } as const,
});

const MessageAuthor = builder
  .objectRef<NonNullable<CrispMessage["user"]>>("MessageAuthor")
  .implement({
    description: "Who Crisp shows as the sender (Crisp's `user`).",
    fields: (t) => ({
      userId: t.id({ nullable: true, resolve: (u) => u.user_id ?? null }),
      nickname: t.string({ nullable: true, resolve: (u) => u.nickname ?? null }),
      avatar: t.string({ nullable: true, resolve: (u) => u.avatar ?? null }),
      type: t.string({ nullable: true, resolve: (u) => u.type ?? null }),
    }),
  });

builder.node(MessageRef, {
  description:
    "One message. Loaded with its conversation's message list (GET /website/{website_id}/conversation/{session_id}/messages) or, through `node`, by GET …/message/{fingerprint}.",
  id: {
    resolve: (m) => joinIdParts(m.website_id, m.session_id, m.fingerprint),
    parse: (id) => {
      const [websiteId = "", sessionId = "", fingerprint = ""] = splitIdParts(id, 3);
      const website = canonicalId("websiteId", websiteId);
      const session = canonicalId("sessionId", sessionId);
      if (website === null || session === null || !isFingerprintText(fingerprint)) {
        throw badUserInput("id", "not a global id of this gateway.");
      }
      return joinIdParts(website, session, fingerprint);
    },
  },
  loadOne: (id, ctx) => {
    const [websiteId = "", sessionId = "", fingerprint = ""] = id.split("/");
    return ctx.loaders.message(websiteId, sessionId, Number(fingerprint));
  },
  fields: (t) => ({
    fingerprint: t.field({
      type: "SafeInt",
      description: "Crisp's message id within its conversation.",
      resolve: (m) => m.fingerprint,
    }),
    sessionId: t.exposeID("session_id"),
    conversation: t.field({
      type: ConversationRef,
      description: "The conversation (free when reached through it or already loaded).",
      crispCost: { requests: 1 },
      resolve: async (m, _args, ctx) => {
        const conversation = await ctx.loaders.conversation(m.website_id, m.session_id);
        if (conversation === null) {
          throw new GatewayError(
            ErrorCode.NOT_FOUND,
            "The message's conversation no longer exists.",
          );
        }
        return conversation;
      },
    }),
    type: t.field({ type: MessageType, resolve: (m) => m.type }),
    from: t.field({ type: MessageFrom, resolve: (m) => m.from }),
    origin: t.string({
      description: "chat, email, or a urn:… origin, as Crisp gives it.",
      resolve: (m) => m.origin ?? "chat",
    }),
    content: t.field({ type: MessageContent, resolve: (m) => toContent(m) }),
    text: t.string({
      nullable: true,
      description:
        "A plain-text rendering of any content type (the text, a file's name, an event's text…).",
      resolve: (m) => messageText(m),
    }),
    author: t.field({ type: MessageAuthor, resolve: (m) => m.user ?? {} }),
    mentions: t.idList({
      description: "Mentioned operator user ids.",
      resolve: (m) => m.mentions ?? [],
    }),
    edited: t.boolean({ resolve: (m) => m.edited === true }),
    translated: t.boolean({ resolve: (m) => m.translated === true }),
    read: t.string({
      nullable: true,
      description: "Where the message was read (e.g. chat), if it was.",
      resolve: (m) => m.read || null,
    }),
    delivered: t.string({
      nullable: true,
      description: "Where it was delivered, if it was.",
      resolve: (m) => m.delivered || null,
    }),
    timestamp: t.field({ type: "DateTime", resolve: (m) => new Date(m.timestamp) }),
  }),
});

const MessageConnection = builder.connectionObject(
  { type: MessageRef, name: "MessageConnection", description: "Messages, oldest first." },
  { name: "MessageEdge", description: "One message and its cursor." },
);

// A page of conversations read at the start of the operation starts each one's history read;
// a history needs only its conversation's ids, so `Website.conversation` starts it at once.
startsReadOfEach("Conversation", "messages", hasConversationIds, (c, args, ctx) =>
  readHistory(ctx.loaders, c.website_id, c.session_id, args),
);

/** A conversation, or what names one before it is read: its website's id and its own. */
function hasConversationIds(value: unknown): value is { website_id: string; session_id: string } {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as { website_id?: unknown }).website_id === "string" &&
    typeof (value as { session_id?: unknown }).session_id === "string"
  );
}

builder.objectFields(ConversationRef, (t) => ({
  messages: t.field({
    type: MessageConnection,
    description:
      "Newest last. `last` defaults to 20 (at most 50); `before` pages back in time; `since` and `until` keep only messages strictly after / before these times (Crisp's timestamp_after / timestamp_before; the gateway applies them to what Crisp answers too). GET /website/{website_id}/conversation/{session_id}/messages returns up to 40 messages before a timestamp, so usually one Crisp request per conversation, more when `last` reaches past the newest batch (up to 4 batches when Crisp sends small ones). `hasPreviousPage` comes from Crisp's 206 (more) or 200 (no more), and is false once `since` is reached.",
    crispCost: { requests: MAX_MESSAGE_BATCHES, items: requestedPageSize("last") },
    checkArgs: (args) => {
      messageWindow(args);
    },
    args: {
      last: t.arg.int({ description: "How many of the newest messages (before `before`)." }),
      before: t.arg.string({ description: "Cursor of the oldest message already seen." }),
      since: t.arg({
        type: "DateTime",
        description: "Only messages after this time (Crisp's timestamp_after).",
      }),
      until: t.arg({
        type: "DateTime",
        description: "Only messages before this time (Crisp's timestamp_before).",
      }),
    },
    resolve: (conversation, args, ctx) =>
      readHistory(ctx.loaders, conversation.website_id, conversation.session_id, args),
  }),
  message: t.field({
    type: MessageRef,
    nullable: true,
    description:
      "One message by its fingerprint (Crisp's signed integer id of a message in its conversation): GET …/conversation/{session_id}/message/{fingerprint}, free when a message list in this operation already returned it. Null when the conversation holds no such message.",
    crispCost: { requests: 1 },
    args: {
      fingerprint: t.arg({
        type: "SafeInt",
        required: true,
        description: "The message's fingerprint, e.g. 163240180126629 (may be negative).",
      }),
    },
    checkArgs: (args) => {
      requireFingerprint(args.fingerprint);
    },
    resolve: (conversation, args, ctx) =>
      ctx.loaders.message(
        conversation.website_id,
        conversation.session_id,
        requireFingerprint(args.fingerprint),
      ),
  }),
}));
