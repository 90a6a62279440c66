/**
 * Message routes (crisp-api.md §4.6): the `/messages` batches back in time, one message, and
 * sending, editing and removing one. Each write emits its RTM event (§5.5).
 *
 * Our inferred choices [I]: sending a message whose fingerprint the conversation already holds
 * stores nothing and answers the same success with that fingerprint (an idempotent retry), even
 * at the message limit; the `user` of a new message is described at `messageUser`.
 */

import type { SimulatorEnvironment } from "../environment.js";
import {
  appendMessage,
  compact,
  emitSessionEvent,
  operatorUser,
  type SessionTarget,
} from "../mutations.js";
import type { WireMessage, WireMessageUser } from "../payloads.js";
import { RtmEvent, Status } from "../protocol.js";
import { parseTimestamp } from "../query.js";
import type { Route, RouteContext } from "../router.js";
import { renderMessage } from "../seed/messages.js";
import { checkContent, checkMessage, type MessageInput } from "../validation/message.js";
import { objectBody, onlyKeys } from "../validation/primitives.js";
import { deleted, dispatched, resolved, updated } from "./answers.js";
import { messageRoute, sessionRoute } from "./builders.js";

export function messageRoutes(env: SimulatorEnvironment): Route[] {
  return [
    sessionRoute("GET", "/messages", (target, context) => {
      const before = parseTimestamp(context.query, "timestamp_before");
      const after = parseTimestamp(context.query, "timestamp_after");
      const { messagesBatch, messagesOrder, timestampAfter } = context.assumptions;
      const { websiteId, sessionId } = target;
      const batch = context.store.messagesBefore(
        websiteId,
        sessionId,
        before,
        messagesBatch,
        timestampAfter === "bounds-batch" ? after : undefined,
      );
      const messages = messagesOrder === "newest-first" ? batch.messages.reverse() : batch.messages;
      // R16 (Crisp staff): 206 means older messages remain, 200 means there are no more.
      return { ...resolved(messages), status: batch.more ? Status.PARTIAL_CONTENT : Status.OK };
    }),
    messageRoute("GET", (target, index) => resolved(target.messages[index])),
    sessionRoute("POST", "/message", async (target, context) => {
      const input = checkMessage(await context.readBody());
      if (
        input.fingerprint !== undefined &&
        target.messages.some((message) => message.fingerprint === input.fingerprint)
      ) {
        return dispatched(context.assumptions, input.fingerprint);
      }
      const message = appendMessage(env, target, input, messageUser(context, target, input));
      return dispatched(context.assumptions, message.fingerprint);
    }),
    messageRoute("PATCH", async (target, index, context) => {
      const body = objectBody(await context.readBody());
      onlyKeys(body, ["content"]);
      const message = target.messages[index] as WireMessage;
      message.content = checkContent(message.type, body.content);
      message.edited = true;
      if (index === target.messages.length - 1) {
        target.conversation.last_message = renderMessage(message);
      }
      emitSessionEvent(env, RtmEvent.MESSAGE_UPDATED, target, {
        fingerprint: message.fingerprint,
        content: structuredClone(message.content),
      });
      return updated(context.assumptions);
    }),
    messageRoute("DELETE", (target, index, { assumptions }) => {
      const [removed] = target.messages.splice(index, 1);
      const last = target.messages[target.messages.length - 1];
      if (last === undefined) {
        delete target.conversation.last_message;
      } else {
        target.conversation.last_message = renderMessage(last);
      }
      emitSessionEvent(env, RtmEvent.MESSAGE_REMOVED, target, {
        fingerprint: removed?.fingerprint,
      });
      return deleted(assumptions);
    }),
  ];
}

/**
 * The `user` of a new message [I]: a visitor is the conversation's session (as in Crisp's
 * `message:send` sample); an operator is the seeded account owner for a `user` token and the
 * plugin (its token identifier) for a plugin token. `body.user` overrides type, nickname, avatar.
 */
function messageUser(
  context: RouteContext,
  target: SessionTarget,
  input: MessageInput,
): WireMessageUser {
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
