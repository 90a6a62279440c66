/**
 * Seeded conversations: every state, assigned or not, most bound to a person, some long enough
 * to need several `/messages` batches (crisp-api.md §4.4, §4.6).
 */

import type {
  WireConversation,
  WireConversationMeta,
  WireConversationState,
  WireMessage,
  WireOperator,
  WirePeopleProfile,
} from "../payloads.js";
import type { Prng } from "../prng.js";
import { CONVERSATION_STATUS } from "../protocol.js";
import { DAY, HOUR, MINUTE, PLACES, PLATFORMS, SEED_ANCHOR, SEGMENTS, SUBJECTS } from "./data.js";
import { device, ipAddress } from "./device.js";
import { generateMessages, renderMessage } from "./messages.js";
import { type Identity, phone } from "./people.js";

/** Conversations forced past two `/messages` batches, so paging back is always exercised. */
const LONG_CONVERSATIONS = 4;

/** What a seeded conversation draws from: its website, operators and people. */
export interface ConversationContext {
  websiteId: string;
  index: number;
  operators: WireOperator[];
  inboxes: string[];
  people: WirePeopleProfile[];
  identities: Identity[];
  fingerprints: Set<number>;
}

/** One seeded conversation and its messages. */
export function generateConversation(
  rng: Prng,
  context: ConversationContext,
): { conversation: WireConversation; list: WireMessage[] } {
  const { websiteId, index, operators, inboxes, people, identities } = context;
  const sessionId = `session_${rng.uuid()}`;
  const long = index < LONG_CONVERSATIONS;
  const state: WireConversationState = long
    ? rng.pick(["unresolved", "resolved"] as const)
    : rng.weighted([
        ["pending", 15],
        ["unresolved", 35],
        ["resolved", 50],
      ] as const);
  const empty = !long && rng.chance(0.03);
  let count: number;
  if (empty) {
    count = 0;
  } else if (long) {
    count = rng.int(81, 200);
  } else if (rng.chance(0.04)) {
    count = rng.int(41, 200);
  } else {
    // Most conversations are short: a cube skews the draw toward 1.
    count = 1 + Math.floor(rng.next() ** 3 * 30);
  }
  if (state === "pending") {
    count = Math.min(count, 5);
  }

  // Most conversations belong to a profile; a squared draw gives some people many of them.
  const bound = rng.chance(0.85);
  const personIndex = Math.floor(rng.next() ** 2 * people.length);
  const profile = bound ? people[personIndex] : undefined;
  const identity = bound ? identities[personIndex] : undefined;
  const place = identity?.place ?? rng.pick(PLACES);
  const platform = identity?.platform ?? rng.pick(PLATFORMS);
  const nickname = identity?.nickname ?? `visitor${rng.int(100000, 999999)}`;
  const email =
    identity?.email ?? (rng.chance(0.2) ? `anon${rng.int(1000, 9999)}@mail.example` : undefined);
  const origin = rng.chance(0.15) && email !== undefined ? "email" : "chat";
  const online = rng.chance(0.1);
  // Online visitors are talking now; everyone else wrote within the last 60 days.
  const createdAt = online
    ? SEED_ANCHOR - rng.int(10 * MINUTE, 6 * HOUR)
    : SEED_ANCHOR - rng.int(3 * HOUR, 60 * DAY);

  const list = generateMessages(rng, {
    ...context,
    sessionId,
    count,
    state,
    origin,
    nickname,
    createdAt,
    forceAllTypes: index === 0,
  });

  const last = list[list.length - 1];
  const updatedAt = last?.timestamp ?? createdAt;
  const mentions = [
    ...new Set(
      list.flatMap((message) => (message.type === "note" ? (message.mentions ?? []) : [])),
    ),
  ];

  // Waiting: not resolved and the visitor spoke last (notes and events do not answer anyone).
  const spoken = list.filter((message) => message.type !== "note" && message.type !== "event");
  let waitingSince: number | undefined;
  let unreadOperator = 0;
  if (state !== "resolved") {
    for (let i = spoken.length - 1; i >= 0; i--) {
      const message = spoken[i];
      if (message === undefined || message.from !== "user") {
        break;
      }
      waitingSince = message.timestamp;
      if (message.read === "") {
        unreadOperator++;
      }
    }
  }
  let unreadVisitor = 0;
  for (let i = spoken.length - 1; i >= 0; i--) {
    const message = spoken[i];
    if (message === undefined || message.from !== "operator" || message.read !== "") {
      break;
    }
    unreadVisitor++;
  }

  const assignedChance = state === "pending" ? 0.2 : 0.6;
  const assignee = rng.chance(assignedChance) ? rng.pick(operators) : undefined;
  const inbox = inboxes.length > 0 && rng.chance(0.4) ? rng.pick(inboxes) : undefined;
  const segments = profile?.segments?.length
    ? [...profile.segments]
    : rng.sample(SEGMENTS, rng.int(0, 2));

  const meta: WireConversationMeta = {
    nickname,
    ...(email === undefined ? {} : { email }),
    ip: ipAddress(rng),
    avatar: rng.chance(0.3) ? `https://avatars.example.com/${sessionId}.png` : null,
    device: device(rng, place, platform),
    segments,
    ...(identity === undefined || rng.chance(0.4) ? {} : { phone: phone(rng, place) }),
    ...(origin === "email" || rng.chance(0.2) ? { subject: rng.pick(SUBJECTS) } : {}),
    origin,
    data: {
      plan: rng.pick(["free", "starter", "pro", "enterprise"]),
      orders: rng.int(0, 40),
      signup: new Date(createdAt - rng.int(1, 300) * DAY).toISOString().slice(0, 10),
    },
  };

  const conversation: WireConversation = {
    session_id: sessionId,
    website_id: websiteId,
    ...(profile === undefined ? {} : { people_id: profile.people_id }),
    ...(inbox === undefined ? {} : { inbox_id: inbox }),
    status: CONVERSATION_STATUS[state],
    state,
    is_verified: identity !== undefined && rng.chance(0.5),
    is_blocked: rng.chance(0.03),
    availability: online ? "online" : "offline",
    active: online ? { now: true, last: updatedAt } : { now: false, last: updatedAt },
    ...(last === undefined ? {} : { last_message: renderMessage(last) }),
    mentions,
    participants: email === undefined ? [] : [{ type: "email", target: email }],
    updated_at: updatedAt,
    created_at: createdAt,
    ...(waitingSince === undefined ? {} : { waiting_since: waitingSince }),
    unread: { operator: unreadOperator, visitor: unreadVisitor },
    ...(assignee === undefined ? {} : { assigned: { user_id: assignee.details.user_id } }),
    meta,
  };
  return { conversation, list };
}
