import { requireAnsweredId } from "./answers.js";
import type { CrispApi } from "./client.js";
import { requireFingerprint, requireId } from "./ids.js";
import { nullIfNotFound } from "./not-found.js";
import { CRISP_MORE_MESSAGES_STATUS } from "./statuses.js";
import type { CrispMessage } from "./types.js";
import { crispPath } from "./url.js";

export interface MessageBatch {
  /** Oldest first, as Crisp sends them. */
  messages: CrispMessage[];
  /**
   * Whether older messages exist: Crisp answers 206 while more remain and 200 at the end
   * (crisp-api.md §4.6, confirmed by Crisp staff in ruby-crisp-api#16).
   */
  hasOlder: boolean;
}

/**
 * `GET /website/{id}/conversation/{session_id}/messages[?timestamp_before=ms][&timestamp_after=ms]`
 * (node-crisp-api ≥ 10.10.4 sends `timestamp_after` too, crisp-api.md §4.6).
 */
export async function listMessages(
  client: CrispApi,
  websiteId: string,
  sessionId: string,
  timestampBefore: number | undefined,
  signal?: AbortSignal,
  timestampAfter?: number,
): Promise<MessageBatch> {
  requireId("websiteId", websiteId);
  requireId("sessionId", sessionId);
  const { status, data } = await client.request<CrispMessage[]>({
    method: "GET",
    path: crispPath`/website/${websiteId}/conversation/${sessionId}/messages`,
    query: { timestamp_before: timestampBefore, timestamp_after: timestampAfter },
    signal,
  });
  // Ids are filled from the path (the gateway builds global ids from them), on the objects just
  // parsed, which nothing else holds: a copy of each of a batch's 40 messages would be garbage.
  const messages = Array.isArray(data)
    ? data.filter((message) => typeof message === "object" && message !== null)
    : [];
  for (const message of messages) {
    message.website_id = websiteId;
    message.session_id = sessionId;
  }
  return { messages, hasOlder: status === CRISP_MORE_MESSAGES_STATUS };
}

/** `GET /website/{id}/conversation/{session_id}/message/{fingerprint}`; null when missing. */
export async function getMessage(
  client: CrispApi,
  websiteId: string,
  sessionId: string,
  fingerprint: number,
  signal?: AbortSignal,
): Promise<CrispMessage | null> {
  requireId("websiteId", websiteId);
  requireId("sessionId", sessionId);
  requireFingerprint(fingerprint);
  return nullIfNotFound(
    client
      .request<CrispMessage>({
        method: "GET",
        path: crispPath`/website/${websiteId}/conversation/${sessionId}/message/${fingerprint}`,
        signal,
      })
      // Ids are filled from the path: the gateway builds global ids from them.
      .then((response) => ({ ...response.data, website_id: websiteId, session_id: sessionId })),
  );
}

/** A message to send, as the schema checked it: the gateway's names, not Crisp's shape. */
export interface OutgoingMessage {
  type: CrispMessage["type"];
  from: CrispMessage["from"];
  origin: string;
  content: CrispMessage["content"];
  /** The sender Crisp shows. */
  nickname?: string;
  avatar?: string;
  /** Who the operator-side sender is: the website's team, or a participant (Crisp's `user.type`). */
  userType?: "website" | "participant";
  /** Whether the content is a translation. */
  translated?: boolean;
  /** Sent without being shown to the visitor as new. */
  stealth?: boolean;
  /** Sent by an automation (a bot, a workflow). */
  automated?: boolean;
  /** The message's own time, ms since the epoch (imports); Crisp's now when absent. */
  timestamp?: number;
  /** Operator user ids to mention. */
  mentions?: string[];
  /** The client's: Crisp stores one message per fingerprint, so a retry creates none. */
  fingerprint?: number;
}

/** The body of `POST …/conversation/{session_id}/message` (crisp-api.md §4.6, GO `ConversationTextMessageNew`). */
export interface SendMessageBody {
  type: CrispMessage["type"];
  from: CrispMessage["from"];
  origin: string;
  content: CrispMessage["content"];
  user?: { type?: string; nickname?: string; avatar?: string };
  mentions?: string[];
  fingerprint?: number;
  timestamp?: number;
  stealth?: boolean;
  translated?: boolean;
  automated?: boolean;
}

/** Crisp's shape of a message to send: the sender goes under `user`, when there is one. */
export function sendMessageBody(message: OutgoingMessage): SendMessageBody {
  const user: NonNullable<SendMessageBody["user"]> = {};
  if (message.userType !== undefined) {
    user.type = message.userType;
  }
  if (message.nickname !== undefined) {
    user.nickname = message.nickname;
  }
  if (message.avatar !== undefined) {
    user.avatar = message.avatar;
  }
  return {
    type: message.type,
    from: message.from,
    origin: message.origin,
    content: message.content,
    ...(Object.keys(user).length > 0 ? { user } : {}),
    ...(message.mentions === undefined ? {} : { mentions: message.mentions }),
    ...(message.fingerprint === undefined ? {} : { fingerprint: message.fingerprint }),
    ...(message.timestamp === undefined ? {} : { timestamp: message.timestamp }),
    ...(message.stealth === undefined ? {} : { stealth: message.stealth }),
    ...(message.translated === undefined ? {} : { translated: message.translated }),
    ...(message.automated === undefined ? {} : { automated: message.automated }),
  };
}

/**
 * `POST …/message`. Never retried by the gateway: a client that retries sends the same
 * `fingerprint`, and Crisp stores one message per fingerprint.
 */
export async function sendMessage(
  client: CrispApi,
  websiteId: string,
  sessionId: string,
  message: OutgoingMessage,
  signal?: AbortSignal,
): Promise<number> {
  requireId("websiteId", websiteId);
  requireId("sessionId", sessionId);
  const body = sendMessageBody(message);
  const { data } = await client.request<{ fingerprint?: number }>({
    method: "POST",
    path: crispPath`/website/${websiteId}/conversation/${sessionId}/message`,
    body,
    signal,
  });
  return requireAnsweredId(data.fingerprint ?? body.fingerprint, "fingerprint");
}

/** `PATCH …/message/{fingerprint}` with `{ content }`. */
export async function updateMessage(
  client: CrispApi,
  websiteId: string,
  sessionId: string,
  fingerprint: number,
  content: CrispMessage["content"],
  signal?: AbortSignal,
): Promise<void> {
  await onMessage(client, "PATCH", websiteId, sessionId, fingerprint, { content }, signal);
}

/** `DELETE …/message/{fingerprint}`. */
export async function removeMessage(
  client: CrispApi,
  websiteId: string,
  sessionId: string,
  fingerprint: number,
  signal?: AbortSignal,
): Promise<void> {
  await onMessage(client, "DELETE", websiteId, sessionId, fingerprint, undefined, signal);
}

/** `PATCH` or `DELETE …/message/{fingerprint}`, after checking the ids and the fingerprint. */
async function onMessage(
  client: CrispApi,
  method: "PATCH" | "DELETE",
  websiteId: string,
  sessionId: string,
  fingerprint: number,
  body: unknown,
  signal: AbortSignal | undefined,
): Promise<void> {
  requireId("websiteId", websiteId);
  requireId("sessionId", sessionId);
  requireFingerprint(fingerprint);
  await client.request({
    method,
    path: crispPath`/website/${websiteId}/conversation/${sessionId}/message/${fingerprint}`,
    ...(body === undefined ? {} : { body }),
    signal,
  });
}
