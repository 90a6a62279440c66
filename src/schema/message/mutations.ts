import type { GatewayContext } from "../../context.js";
import { requireFingerprint, requireId } from "../../crisp/ids.js";
import type { OutgoingMessage } from "../../crisp/messages.js";
import type { CrispMessage } from "../../crisp/types.js";
import { badUserInput, ErrorCode, GatewayError } from "../../errors.js";
import { builder } from "../builder.js";
import { messageContent, nonEmpty, origin, url } from "../input.js";
import { MessageFrom, MessageRef, MessageType } from "./type.js";

const MessageUserType = builder.enumType("MessageUserType", {
  description: "Who sends an operator-side message (Crisp's `user.type`).",
  values: {
    WEBSITE: { value: "website", description: "The website's team (Crisp's default)." },
    PARTICIPANT: {
      value: "participant",
      description: "A participant of the conversation outside the team (e.g. an email CC).",
    },
  } as const,
});

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
        "Client-chosen fingerprint (a non-zero integer; Crisp's are signed): sending twice with the same one creates one message. Choose one per message and reuse it when retrying.",
    }),
    userType: t.field({
      type: MessageUserType,
      description: "Crisp's `user.type`: the team (WEBSITE) or a participant.",
    }),
    translated: t.boolean({ description: "Crisp's `translated`: the content is a translation." }),
    stealth: t.boolean({
      description: "Crisp's `stealth`: sent without showing the visitor a new message.",
    }),
    automated: t.boolean({
      description: "Crisp's `automated`: sent by an automation (a bot, a workflow).",
    }),
    timestamp: t.field({
      type: "DateTime",
      description:
        "Crisp's `timestamp`: the message's own time (e.g. when importing history); now when absent. At most a day ahead.",
    }),
  }),
});

/** A message's own time may be in the past (imports), not far in the future. */
const MAX_TIMESTAMP_AHEAD_MS = 86_400_000; // one day

const UpdateMessageInput = builder.inputType("UpdateMessageInput", {
  description: "New content for a message; it must fit the message's type.",
  fields: (t) => ({
    websiteId: t.id({ required: true }),
    sessionId: t.id({ required: true }),
    fingerprint: t.field({ type: "SafeInt", required: true }),
    content: t.field({ type: "JSON", required: true }),
  }),
});

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
      // Checked here, field by field; src/crisp/messages.ts gives it Crisp's shape.
      const message: OutgoingMessage = {
        type: input.type,
        from: input.from,
        origin: origin(input.origin ?? "chat", "input.origin"),
        content,
      };
      if (input.nickname !== null && input.nickname !== undefined) {
        message.nickname = nonEmpty(input.nickname, "input.nickname");
      }
      if (input.avatar !== null && input.avatar !== undefined) {
        message.avatar = url(input.avatar, "input.avatar");
      }
      if (input.mentions) {
        message.mentions = input.mentions.map((id, i) =>
          requireId("userId", id, `input.mentions[${i}]`),
        );
      }
      if (input.fingerprint !== null && input.fingerprint !== undefined) {
        message.fingerprint = requireFingerprint(input.fingerprint, "input.fingerprint");
      }
      if (input.userType !== null && input.userType !== undefined) {
        message.userType = input.userType;
      }
      for (const flag of ["translated", "stealth", "automated"] as const) {
        const value = input[flag];
        if (value !== null && value !== undefined) {
          message[flag] = value;
        }
      }
      if (input.timestamp !== null && input.timestamp !== undefined) {
        const ms = input.timestamp.getTime();
        if (ms <= 0 || ms > Date.now() + MAX_TIMESTAMP_AHEAD_MS) {
          throw badUserInput("input.timestamp", "expected a time after 1970, at most a day ahead.");
        }
        message.timestamp = ms;
      }
      const fingerprint = await ctx.writes.sendMessage(websiteId, sessionId, message);
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
      const fingerprint = requireFingerprint(input.fingerprint, "input.fingerprint");
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
        requireFingerprint(args.fingerprint, "fingerprint"),
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
