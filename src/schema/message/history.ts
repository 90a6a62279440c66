import { Buffer } from "node:buffer";
import type { MessageBatch } from "../../crisp/messages.js";
import type { CrispMessage } from "../../crisp/types.js";
import { badUserInput } from "../../errors.js";
import type { Loaders } from "../../loaders/index.js";
import { type ConnectionResult, pageSize } from "../connection.js";

/**
 * Reading a conversation's history back in time (`Conversation.messages`) at Crisp's own cost
 * (issue 12.2). Crisp answers GET …/messages in batches (up to 40) before a `timestamp_before`;
 * a window of `last` rarely ends on a batch boundary, so its oldest message sits inside a
 * batch the window has already read. Its cursor carries that batch's own `timestamp_before`
 * (the boundary), and the next window starts from the same batch when the shared cache holds it,
 * keeping what is older than the cursor's message: paging 200 messages back 50 at a time reads
 * each of Crisp's 5 batches once, as a direct walk does. Without it (cache off, or expired),
 * the window reads before the cursor's time, as it always did.
 */

/**
 * Bounds the walk back in time: Crisp sends up to 40 messages a batch, so two reach 50, and
 * the other two cover unusually small batches. The cost estimate counts this many.
 */
export const MAX_MESSAGE_BATCHES = 4;

/** Where a window of messages ends: the message, and the batch it came in. */
interface MessageCursor {
  timestamp: number;
  /** Absent in the cursors of earlier releases, which carried only the timestamp. */
  fingerprint?: number;
  /**
   * The `timestamp_before` of the batch holding the message: null for the newest batch (sent
   * without one), absent when not known (an old cursor).
   */
  boundary?: number | null;
}

const OLD_CURSOR = /^ts:(\d{1,16})$/;
const CURSOR = /^m:(\d{1,16}):(-?\d{1,17}):(\d{0,16})$/;

function encodeMessageCursor(message: CrispMessage, boundary: number | undefined): string {
  return Buffer.from(`m:${message.timestamp}:${message.fingerprint}:${boundary ?? ""}`).toString(
    "base64url",
  );
}

function decodeMessageCursor(cursor: string): MessageCursor {
  const text = Buffer.from(cursor, "base64url").toString("utf8");
  const old = OLD_CURSOR.exec(text);
  if (old?.[1] !== undefined) {
    return { timestamp: Number(old[1]) };
  }
  const match = CURSOR.exec(text);
  if (match?.[1] === undefined || match[2] === undefined || match[3] === undefined) {
    throw badUserInput("before", "not a cursor of this connection.");
  }
  const fingerprint = Number(match[2]);
  if (!Number.isSafeInteger(fingerprint)) {
    throw badUserInput("before", "not a cursor of this connection.");
  }
  return {
    timestamp: Number(match[1]),
    fingerprint,
    boundary: match[3] === "" ? null : Number(match[3]),
  };
}

export interface MessageWindowArgs {
  last?: number | null;
  before?: string | null;
  since?: Date | null;
  until?: Date | null;
}

interface MessageWindow {
  last: number;
  /** The `timestamp_before` to read from when no cursor names its batch. */
  before: number | undefined;
  since: number | undefined;
  /** The cursor's message and batch, when the window starts inside a batch already read. */
  anchor: Required<MessageCursor> | undefined;
}

/** The arguments of `Conversation.messages`, checked: the window and its time bounds in ms. */
export function messageWindow(args: MessageWindowArgs): MessageWindow {
  const last = pageSize(args.last, "last");
  const cursor =
    args.before === null || args.before === undefined
      ? undefined
      : decodeMessageCursor(args.before);
  const since = args.since?.getTime();
  const until = args.until?.getTime();
  if (since !== undefined && until !== undefined && since >= until) {
    throw badUserInput("until", "must be after since.");
  }
  const before =
    cursor === undefined
      ? until
      : until === undefined
        ? cursor.timestamp
        : Math.min(cursor.timestamp, until);
  // `until` before the cursor bounds the window by itself: Crisp's batch before it is read.
  const anchored =
    cursor?.fingerprint !== undefined &&
    cursor.boundary !== undefined &&
    before === cursor.timestamp;
  return {
    last,
    before,
    since,
    anchor: anchored
      ? {
          timestamp: cursor.timestamp,
          fingerprint: cursor.fingerprint ?? 0,
          boundary: cursor.boundary ?? null,
        }
      : undefined,
  };
}

interface Read {
  message: CrispMessage;
  /** The `timestamp_before` of its batch (undefined: the newest). */
  boundary: number | undefined;
}

/**
 * The window of a conversation's history `args` asks for, newest last: Crisp's batches walked
 * back from the cursor's own batch (or from `before`), at most MAX_MESSAGE_BATCHES of them.
 */
export async function readHistory(
  loaders: Loaders,
  websiteId: string,
  sessionId: string,
  args: MessageWindowArgs,
): Promise<ConnectionResult<CrispMessage>> {
  const window = messageWindow(args);
  const { last, since, anchor } = window;
  let before = window.before;
  const collected: Read[] = [];
  let hasOlder = true;
  for (
    let batch = 0;
    batch < MAX_MESSAGE_BATCHES && collected.length < last && hasOlder;
    batch += 1
  ) {
    let boundary = before;
    let result: MessageBatch | undefined;
    let messages: CrispMessage[] = [];
    if (batch === 0 && anchor !== undefined) {
      // The cursor's own batch, read by the window before: what is older than its message.
      // Found by identity, so messages sharing its millisecond are neither lost nor repeated.
      // Only from the shared cache: read anew, it would cost a request more than reading
      // before the cursor's time.
      const own = loaders.cachedMessageBatch(
        websiteId,
        sessionId,
        anchor.boundary ?? undefined,
        since,
      );
      const at =
        own?.messages.findIndex(
          (message) =>
            message.fingerprint === anchor.fingerprint && message.timestamp === anchor.timestamp,
        ) ?? -1;
      // Not there (not cached, or newer messages pushed the cursor's out of it): the window
      // reads before the cursor's time, as without a boundary.
      if (own !== undefined && at !== -1) {
        boundary = anchor.boundary ?? undefined;
        result = own;
        messages = own.messages.slice(0, at);
      }
    }
    if (result === undefined) {
      result = await loaders.messageBatch(websiteId, sessionId, before, since);
      messages = result.messages;
    }
    // Crisp may not bound a batch by timestamp_after: what is not after `since` is dropped,
    // and reaching it ends the walk.
    const kept = messages.filter((message) => since === undefined || message.timestamp > since);
    collected.unshift(...kept.map((message) => ({ message, boundary })));
    const oldest = result.messages[0]?.timestamp;
    hasOlder =
      result.hasOlder &&
      oldest !== undefined &&
      kept.length === messages.length &&
      (since === undefined || oldest > since);
    before = oldest;
  }
  const reads = last === 0 ? [] : collected.slice(-last);
  const edges = reads.map(({ message, boundary }) => ({
    cursor: encodeMessageCursor(message, boundary),
    node: message,
  }));
  return {
    edges,
    pageInfo: {
      hasPreviousPage: collected.length > reads.length || hasOlder,
      hasNextPage:
        (args.before !== null && args.before !== undefined) ||
        (args.until !== null && args.until !== undefined),
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges[edges.length - 1]?.cursor ?? null,
    },
  };
}
