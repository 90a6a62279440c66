/** Seeded messages: every type of crisp-api.md §4.6, from visitors and operators. */

import type {
  WireConversationState,
  WireMessage,
  WireMessageContent,
  WireMessageFrom,
  WireMessageType,
  WireOperator,
} from "../payloads.js";
import type { Prng } from "../prng.js";
import { MESSAGE_TYPES } from "../protocol.js";
import {
  DAY,
  FILES,
  HOUR,
  MINUTE,
  NOTE_TEXTS,
  OPERATOR_TEXTS,
  SEED_ANCHOR,
  USER_TEXTS,
} from "./data.js";

/** Types in the first messages of each website's first conversation: every type appears. */
const ALL_TYPES: readonly WireMessageType[] = MESSAGE_TYPES;

/** What a conversation's messages need to know about it. */
export interface MessageContext {
  websiteId: string;
  operators: WireOperator[];
  /** Fingerprints already used by the seed: each message takes a fresh one. */
  fingerprints: Set<number>;
  sessionId: string;
  count: number;
  state: WireConversationState;
  origin: string;
  nickname: string;
  createdAt: number;
  forceAllTypes: boolean;
}

/** A conversation's messages, oldest first, with strictly increasing timestamps. */
export function generateMessages(rng: Prng, context: MessageContext): WireMessage[] {
  const { count, state, createdAt } = context;
  // Gaps first, then squeezed to end before the anchor: timestamps strictly increase.
  const gaps: number[] = [];
  for (let i = 1; i < count; i++) {
    gaps.push(rng.chance(0.05) ? rng.int(HOUR, 2 * DAY) : rng.int(5_000, 8 * MINUTE));
  }
  const total = gaps.reduce((sum, gap) => sum + gap, 0);
  const room = SEED_ANCHOR - createdAt - MINUTE;
  const scale = total > room ? room / total : 1;
  const list: WireMessage[] = [];
  let timestamp = createdAt;
  let from: WireMessageFrom = "user";
  for (let i = 0; i < count; i++) {
    if (i > 0) {
      timestamp += Math.max(1, Math.floor((gaps[i - 1] ?? 1) * scale));
      // Pending conversations have had no answer yet: only the visitor wrote.
      if (state !== "pending") {
        from = rng.chance(0.55) ? (from === "user" ? "operator" : "user") : from;
      }
    }
    let type: WireMessageType;
    const forced = context.forceAllTypes ? ALL_TYPES[i] : undefined;
    if (forced !== undefined) {
      type = forced;
      from = ["note", "picker", "field", "carousel"].includes(forced)
        ? "operator"
        : i % 2 === 0
          ? "user"
          : "operator";
    } else {
      type = from === "user" ? userType(rng) : operatorType(rng);
    }
    const isLast = i === count - 1;
    list.push(makeMessage(rng, context, { type, from, timestamp, isLast, recent: i >= count - 3 }));
  }
  return list;
}

function userType(rng: Prng): WireMessageType {
  return rng.weighted([
    ["text", 84],
    ["file", 6],
    ["animation", 3],
    ["audio", 4],
    ["event", 3],
  ] as const);
}

function operatorType(rng: Prng): WireMessageType {
  return rng.weighted([
    ["text", 66],
    ["note", 8],
    ["file", 4],
    ["animation", 3],
    ["audio", 2],
    ["picker", 5],
    ["field", 4],
    ["carousel", 4],
    ["event", 4],
  ] as const);
}

function makeMessage(
  rng: Prng,
  context: MessageContext,
  spec: {
    type: WireMessageType;
    from: WireMessageFrom;
    timestamp: number;
    isLast: boolean;
    recent: boolean;
  },
): WireMessage {
  const { type, from, timestamp } = spec;
  const operator = rng.pick(context.operators);
  const mentions =
    type === "note" && rng.chance(0.5) ? [rng.pick(context.operators).details.user_id] : [];
  // Only the last few messages of an open conversation may still be unread.
  const unread = spec.recent && context.state !== "resolved" && rng.chance(0.6);
  let fingerprint = timestamp * 100 + rng.int(0, 99);
  while (context.fingerprints.has(fingerprint)) {
    fingerprint++;
  }
  context.fingerprints.add(fingerprint);
  return {
    session_id: context.sessionId,
    website_id: context.websiteId,
    type,
    from,
    origin: context.origin,
    content: makeContent(rng, type, from, context.websiteId),
    mentions,
    read: unread ? "" : context.origin,
    delivered: context.origin,
    edited: rng.chance(0.03),
    translated: rng.chance(0.02),
    automated: from === "operator" && ["picker", "field", "carousel"].includes(type),
    stamped: true,
    fingerprint,
    timestamp,
    user:
      from === "operator"
        ? {
            type: "website",
            user_id: operator.details.user_id,
            nickname: `${operator.details.first_name ?? ""} ${operator.details.last_name?.[0] ?? ""}.`,
            avatar: operator.details.avatar ?? "",
          }
        : { nickname: context.nickname, user_id: context.sessionId },
  };
}

function makeContent(
  rng: Prng,
  type: WireMessageType,
  from: WireMessageFrom,
  websiteId: string,
): WireMessageContent {
  const storage = `https://storage.crisp.chat/users/upload/website/${websiteId}`;
  switch (type) {
    case "text":
      return rng.pick(from === "user" ? USER_TEXTS : OPERATOR_TEXTS);
    case "note":
      return rng.pick(NOTE_TEXTS);
    case "file": {
      const file = rng.pick(FILES);
      return { name: file.name, url: `${storage}/${rng.hex(16)}/${file.name}`, type: file.type };
    }
    case "animation":
      return {
        url: `https://media.giphy.com/media/${rng.hex(12)}/giphy.gif`,
        type: "image/gif",
      };
    case "audio":
      return {
        url: `${storage}/${rng.hex(16)}/voice.webm`,
        type: "audio/webm",
        duration: rng.int(2, 90),
      };
    case "picker":
      return {
        id: `picker-${rng.hex(6)}`,
        text: "How would you rate our support?",
        choices: [
          { value: "good", label: "Good 👍", selected: rng.chance(0.5) },
          { value: "bad", label: "Bad 👎", selected: false },
        ],
        required: true,
      };
    case "field":
      return {
        id: `field-${rng.hex(6)}`,
        text: "What is your order number?",
        explain: "Enter the number from your confirmation email",
        value: rng.chance(0.6) ? `#${rng.int(10000, 99999)}` : "",
        required: true,
      };
    case "carousel":
      return {
        text: "Here are some articles that may help:",
        targets: [
          {
            title: "Getting started",
            description: "Set up your account in five minutes.",
            image: "https://images.example.com/getting-started.png",
            actions: [{ label: "Read", url: "https://help.example.com/getting-started" }],
          },
          {
            title: "Billing FAQ",
            description: "Invoices, refunds and plans.",
            actions: [{ label: "Read", url: "https://help.example.com/billing" }],
          },
        ],
      };
    case "event":
      return from === "user"
        ? { namespace: "user:navigation", text: "Visited the pricing page" }
        : { namespace: "routing:assigned", text: "Conversation assigned to an operator" };
  }
}

/** The one-line rendering Crisp shows as `last_message`. */
export function renderMessage(message: WireMessage): string {
  const content = message.content;
  if (typeof content === "string") {
    return content;
  }
  if ("name" in content) {
    return content.name;
  }
  if ("text" in content && typeof content.text === "string") {
    return content.text;
  }
  if ("namespace" in content) {
    return content.namespace;
  }
  if ("url" in content) {
    return content.url;
  }
  return message.type;
}
