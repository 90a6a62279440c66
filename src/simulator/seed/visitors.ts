/** Seeded live visitors (crisp-api.md §4.8). */

import type { WireConversation, WireVisitor } from "../payloads.js";
import type { Prng } from "../prng.js";
import { PAGES, PLACES, PLATFORMS } from "./data.js";
import { capabilities } from "./device.js";

/** The live visitors of a website: the most recent conversations first, then anonymous ones. */
export function generateVisitors(
  rng: Prng,
  domain: string,
  conversations: WireConversation[],
  count: number,
): WireVisitor[] {
  // Visitors who opened a chat are the most recently active conversations.
  const recent = [...conversations]
    .sort((a, b) => b.updated_at - a.updated_at)
    .slice(0, rng.int(8, 12));
  const visitors: WireVisitor[] = [];
  for (let i = 0; i < count; i++) {
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
      capabilities: capabilities(rng),
      locales: place.locales,
    });
  }
  return visitors;
}
