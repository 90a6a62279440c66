/**
 * Deterministic seed data: the same seed gives byte-identical websites, conversations,
 * messages, people, operators and visitors. Every timestamp is relative to a fixed anchor
 * (never `Date.now()`), so the data does not drift from one run to the next.
 */

import type {
  WireConversation,
  WireMessage,
  WireOperator,
  WirePeopleData,
  WirePeopleProfile,
  WireWebsite,
} from "../payloads.js";
import { Prng } from "../prng.js";
import type { SeedData, WebsiteRecord } from "../store.js";
import type { SimulatorToken } from "../types.js";
import { generateConversation } from "./conversations.js";
import { FIRST_NAMES, LAST_NAMES, PLANS, TITLES, WEBSITES } from "./data.js";
import { ascii, type Identity, makeIdentity, makeProfile } from "./people.js";
import { generateVisitors } from "./visitors.js";

const WEBSITE_COUNT = 4;
const DEFAULT_CONVERSATIONS = 300;
const OTHER_CONVERSATIONS = 60;
const DEFAULT_PEOPLE = 150;
const OTHER_PEOPLE = 40;
const VISITORS = 30;

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
/**
 * Custom data of the profiles, derived from what they already hold (no draw from the
 * generator, so the rest of the seed does not move): a plan and the year they signed up.
 */
function customData(people: readonly WirePeopleProfile[]): Map<string, WirePeopleData> {
  return new Map(
    people.map((profile) => [
      profile.people_id,
      {
        plan: (profile.score ?? 0) >= 70 ? "pro" : "free",
        signup_year: new Date(profile.created_at ?? 0).getUTCFullYear(),
        newsletter: (profile.segments ?? []).includes("newsletter"),
      },
    ]),
  );
}

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
  const visitors = generateVisitors(rng, site.domain, conversations, VISITORS);
  return {
    website,
    connect,
    operators,
    inboxes,
    people,
    peopleData: customData(people),
    conversations,
    messages,
    visitors,
  };
}
