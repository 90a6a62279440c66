/**
 * One Crisp event as the gateway records and relays it, whichever source brought it (a web
 * hook today; Crisp's RTM socket later), and the ids the event log gives events.
 */

/** A verified Crisp event, recorded in the event log. */
export interface CrispHookEvent {
  /**
   * Its id in the event log: `<ms>-<seq>`, the shape of a Redis Stream entry id, so the memory
   * log and Redis order ids the same way. Clients pass it back as `after` to resume.
   */
  id: string;
  /** Crisp's event name, e.g. message:send. */
  name: string;
  /** Lower-case, as every id the gateway compares. */
  websiteId: string;
  /** Lower-case; null for events about no conversation (people:*, plugin:*). */
  sessionId: string | null;
  data: Record<string, unknown>;
  /** When the event occurred (the hook body's `timestamp`), milliseconds. */
  timestamp: number;
}

/** An event before the log gave it an id. */
export type IncomingEvent = Omit<CrispHookEvent, "id">;

/** Where an event came from; only said in logs and metrics. */
export type EventSource = "hook" | "rtm";

const EVENT_ID = /^(\d{1,15})-(\d{1,15})$/;

/** Whether `value` has the shape of an event id. */
export function isEventId(value: string): boolean {
  return EVENT_ID.test(value);
}

/** An event id as its two numbers; null when it is not one. */
export function parseEventId(value: string): [ms: number, seq: number] | null {
  const match = EVENT_ID.exec(value);
  if (match === null) {
    return null;
  }
  return [Number(match[1]), Number(match[2])];
}

/** Orders two well-formed event ids as Redis orders stream entries: by time, then sequence. */
export function compareEventIds(a: string, b: string): number {
  const [am = 0, as = 0] = parseEventId(a) ?? [];
  const [bm = 0, bs = 0] = parseEventId(b) ?? [];
  return am === bm ? as - bs : am - bm;
}

/** The id before any event: every event is after it. */
export const FIRST_EVENT_ID = "0-0";
