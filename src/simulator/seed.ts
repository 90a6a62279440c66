/**
 * Deterministic seed data: the same seed gives byte-identical websites, conversations,
 * messages, people, operators and visitors. Every timestamp is relative to a fixed anchor
 * (never `Date.now()`), so the data does not drift from one run to the next.
 */

import type {
  WireConnectedWebsite,
  WireConversation,
  WireConversationMeta,
  WireConversationState,
  WireMessage,
  WireOperator,
  WirePeopleProfile,
  WireVisitor,
  WireWebsite,
} from "./payloads.js";
import { Prng } from "./prng.js";
import {
  COMPANIES,
  DAY,
  EMAIL_DOMAINS,
  FIRST_NAMES,
  HOUR,
  LAST_NAMES,
  MINUTE,
  NOTE_TEXTS,
  PAGES,
  PLACES,
  PLANS,
  PLATFORMS,
  type Place,
  type Platform,
  SEED_ANCHOR,
  SEGMENTS,
  SUBJECTS,
  TITLES,
  WEBSITES,
} from "./seed-data.js";
import { generateMessages, renderMessage } from "./seed-messages.js";
import type { SimulatorToken } from "./types.js";

const WEBSITE_COUNT = 4;
const DEFAULT_CONVERSATIONS = 300;
const OTHER_CONVERSATIONS = 60;
const DEFAULT_PEOPLE = 150;
const OTHER_PEOPLE = 40;
const VISITORS = 30;
/** Conversations forced past two `/messages` batches, so paging back is always exercised. */
const LONG_CONVERSATIONS = 4;

/** Everything seeded for one website. Arrays are the store's mutable state. */
export interface WebsiteRecord {
  website: WireWebsite;
  /** The plugin connect view of the website (`token`, `settings`, `plan`). */
  connect: Required<Pick<WireConnectedWebsite, "token" | "settings" | "plan">>;
  operators: WireOperator[];
  inboxes: string[];
  people: WirePeopleProfile[];
  conversations: WireConversation[];
  /** Messages per session id, oldest first. */
  messages: Map<string, WireMessage[]>;
  visitors: WireVisitor[];
}

export interface SeedData {
  websites: WebsiteRecord[];
  tokens: SimulatorToken[];
}

interface Identity {
  first: string;
  last: string;
  nickname: string;
  email: string;
  place: Place;
  platform: Platform;
}

/** Generates every website of a seed. */
export function generateSeed(seed: number): SeedData {
  const rng = new Prng(seed);
  const fingerprints = new Set<number>();
  const picks = rng.sample(WEBSITES, WEBSITE_COUNT);
  // One account owns every workspace, as a real Crisp user would.
  const owner = makeOperator(rng, "owner", "crisp.example");
  const websites = picks.map((site, index) =>
    generateWebsite(rng, site, index, owner, fingerprints),
  );
  return { websites, tokens: defaultTokens(seed, websites) };
}

/**
 * The default credentials: a plugin token reaching every website but the last (which exists
 * and has not installed the plugin) and a user token reaching them all. Drawn from their own
 * PRNG stream so they stay stable whatever the data generator draws.
 */
function defaultTokens(seed: number, websites: WebsiteRecord[]): SimulatorToken[] {
  const rng = new Prng(seed ^ 0x5eed_7043);
  const ids = websites.map((record) => record.website.website_id);
  return [
    { identifier: rng.uuid(), key: rng.hex(64), tier: "plugin", websiteIds: ids.slice(0, -1) },
    { identifier: rng.uuid(), key: rng.hex(64), tier: "user", websiteIds: ids },
  ];
}

function makeOperator(rng: Prng, role: "owner" | "member", domain: string): WireOperator {
  const first = rng.pick(FIRST_NAMES);
  const last = rng.pick(LAST_NAMES);
  const userId = rng.uuid();
  return {
    type: "website",
    details: {
      user_id: userId,
      email: `${ascii(first)}.${ascii(last)}@${domain}`,
      avatar: `https://storage.crisp.chat/users/avatar/user/${userId}/${rng.hex(8)}.jpg`,
      first_name: first,
      last_name: last,
      role,
      title: role === "owner" ? "Founder" : rng.pick(TITLES),
      availability: rng.weighted([
        ["online", 3],
        ["away", 1],
        ["offline", 2],
      ] as const),
      has_token: rng.chance(0.3),
    },
  };
}

function generateWebsite(
  rng: Prng,
  site: { name: string; domain: string },
  index: number,
  owner: WireOperator,
  fingerprints: Set<number>,
): WebsiteRecord {
  const websiteId = rng.uuid();
  const website: WireWebsite = {
    website_id: websiteId,
    name: site.name,
    domain: site.domain,
    logo: `https://storage.crisp.chat/users/avatar/website/${websiteId}/${rng.uuid()}.png`,
    verified: rng.chance(0.7),
    institutional: false,
  };
  // The default website is always configured; others sometimes are not (filter_configured).
  const configured = index === 0 || rng.chance(0.5);
  const connect = {
    token: rng.hex(64),
    settings: configured ? { message: `Hello from ${site.name}!`, enabled: true } : {},
    plan: rng.pick(PLANS),
  };
  const operators = [owner];
  const memberCount = rng.int(3, 6);
  for (let i = 0; i < memberCount; i++) {
    operators.push(makeOperator(rng, "member", site.domain));
  }
  const inboxes = index === 0 ? [rng.uuid(), rng.uuid()] : rng.chance(0.5) ? [rng.uuid()] : [];
  const peopleCount = index === 0 ? DEFAULT_PEOPLE : OTHER_PEOPLE;
  const identities: Identity[] = [];
  const people: WirePeopleProfile[] = [];
  for (let i = 0; i < peopleCount; i++) {
    const identity = makeIdentity(rng, i);
    identities.push(identity);
    people.push(makeProfile(rng, identity));
  }
  const conversationCount = index === 0 ? DEFAULT_CONVERSATIONS : OTHER_CONVERSATIONS;
  const conversations: WireConversation[] = [];
  const messages = new Map<string, WireMessage[]>();
  for (let i = 0; i < conversationCount; i++) {
    const { conversation, list } = generateConversation(rng, {
      websiteId,
      index: i,
      operators,
      inboxes,
      people,
      identities,
      fingerprints,
    });
    conversations.push(conversation);
    messages.set(conversation.session_id, list);
  }
  // A profile was updated when its latest conversation was.
  const latestByPerson = new Map<string, number>();
  for (const conversation of conversations) {
    if (conversation.people_id !== undefined) {
      const previous = latestByPerson.get(conversation.people_id) ?? 0;
      latestByPerson.set(conversation.people_id, Math.max(previous, conversation.updated_at));
    }
  }
  for (const profile of people) {
    const latest = latestByPerson.get(profile.people_id);
    if (latest !== undefined && profile.updated_at !== undefined && latest > profile.updated_at) {
      profile.updated_at = latest;
      profile.active = { now: false, last: latest };
    }
  }
  const visitors = generateVisitors(rng, site.domain, conversations);
  return { website, connect, operators, inboxes, people, conversations, messages, visitors };
}

function ascii(value: string): string {
  return value
    .normalize("NFD")
    .replace(/[^A-Za-z]/g, "")
    .toLowerCase();
}

function makeIdentity(rng: Prng, index: number): Identity {
  const first = rng.pick(FIRST_NAMES);
  const last = rng.pick(LAST_NAMES);
  // The index keeps every email of a website distinct, so email look-ups are unambiguous.
  const email = `${ascii(first)}.${ascii(last)}${index}@${rng.pick(EMAIL_DOMAINS)}`;
  return {
    first,
    last,
    nickname: `${first} ${last}`,
    email,
    place: rng.pick(PLACES),
    platform: rng.pick(PLATFORMS),
  };
}

function phone(rng: Prng, place: Place): string {
  return `${place.phonePrefix} ${rng.int(100, 999)} ${rng.int(1000, 9999)}`;
}

function makeProfile(rng: Prng, identity: Identity): WirePeopleProfile {
  const peopleId = rng.uuid();
  const company = rng.pick(COMPANIES);
  const createdAt = SEED_ANCHOR - rng.int(61 * DAY, 400 * DAY);
  const updatedAt = createdAt + rng.int(0, 30 * DAY);
  const handle = `${ascii(identity.first)}${ascii(identity.last)}`;
  const companyPlace = rng.pick(PLACES);
  return {
    people_id: peopleId,
    email: identity.email,
    person: {
      nickname: identity.nickname,
      avatar: `https://avatars.example.com/${handle}.png`,
      gender: rng.pick(["female", "male", "other"]),
      phone: phone(rng, identity.place),
      address: `${rng.int(1, 200)} Main Street, ${identity.place.geolocation.city}`,
      description: `${rng.pick(TITLES)} at ${company.name}`,
      website: `https://${handle}.example.com`,
      timezone: identity.place.timezone,
      profiles: [
        { type: "twitter", handle, url: `https://twitter.com/${handle}` },
        { type: "linkedin", handle, url: `https://www.linkedin.com/in/${handle}` },
      ],
      employment: {
        name: company.name,
        domain: company.domain,
        title: rng.pick(["Engineer", "Product Manager", "CEO", "Designer", "Buyer"]),
        role: rng.pick(["engineering", "product", "leadership", "design", "operations"]),
        seniority: rng.pick(["junior", "senior", "manager", "executive"]),
      },
      geolocation: identity.place.geolocation,
      locales: identity.place.locales,
    },
    company: {
      name: company.name,
      legal_name: `${company.name} SAS`,
      domain: company.domain,
      url: `https://${company.domain}`,
      description: `${company.name} builds things people need.`,
      timezone: companyPlace.timezone,
      phones: [phone(rng, companyPlace)],
      emails: [`contact@${company.domain}`],
      geolocation: companyPlace.geolocation,
      metrics: {
        employees: rng.int(5, 5000),
        market_cap: rng.int(1, 500) * 1_000_000,
        raised: rng.int(0, 80) * 1_000_000,
        arr: rng.int(1, 100) * 100_000,
      },
      tags: company.tags,
    },
    segments: rng.sample(SEGMENTS, rng.int(0, 3)),
    notepad: rng.chance(0.3) ? rng.pick(NOTE_TEXTS) : "",
    score: rng.int(0, 100),
    active: { now: false, last: updatedAt },
    created_at: createdAt,
    updated_at: updatedAt,
  };
}

interface ConversationContext {
  websiteId: string;
  index: number;
  operators: WireOperator[];
  inboxes: string[];
  people: WirePeopleProfile[];
  identities: Identity[];
  fingerprints: Set<number>;
}

function generateConversation(
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
    ip: `${rng.int(1, 223)}.${rng.int(0, 255)}.${rng.int(0, 255)}.${rng.int(1, 254)}`,
    avatar: rng.chance(0.3) ? `https://avatars.example.com/${sessionId}.png` : null,
    device: {
      capabilities: rng.chance(0.5) ? ["browsing", "call"] : ["call"],
      geolocation: place.geolocation,
      system: {
        os: platform.os,
        engine: platform.engine,
        browser: platform.browser,
        useragent: platform.useragent,
      },
      timezone: place.timezone,
      locales: place.locales,
    },
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
    status: state === "pending" ? 0 : state === "unresolved" ? 1 : 2,
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

function generateVisitors(
  rng: Prng,
  domain: string,
  conversations: WireConversation[],
): WireVisitor[] {
  // Visitors who opened a chat are the most recently active conversations.
  const recent = [...conversations]
    .sort((a, b) => b.updated_at - a.updated_at)
    .slice(0, rng.int(8, 12));
  const visitors: WireVisitor[] = [];
  for (let i = 0; i < VISITORS; i++) {
    const conversation = recent[i];
    const platform = rng.pick(PLATFORMS);
    const place = rng.pick(PLACES);
    const page = rng.pick(PAGES);
    const meta = conversation?.meta;
    visitors.push({
      session_id: conversation?.session_id ?? `session_${rng.uuid()}`,
      ...(conversation?.inbox_id ? { inbox_id: conversation.inbox_id } : {}),
      nickname: meta?.nickname ?? `visitor${rng.int(100000, 999999)}`,
      ...(meta?.email === undefined ? {} : { email: meta.email }),
      ...(meta?.avatar ? { avatar: meta.avatar } : {}),
      useragent: platform.useragent,
      initiated: conversation !== undefined,
      active: rng.chance(0.7),
      last_page: { page_title: page.page_title, page_url: `https://${domain}/${page.path}` },
      geolocation: place.geolocation,
      timezone: place.timezone,
      capabilities: rng.chance(0.5) ? ["browsing", "call"] : ["call"],
      locales: place.locales,
    });
  }
  return visitors;
}
