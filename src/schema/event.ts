import { badUserInput, ErrorCode, GatewayError } from "../errors.js";
import type { CrispHookEvent } from "../events/event.js";
import { isEventId } from "../events/event.js";
import { EventLogGap } from "../events/log.js";
import { builder } from "./builder.js";
import { WebsiteRef } from "./website.js";

/**
 * Recorded Crisp events as the schema shows them: `CrispEvent`, and `Website.changes`, the
 * change feed a sync job reads between full syncs. Both come from the gateway's event log
 * (src/events/log.ts) and cost no Crisp request.
 */

export const CrispEventRef = builder.objectRef<CrispHookEvent>("CrispEvent").implement({
  description:
    "One Crisp event as the gateway recorded it (from a web hook), for events without a typed subscription and for the change feed.",
  fields: (t) => ({
    id: t.exposeID("id", {
      description: "The event's id in the gateway's event log: pass it as `after` to resume.",
    }),
    name: t.exposeString("name", { description: "Crisp's event name, e.g. session:set_state." }),
    websiteId: t.exposeID("websiteId"),
    sessionId: t.id({ nullable: true, resolve: (e) => e.sessionId }),
    data: t.field({
      type: "JSON",
      description: "The hook's `data`, as Crisp sent it.",
      resolve: (e) => e.data,
    }),
    timestamp: t.field({ type: "DateTime", resolve: (e) => new Date(e.timestamp) }),
  }),
});

/** Checks an `after` event id (a subscription's, or a change feed's cursor). */
export function eventIdArgument(value: string | null | undefined, field: string): string | null {
  if (value === null || value === undefined) {
    return null;
  }
  if (!isEventId(value)) {
    throw badUserInput(
      field,
      `expected an event id such as 1733000000000-0, got ${JSON.stringify(value.slice(0, 40))}.`,
    );
  }
  return value;
}

/**
 * The refusal of an `after` older than what the event log keeps: the events since may be
 * gone, so the client must read the current state again before following changes.
 */
export function resyncError(field: string, error: EventLogGap) {
  const refusal = badUserInput(
    field,
    `events after ${error.after} are no longer kept (the event log keeps EVENT_LOG_MAX_EVENTS events for EVENT_LOG_MAX_AGE_MS): resync by reading the current state, then follow changes from the newest event id.`,
  );
  refusal.extensions.resync = true;
  return refusal;
}

interface ChangeFeedShape {
  events: CrispHookEvent[];
  cursor: string;
  hasMore: boolean;
}

const ChangeFeedRef = builder.objectRef<ChangeFeedShape>("ChangeFeed").implement({
  description: "Recorded web hook events after a cursor.",
  fields: (t) => ({
    events: t.field({ type: [CrispEventRef], resolve: (feed) => feed.events }),
    cursor: t.exposeString("cursor", {
      description:
        "Pass as `after` to continue: where this page stopped reading the log (past events of other websites too).",
    }),
    hasMore: t.exposeBoolean("hasMore", {
      description: "More recorded events may follow the cursor now; false: the feed is caught up.",
    }),
  }),
});

/** The default and largest page of the change feed. */
const FEED_DEFAULT = 100;
const FEED_MAX = 500;
/** Recorded events read per step, and at most per call (other websites' included). */
const FEED_STEP = 500;
const FEED_SCAN = 10_000;

builder.objectField(WebsiteRef, "changes", (t) =>
  t.field({
    type: ChangeFeedRef,
    description: `Recorded web hook events of this website after a cursor, oldest first, from the gateway's event log: zero Crisp requests. Without \`after\`, from the oldest event kept. \`first\` defaults to ${FEED_DEFAULT} (at most ${FEED_MAX}). A cursor older than what the log keeps fails with BAD_USER_INPUT and \`extensions.resync\`: read the current state again, then follow from the newest cursor. What an incremental sync reads between full syncs.`,
    args: {
      after: t.arg.string({ description: "A cursor (an event id) from an earlier page." }),
      first: t.arg.int({ description: `How many events (1 to ${FEED_MAX}).` }),
    },
    resolve: async (website, args, ctx): Promise<ChangeFeedShape> => {
      const first = args.first ?? FEED_DEFAULT;
      if (!Number.isInteger(first) || first < 1 || first > FEED_MAX) {
        throw badUserInput("first", `expected 1 to ${FEED_MAX}, got ${first}.`);
      }
      const after = eventIdArgument(args.after, "after");
      const websiteId = website.websiteId.toLowerCase();
      if (!ctx.loaders.visible(websiteId)) {
        throw new GatewayError(ErrorCode.NOT_FOUND, "Crisp has no such website for this token.");
      }
      const log = ctx.events.log;
      let cursor = after ?? (await log.floor());
      const events: CrispHookEvent[] = [];
      let scanned = 0;
      try {
        for (;;) {
          const page = await log.range(cursor, FEED_STEP);
          for (const event of page) {
            if (event.websiteId !== websiteId) {
              cursor = event.id;
              continue;
            }
            if (events.length === first) {
              // One more of this website exists: stop before it.
              return { events, cursor, hasMore: true };
            }
            events.push(event);
            cursor = event.id;
          }
          scanned += page.length;
          if (page.length < FEED_STEP) {
            return { events, cursor, hasMore: false };
          }
          if (scanned >= FEED_SCAN) {
            return { events, cursor, hasMore: true };
          }
        }
      } catch (error) {
        if (error instanceof EventLogGap) {
          throw resyncError("after", error);
        }
        throw error;
      }
    },
  }),
);
