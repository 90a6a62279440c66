import type { ConversationListParams } from "../crisp/conversations.js";
import type { CrispConversation } from "../crisp/types.js";
import type { CachedEntry } from "../loaders/cache.js";
import type { CacheKey } from "../loaders/cache-kinds.js";
import { isRecord } from "./cached-shapes.js";
import type { CrispHookEvent } from "./event.js";
import { isMessageEvent } from "./patches.js";

/**
 * What a change to one conversation does to the cached list pages of its website
 * (`conversations(...)`, Crisp's numbered pages): where it may move the conversation within a
 * page, into one or out of one (docs/events.md, "List pages").
 */

export interface PageEntry extends CachedEntry {
  params: ConversationListParams;
}

export function pageParams(key: CacheKey): ConversationListParams | null {
  try {
    const params = JSON.parse(String(key[2])) as ConversationListParams;
    return isRecord(params) ? params : null;
  } catch {
    return null;
  }
}

/** A page whose filters may take a conversation in or out as it changes (any filter or search). */
function filtered(params: ConversationListParams): boolean {
  return (
    params.searchQuery !== undefined ||
    params.filterInboxId !== undefined ||
    params.filterUnread === true ||
    params.filterResolved === true ||
    params.filterNotResolved === true ||
    params.filterMention === true ||
    params.filterAssigned !== undefined ||
    params.filterUnassigned === true ||
    params.filterDateStart !== undefined ||
    params.filterDateEnd !== undefined
  );
}

const orderOf = (params: ConversationListParams) => params.order ?? "updated";

/** Crisp's default order: the latest update first (then the session id, for ties). */
function byUpdatedDesc(a: CrispConversation, b: CrispConversation): number {
  return b.updated_at - a.updated_at || (a.session_id < b.session_id ? -1 : 1);
}

/** A page holding the conversation, after it changed: patched, reordered, or null (drop it). */
export function pageWithChange(
  page: PageEntry,
  items: CrispConversation[],
  index: number,
  patched: CrispConversation,
): CrispConversation[] | null {
  const before = items[index];
  if (before === undefined || filtered(page.params)) {
    return null;
  }
  const order = orderOf(page.params);
  if (order === "waiting" && before.waiting_since !== patched.waiting_since) {
    return null;
  }
  if (order === "updated" && before.updated_at !== patched.updated_at) {
    if (page.params.page !== 1) {
      // It moves up to another page, and every page above shifts.
      return null;
    }
    const others = items.filter((_item, at) => at !== index);
    return insertSorted(others, patched);
  }
  const next = [...items];
  next[index] = patched;
  return next;
}

/**
 * A page not holding the conversation, after it changed: unchanged, the conversation put in
 * its place on the first page of an unfiltered list by update (when the gateway holds it
 * whole), or null where it may now belong and cannot be placed.
 */
export function pageWithout(
  page: PageEntry,
  event: CrispHookEvent,
  bump: number | undefined,
  latest: CrispConversation | undefined,
): CrispConversation[] | null | unknown {
  const items = page.value as CrispConversation[];
  const order = orderOf(page.params);
  const moves = bump !== undefined;
  if (filtered(page.params)) {
    // It may now match the filter: only events that change nothing a filter reads are safe.
    return moves || event.name === "session:set_inbox" || event.name === "session:set_mentions"
      ? null
      : page.value;
  }
  if (order === "waiting") {
    return isMessageEvent(event.name) || event.name === "session:set_state" ? null : page.value;
  }
  if (order !== "updated" || !moves) {
    return page.value;
  }
  if (page.params.page !== 1) {
    return null;
  }
  if (latest === undefined) {
    return null;
  }
  const inserted = insertSorted(items, latest);
  const position = inserted.indexOf(latest);
  if (position >= items.length && items.length >= page.params.perPage) {
    // It belongs on a later page.
    return page.value;
  }
  return inserted.length > page.params.perPage ? inserted.slice(0, page.params.perPage) : inserted;
}

function insertSorted(items: CrispConversation[], item: CrispConversation): CrispConversation[] {
  const position = items.findIndex((other) => byUpdatedDesc(item, other) < 0);
  const next = [...items];
  next.splice(position < 0 ? next.length : position, 0, item);
  return next;
}
