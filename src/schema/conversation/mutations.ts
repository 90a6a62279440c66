import type { GatewayContext } from "../../context.js";
import { requireId } from "../../crisp/ids.js";
import type { CrispConversation } from "../../crisp/types.js";
import { badUserInput, ErrorCode, GatewayError } from "../../errors.js";
import { builder } from "../builder.js";
import { email, jsonObject, shortString, stringList } from "../input.js";
import { ConversationRef, ConversationState } from "./type.js";

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
