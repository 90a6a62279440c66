/**
 * Crisp's event names the gateway acts on, as web hooks and RTM deliver them (crisp-api.md
 * §5.5), and the families they belong to: a name is `family:verb`, e.g. `session:set_state`.
 */
export const CrispEvent = {
  /** A message from the visitor. */
  MESSAGE_SEND: "message:send",
  /** A message from an operator or a bot. */
  MESSAGE_RECEIVED: "message:received",
  /** A message's content changed (the event carries only the new content). */
  MESSAGE_UPDATED: "message:updated",
  /** A conversation was removed. */
  SESSION_REMOVED: "session:removed",
  /** A people profile was removed. */
  PEOPLE_PROFILE_REMOVED: "people:profile:removed",
} as const;

/** The families of event names, by their prefix. */
export const CrispEventFamily = {
  MESSAGE: "message:",
  SESSION: "session:",
  PEOPLE: "people:",
  PEOPLE_PROFILE: "people:profile:",
} as const;

export type CrispEventFamily = (typeof CrispEventFamily)[keyof typeof CrispEventFamily];

/** Whether an event name is of a family (`session:set_state` is a `session:` event). */
export function isEventOf(name: string, family: CrispEventFamily): boolean {
  return name.startsWith(family);
}
