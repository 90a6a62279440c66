import { Buffer } from "node:buffer";
import type { GatewayContext } from "../context.js";
import { isFingerprint, isSessionId, isUuid, requireId } from "../crisp/ids.js";
import type { SendMessageBody } from "../crisp/messages.js";
import type {
  CrispAnimationContent,
  CrispAudioContent,
  CrispCarouselContent,
  CrispEventContent,
  CrispFieldContent,
  CrispFileContent,
  CrispMessage,
  CrispMessageContent,
  CrispPickerContent,
} from "../crisp/types.js";
import { badUserInput, ErrorCode, GatewayError } from "../errors.js";
import { builder } from "./builder.js";
import { type ConnectionResult, pageSize, requestedPageSize } from "./connection.js";
import { ConversationRef } from "./conversation.js";
import { joinIdParts, splitIdParts } from "./global-id.js";
import { messageContent, nonEmpty, origin, url } from "./input.js";

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

/** Union members carry their Crisp type so `resolveType` needs no guessing. */
type Tagged<K extends string, T> = T & { kind: K };
type ContentShape =
  | Tagged<"text", { text: string }>
  | Tagged<"file", CrispFileContent>
  | Tagged<"animation", CrispAnimationContent>
  | Tagged<"audio", CrispAudioContent>
  | Tagged<"picker", CrispPickerContent>
  | Tagged<"field", CrispFieldContent>
  | Tagged<"carousel", CrispCarouselContent>
  | Tagged<"event", CrispEventContent>;

const asObject = (content: CrispMessageContent): Record<string, unknown> =>
  typeof content === "object" && content !== null
    ? (content as unknown as Record<string, unknown>)
    : {};
const str = (value: unknown): string => (typeof value === "string" ? value : "");

/**
 * Crisp's `content` is a string for text and note and an object otherwise. A payload that
 * does not match its type still renders (empty strings) rather than failing the whole list.
 */
export function toContent(message: CrispMessage): ContentShape {
  const { type, content } = message;
  const object = asObject(content);
  switch (type) {
    case "text":
    case "note":
      return { kind: "text", text: typeof content === "string" ? content : str(object.text) };
    case "file":
      return { kind: "file", name: str(object.name), url: str(object.url), type: str(object.type) };
    case "animation":
      return { kind: "animation", url: str(object.url), type: str(object.type) };
    case "audio":
      return {
        kind: "audio",
        url: str(object.url),
        type: str(object.type),
        duration: typeof object.duration === "number" ? object.duration : undefined,
      };
    case "picker":
      return { kind: "picker", ...(object as unknown as CrispPickerContent) };
    case "field":
      return { kind: "field", ...(object as unknown as CrispFieldContent) };
    case "carousel":
      return { kind: "carousel", ...(object as unknown as CrispCarouselContent) };
    case "event":
      return {
        kind: "event",
        namespace: str(object.namespace),
        text: str(object.text) || undefined,
      };
    default:
      return { kind: "text", text: typeof content === "string" ? content : "" };
  }
}

/** A plain-text rendering of any content, for lists and notifications. */
export function messageText(message: CrispMessage): string | null {
  const content = toContent(message);
  switch (content.kind) {
    case "text":
      return content.text;
    case "file":
      return content.name || content.url;
    case "animation":
    case "audio":
      return content.url;
    case "picker":
    case "field":
    case "carousel":
      return str(content.text) || null;
    case "event":
      return content.text ?? content.namespace;
  }
}

const TextContent = builder
  .objectRef<Extract<ContentShape, { kind: "text" }>>("TextContent")
  .implement({
    description: "Content of TEXT and NOTE messages.",
    fields: (t) => ({ text: t.exposeString("text") }),
  });
const FileContent = builder
  .objectRef<Extract<ContentShape, { kind: "file" }>>("FileContent")
  .implement({
    description: "A file: its name, URL and MIME type.",
    fields: (t) => ({
      name: t.exposeString("name"),
      url: t.exposeString("url"),
      type: t.exposeString("type"),
    }),
  });
const AnimationContent = builder
  .objectRef<Extract<ContentShape, { kind: "animation" }>>("AnimationContent")
  .implement({
    description: "An animated image.",
    fields: (t) => ({ url: t.exposeString("url"), type: t.exposeString("type") }),
  });
const AudioContent = builder
  .objectRef<Extract<ContentShape, { kind: "audio" }>>("AudioContent")
  .implement({
    description: "A voice message.",
    fields: (t) => ({
      url: t.exposeString("url"),
      type: t.exposeString("type"),
      duration: t.int({
        nullable: true,
        description: "Seconds.",
        resolve: (c) => c.duration ?? null,
      }),
    }),
  });
const PickerChoice = builder
  .objectRef<CrispPickerContent["choices"][number]>("PickerChoice")
  .implement({
    description: "One choice of a picker.",
    fields: (t) => ({
      value: t.string({ resolve: (c) => str(c.value) }),
      label: t.string({ resolve: (c) => str(c.label) }),
      selected: t.boolean({ resolve: (c) => c.selected === true }),
      icon: t.string({ nullable: true, resolve: (c) => c.icon ?? null }),
    }),
  });
const PickerContent = builder
  .objectRef<Extract<ContentShape, { kind: "picker" }>>("PickerContent")
  .implement({
    description: "A question with choices.",
    fields: (t) => ({
      pickerId: t.string({ description: "Crisp's picker `id`.", resolve: (c) => str(c.id) }),
      text: t.string({ resolve: (c) => str(c.text) }),
      choices: t.field({
        type: [PickerChoice],
        resolve: (c) => (Array.isArray(c.choices) ? c.choices : []),
      }),
      required: t.boolean({ nullable: true, resolve: (c) => c.required ?? null }),
    }),
  });
const FieldContent = builder
  .objectRef<Extract<ContentShape, { kind: "field" }>>("FieldContent")
  .implement({
    description: "A form field asked of the visitor.",
    fields: (t) => ({
      fieldId: t.string({ description: "Crisp's field `id`.", resolve: (c) => str(c.id) }),
      text: t.string({ resolve: (c) => str(c.text) }),
      explain: t.string({ nullable: true, resolve: (c) => c.explain ?? null }),
      value: t.string({ nullable: true, resolve: (c) => c.value ?? null }),
      required: t.boolean({ nullable: true, resolve: (c) => c.required ?? null }),
    }),
  });
const CarouselAction = builder
  .objectRef<{ label: string; url: string }>("CarouselAction")
  .implement({
    description: "A button of a carousel card.",
    fields: (t) => ({
      label: t.string({ resolve: (a) => str(a.label) }),
      url: t.string({ resolve: (a) => str(a.url) }),
    }),
  });
const CarouselTarget = builder
  .objectRef<CrispCarouselContent["targets"][number]>("CarouselTarget")
  .implement({
    description: "One card of a carousel.",
    fields: (t) => ({
      title: t.string({ resolve: (c) => str(c.title) }),
      description: t.string({ resolve: (c) => str(c.description) }),
      image: t.string({ nullable: true, resolve: (c) => c.image ?? null }),
      actions: t.field({
        type: [CarouselAction],
        resolve: (c) => (Array.isArray(c.actions) ? c.actions : []),
      }),
    }),
  });
const CarouselContent = builder
  .objectRef<Extract<ContentShape, { kind: "carousel" }>>("CarouselContent")
  .implement({
    description: "Cards the visitor can scroll through.",
    fields: (t) => ({
      text: t.string({ resolve: (c) => str(c.text) }),
      targets: t.field({
        type: [CarouselTarget],
        resolve: (c) => (Array.isArray(c.targets) ? c.targets : []),
      }),
    }),
  });
const EventContent = builder
  .objectRef<Extract<ContentShape, { kind: "event" }>>("EventContent")
  .implement({
    description: "A system event shown in the conversation.",
    fields: (t) => ({
      namespace: t.exposeString("namespace"),
      text: t.string({ nullable: true, resolve: (c) => c.text ?? null }),
    }),
  });

const MEMBERS = {
  text: TextContent,
  file: FileContent,
  animation: AnimationContent,
  audio: AudioContent,
  picker: PickerContent,
  field: FieldContent,
  carousel: CarouselContent,
  event: EventContent,
} as const;

const MessageContent = builder.unionType("MessageContent", {
  description: "A message's content, shaped by its type (TEXT and NOTE are both TextContent).",
  types: Object.values(MEMBERS),
  resolveType: (content) => MEMBERS[content.kind],
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
      if (!isUuid(websiteId) || !isSessionId(sessionId) || !/^[1-9]\d{0,15}$/.test(fingerprint)) {
        throw badUserInput("id", "not a global id of this gateway.");
      }
      return id;
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

/** Message cursors are the message's timestamp: Crisp pages back with timestamp_before. */
function encodeMessageCursor(timestamp: number): string {
  return Buffer.from(`ts:${timestamp}`).toString("base64url");
}
function decodeMessageCursor(cursor: string): number {
  const match = /^ts:(\d{1,16})$/.exec(Buffer.from(cursor, "base64url").toString("utf8"));
  if (match?.[1] === undefined) {
    throw badUserInput("before", "not a cursor of this connection.");
  }
  return Number(match[1]);
}

/**
 * Bounds the walk back in time: Crisp sends up to 40 messages a batch, so two reach 50, and
 * the other two cover unusually small batches. The cost estimate counts this many.
 */
export const MAX_MESSAGE_BATCHES = 4;

builder.objectField(ConversationRef, "messages", (t) =>
  t.field({
    type: MessageConnection,
    description:
      "Newest last. `last` defaults to 20 (at most 50); `before` pages back in time. GET /website/{website_id}/conversation/{session_id}/messages returns up to 40 messages before a timestamp, so usually one Crisp request per conversation, more when `last` reaches past the newest batch (up to 4 batches when Crisp sends small ones). `hasPreviousPage` comes from Crisp's 206 (more) or 200 (no more).",
    crispCost: { requests: MAX_MESSAGE_BATCHES, items: requestedPageSize("last") },
    args: {
      last: t.arg.int({ description: "How many of the newest messages (before `before`)." }),
      before: t.arg.string({ description: "Cursor of the oldest message already seen." }),
    },
    resolve: async (conversation, args, ctx): Promise<ConnectionResult<CrispMessage>> => {
      const last = pageSize(args.last, "last");
      let before = args.before ? decodeMessageCursor(args.before) : undefined;
      const collected: CrispMessage[] = [];
      let hasOlder = true;
      for (
        let batch = 0;
        batch < MAX_MESSAGE_BATCHES && collected.length < last && hasOlder;
        batch += 1
      ) {
        const result = await ctx.loaders.messageBatch(
          conversation.website_id,
          conversation.session_id,
          before,
        );
        collected.unshift(...result.messages);
        hasOlder = result.hasOlder && result.messages.length > 0;
        before = result.messages[0]?.timestamp;
      }
      const nodes = last === 0 ? [] : collected.slice(-last);
      const edges = nodes.map((node) => ({ cursor: encodeMessageCursor(node.timestamp), node }));
      return {
        edges,
        pageInfo: {
          hasPreviousPage: collected.length > nodes.length || hasOlder,
          hasNextPage: args.before !== null && args.before !== undefined,
          startCursor: edges[0]?.cursor ?? null,
          endCursor: edges[edges.length - 1]?.cursor ?? null,
        },
      };
    },
  }),
);

const SendMessageInput = builder.inputType("SendMessageInput", {
  description: "A message to send into a conversation (Crisp's POST …/message body).",
  fields: (t) => ({
    websiteId: t.id({ required: true }),
    sessionId: t.id({ required: true }),
    type: t.field({ type: MessageType, required: true }),
    content: t.field({
      type: "JSON",
      required: true,
      description:
        "A string for TEXT and NOTE; an object matching the type otherwise: FILE {name, url, type}, ANIMATION {url, type}, AUDIO {url, type, duration}, PICKER {id, text, choices: [{value, label, selected}]}, FIELD {id, text, explain}, CAROUSEL {text, targets: [{title, description, image, actions: [{label, url}]}]}, EVENT {namespace, text}.",
    }),
    from: t.field({ type: MessageFrom, required: true }),
    origin: t.string({ description: "chat (default), email, or a urn:… origin." }),
    nickname: t.string({ description: "Sender shown in Crisp (Crisp's `user` object)." }),
    avatar: t.string({ description: "Sender's avatar URL." }),
    mentions: t.idList({ description: "Operator user ids to mention." }),
    fingerprint: t.field({
      type: "SafeInt",
      description:
        "Client-chosen fingerprint: sending twice with the same one creates one message. Choose one per message and reuse it when retrying.",
    }),
  }),
});

const UpdateMessageInput = builder.inputType("UpdateMessageInput", {
  description: "New content for a message; it must fit the message's type.",
  fields: (t) => ({
    websiteId: t.id({ required: true }),
    sessionId: t.id({ required: true }),
    fingerprint: t.field({ type: "SafeInt", required: true }),
    content: t.field({ type: "JSON", required: true }),
  }),
});

function fingerprintArg(value: number, field: string): number {
  if (!isFingerprint(value)) {
    throw badUserInput(field, "expected a positive integer.");
  }
  return value;
}

builder.mutationFields((t) => ({
  sendMessage: t.field({
    type: MessageRef,
    description:
      "Sends a message or private note: POST …/conversation/{session_id}/message, then GET …/message/{fingerprint} for the result. Never retried by the gateway; give a fingerprint to make a client's own retries safe.",
    crispCost: { requests: 2 },
    args: { input: t.arg({ type: SendMessageInput, required: true }) },
    resolve: async (_root, { input }, ctx) => {
      const websiteId = requireId("websiteId", input.websiteId, "input.websiteId");
      const sessionId = requireId("sessionId", input.sessionId, "input.sessionId");
      const content = messageContent(input.type, input.content, "input.content");
      const user: { nickname?: string; avatar?: string } = {};
      if (input.nickname !== null && input.nickname !== undefined) {
        user.nickname = nonEmpty(input.nickname, "input.nickname");
      }
      if (input.avatar !== null && input.avatar !== undefined) {
        user.avatar = url(input.avatar, "input.avatar");
      }
      const body: SendMessageBody = {
        type: input.type,
        from: input.from,
        origin: origin(input.origin ?? "chat", "input.origin"),
        content,
        ...(Object.keys(user).length > 0 ? { user } : {}),
        ...(input.mentions
          ? {
              mentions: input.mentions.map((id, i) =>
                requireId("userId", id, `input.mentions[${i}]`),
              ),
            }
          : {}),
        ...(input.fingerprint !== null && input.fingerprint !== undefined
          ? { fingerprint: fingerprintArg(input.fingerprint, "input.fingerprint") }
          : {}),
      };
      const fingerprint = await ctx.writes.sendMessage(websiteId, sessionId, body);
      return messageAfterWrite(ctx, websiteId, sessionId, fingerprint);
    },
  }),
  updateMessage: t.field({
    type: MessageRef,
    description:
      "Edits a message's content: GET …/message/{fingerprint} (to check the content against its type), PATCH it, then read it back.",
    crispCost: { requests: 3 },
    args: { input: t.arg({ type: UpdateMessageInput, required: true }) },
    resolve: async (_root, { input }, ctx) => {
      const websiteId = requireId("websiteId", input.websiteId, "input.websiteId");
      const sessionId = requireId("sessionId", input.sessionId, "input.sessionId");
      const fingerprint = fingerprintArg(input.fingerprint, "input.fingerprint");
      if (
        typeof input.content !== "string" &&
        (typeof input.content !== "object" || input.content === null)
      ) {
        throw badUserInput(
          "input.content",
          "expected a string or an object matching the message's type.",
        );
      }
      const current = await messageAfterWrite(ctx, websiteId, sessionId, fingerprint);
      const content = messageContent(current.type, input.content, "input.content");
      await ctx.writes.updateMessage(websiteId, sessionId, fingerprint, content);
      return messageAfterWrite(ctx, websiteId, sessionId, fingerprint);
    },
  }),
  removeMessage: t.boolean({
    description:
      "DELETE …/conversation/{session_id}/message/{fingerprint}. NOT_FOUND when missing.",
    crispCost: { requests: 1 },
    args: {
      websiteId: t.arg.id({ required: true }),
      sessionId: t.arg.id({ required: true }),
      fingerprint: t.arg({ type: "SafeInt", required: true }),
    },
    resolve: async (_root, args, ctx) => {
      await ctx.writes.removeMessage(
        requireId("websiteId", args.websiteId),
        requireId("sessionId", args.sessionId),
        fingerprintArg(args.fingerprint, "fingerprint"),
      );
      return true;
    },
  }),
}));

async function messageAfterWrite(
  ctx: GatewayContext,
  websiteId: string,
  sessionId: string,
  fingerprint: number,
): Promise<CrispMessage> {
  const message = await ctx.loaders.message(websiteId, sessionId, fingerprint);
  if (message === null) {
    throw new GatewayError(ErrorCode.NOT_FOUND, "Crisp has no such message.");
  }
  return message;
}
