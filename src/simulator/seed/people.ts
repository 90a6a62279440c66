/** Seeded people: who they are and their full profiles (crisp-api.md §4.7). */

import type { WirePeopleProfile } from "../payloads.js";
import type { Prng } from "../prng.js";
import {
  COMPANIES,
  DAY,
  EMAIL_DOMAINS,
  FIRST_NAMES,
  LAST_NAMES,
  NOTE_TEXTS,
  PLACES,
  PLATFORMS,
  type Place,
  type Platform,
  SEED_ANCHOR,
  SEGMENTS,
  TITLES,
} from "./data.js";

/** Who a seeded person is: the profile and their conversations share it. */
export interface Identity {
  first: string;
  last: string;
  nickname: string;
  email: string;
  place: Place;
  platform: Platform;
}

/** A name as the ASCII letters of an email or a handle. */
export function ascii(value: string): string {
  return value
    .normalize("NFD")
    .replace(/[^A-Za-z]/g, "")
    .toLowerCase();
}

export function makeIdentity(rng: Prng, index: number): Identity {
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

export function phone(rng: Prng, place: Place): string {
  return `${place.phonePrefix} ${rng.int(100, 999)} ${rng.int(1000, 9999)}`;
}

export function makeProfile(rng: Prng, identity: Identity): WirePeopleProfile {
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
