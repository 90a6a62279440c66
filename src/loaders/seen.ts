/**
 * What one request's loaders read and changed, beyond the objects of its answer: the response
 * cache (src/plugins/use-gateway-response-cache.ts) makes an answer depend on the lists it
 * holds (a new conversation changes a list that does not hold it yet), and drops what a write
 * changed.
 */

/** Something a write or an event changed, as the response cache is told of it. */
export interface Change {
  kind: "conversation" | "person" | "website" | "everything";
  /** null: outside any website (a raw write to plugin or account routes). */
  websiteId: string | null;
  /** The session or people id, for a conversation or a person. */
  id: string | null;
}

/** What one request's loaders read and changed. */
export interface Seen {
  /** `conversations <websiteId>` / `people <websiteId>`: lists the answer holds. */
  lists: Set<string>;
  changes: Change[];
}
