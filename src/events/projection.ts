import { LRUCache } from "lru-cache";
import { OperationBudget } from "../budget.js";
import { isFingerprint, isUuid } from "../crisp/ids.js";
import type { CrispConversation, CrispMessage, CrispPeopleProfile } from "../crisp/types.js";
import type { Loaders } from "../loaders/index.js";
import type { CrispHookEvent } from "./event.js";

/**
 * What a subscription shows of an event: the conversation, message or person after it,
 * computed once per event and per instance for every subscriber, from what the gateway holds
 * once the event was applied to it (src/events/upkeep.ts), so it costs no Crisp request when
 * the gateway held the object. Where it did not, one read, shared by every subscriber (and,
 * with Redis, by every instance through the shared cache's second level); its result shows
 * the event even when Crisp's own cache still answers the state before it.
 */

/**
 * A read made once for every subscriber of an event, and what it cost. It starts when a
 * resolver first asks for `value`: a subscription that selects nothing of the object costs
 * nothing.
 */
export interface SharedRead<T> {
  readonly value: Promise<T>;
  /** What it sent, for each subscriber's `extensions.cost` (final once `value` settled). */
  cost(): { crispRequests: number; loads: number; misses: number };
}

/** Crisp requests one shared read may send: one object, with the client's retries. */
const READ_BUDGET = 3;
/** Events whose reads are remembered (a replay revisits recent events). */
const REMEMBERED_EVENTS = 1_000;

export class Projections {
  readonly #loaders: (budget: OperationBudget) => Loaders;
  readonly #reads = new LRUCache<string, SharedRead<unknown>>({ max: REMEMBERED_EVENTS });

  /** @param loaders fresh loaders of the open viewer, charging `budget` (visibility is the subscriber's concern). */
  constructor(loaders: (budget: OperationBudget) => Loaders) {
    this.#loaders = loaders;
  }

  /** The conversation after a session or message event; null when Crisp has none. */
  conversation(event: CrispHookEvent): SharedRead<CrispConversation | null> {
    const sessionId = event.sessionId;
    return this.#read(event, "conversation", (loaders) =>
      sessionId === null ? Promise.resolve(null) : loaders.conversation(event.websiteId, sessionId),
    );
  }

  /** The message after `message:updated`; null when Crisp has none. */
  message(event: CrispHookEvent): SharedRead<CrispMessage | null> {
    const { sessionId } = event;
    const fingerprint = event.data.fingerprint;
    return this.#read(event, "message", (loaders) =>
      sessionId === null || typeof fingerprint !== "number" || !isFingerprint(fingerprint)
        ? Promise.resolve(null)
        : loaders.message(event.websiteId, sessionId, fingerprint),
    );
  }

  /** The profile after a `people:profile:*` event; null once removed or when Crisp has none. */
  person(event: CrispHookEvent): SharedRead<CrispPeopleProfile | null> {
    const peopleId = event.data.people_id;
    return this.#read(event, "person", (loaders) =>
      event.name === "people:profile:removed" || typeof peopleId !== "string" || !isUuid(peopleId)
        ? Promise.resolve(null)
        : loaders.person(event.websiteId, peopleId.toLowerCase()),
    );
  }

  #read<T>(
    event: CrispHookEvent,
    what: string,
    read: (loaders: Loaders) => Promise<T>,
  ): SharedRead<T> {
    const id = `${event.id}/${what}`;
    const known = this.#reads.get(id) as SharedRead<T> | undefined;
    if (known !== undefined) {
      return known;
    }
    const budget = new OperationBudget(READ_BUDGET);
    let started: Promise<T> | undefined;
    const loaders = this.#loaders;
    const shared: SharedRead<T> = {
      get value() {
        if (started === undefined) {
          started = read(loaders(budget));
          // Each subscriber awaits it in its own resolver; a failure is theirs to show.
          started.catch(() => undefined);
        }
        return started;
      },
      cost: () => ({
        crispRequests: budget.crispRequests,
        loads: budget.loads,
        misses: budget.misses,
      }),
    };
    this.#reads.set(id, shared);
    return shared;
  }
}
