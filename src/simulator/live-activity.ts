/**
 * Live demo activity: every `intervalMs`, one random visitor or operator action on a website,
 * made with the write routes' own mutation code (`mutations.ts`), so it changes what the
 * read routes answer and emits the same events (and therefore web hooks) a write would.
 *
 * Our inferred choices [I]:
 * - A new conversation is an online visitor (sometimes a known contact, bound to the profile)
 *   who sets a nickname (`session:set_nickname`, and `session:set_email` for a contact) and
 *   sends a first text (`message:send`); it stays `pending` until an operator answers.
 * - An operator answering a `pending` conversation makes it `unresolved` (`session:set_state`
 *   after the `message:received`), as nobody would call an answered conversation pending.
 * - Actions pick among the 8 most recently updated conversations with messages, so the
 *   activity reads as a few ongoing chats rather than noise scattered over the archive.
 * - Activity does not go through HTTP: it is not in `Simulator.requests` and uses no quota.
 */

import type { SimulatorEnvironment } from "./environment.js";
import {
  addConversation,
  appendMessage,
  emitSessionEvent,
  findSessionTarget,
  operatorUser,
  type SessionTarget,
  setConversationState,
} from "./mutations.js";
import type { WireConversation, WireConversationMeta, WirePeopleProfile } from "./payloads.js";
import type { Prng } from "./prng.js";
import { RtmEvent } from "./protocol.js";
import {
  FIRST_NAMES,
  LAST_NAMES,
  OPERATOR_TEXTS,
  PLACES,
  PLATFORMS,
  SEGMENTS,
  USER_TEXTS,
} from "./seed/data.js";
import { device, ipAddress } from "./seed/device.js";
import type { SimulatorStore, WebsiteRecord } from "./store.js";
import type { SimulatorLiveActivity } from "./types.js";

/** What one tick of live activity did. */
export type LiveAction =
  | "new_conversation"
  | "visitor_message"
  | "operator_reply"
  | "resolve"
  | "reopen";

/** How many of the most recently updated conversations actions choose from. */
const RECENT = 8;
/** Replies that only make sense after an earlier exchange, so never open a conversation. */
const FOLLOW_UP = /^(Thanks|Great|All right|Any news)/;
const OPENING_TEXTS = USER_TEXTS.filter((text) => !FOLLOW_UP.test(text));

export interface LiveActivityOptions {
  store: SimulatorStore;
  /** The write routes' shared state: clock, event hub, message limit. */
  write: Pick<SimulatorEnvironment, "events" | "clock" | "messageLimit" | "ids">;
  /** The activity's own stream, so it never shifts the ids the write routes create. */
  rng: Prng;
  defaultWebsiteId: string;
}

export class LiveActivity {
  readonly #options: LiveActivityOptions;
  #timer: NodeJS.Timeout | undefined;
  #websiteId: string;

  constructor(options: LiveActivityOptions) {
    this.#options = options;
    this.#websiteId = options.defaultWebsiteId;
  }

  /** Throws, stating the contract, when `settings` cannot be run. */
  check(settings: SimulatorLiveActivity | null): void {
    if (settings === null) {
      return;
    }
    const { intervalMs, websiteId = this.#options.defaultWebsiteId } = settings;
    if (!Number.isFinite(intervalMs) || intervalMs < 1) {
      throw new Error(
        `liveActivity.intervalMs must be a finite number of ms >= 1; received ${intervalMs}`,
      );
    }
    if (this.#options.store.record(websiteId) === undefined) {
      throw new Error(`liveActivity.websiteId must be a simulated website; received ${websiteId}`);
    }
  }

  /** Starts, restarts (new interval or website) or, with `null`, stops the activity. */
  configure(settings: SimulatorLiveActivity | null): void {
    this.check(settings);
    this.stop();
    if (settings === null) {
      return;
    }
    this.#websiteId = settings.websiteId ?? this.#options.defaultWebsiteId;
    this.#timer = setInterval(() => this.#tick(), settings.intervalMs);
    // A demo's background chatter must never keep a process alive on its own.
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer !== undefined) {
      clearInterval(this.#timer);
      this.#timer = undefined;
    }
  }

  /**
   * Performs one action now on the configured website (the default one until configured);
   * `null` when the website is gone. Throws what a write would (e.g. 409 at the message limit).
   */
  step(): LiveAction | null {
    const record = this.#options.store.record(this.#websiteId);
    if (record === undefined) {
      return null;
    }
    const { rng } = this.#options;
    const wanted = rng.weighted([
      ["new_conversation", 2],
      ["visitor_message", 3],
      ["operator_reply", 3],
      ["toggle_state", 1],
    ] as const);
    const recent = recentConversations(record);
    const open = recent.filter((item) => item.state !== "resolved");
    switch (wanted) {
      case "visitor_message": {
        const target = this.#target(record, open);
        return target === undefined ? this.#newConversation(record) : this.#visitorMessage(target);
      }
      case "operator_reply": {
        const waiting = open.filter((item) => item.waiting_since !== undefined);
        const target = this.#target(record, waiting.length > 0 ? waiting : open);
        return target === undefined ? this.#newConversation(record) : this.#operatorReply(target);
      }
      case "toggle_state": {
        const target = this.#target(record, recent);
        if (target === undefined) {
          return this.#newConversation(record);
        }
        const resolved = target.conversation.state === "resolved";
        setConversationState(this.#options.write, target, resolved ? "unresolved" : "resolved");
        return resolved ? "reopen" : "resolve";
      }
      default:
        return this.#newConversation(record);
    }
  }

  #tick(): void {
    try {
      this.step();
    } catch (error) {
      // A refused action (say, a conversation at the message limit) just skips this tick.
      process.emitWarning(
        `Simulator live activity skipped a tick: ${String(error)}`,
        "SimulatorLiveActivityWarning",
      );
    }
  }

  #target(record: WebsiteRecord, candidates: WireConversation[]): SessionTarget | undefined {
    if (candidates.length === 0) {
      return undefined;
    }
    const conversation = this.#options.rng.pick(candidates);
    return findSessionTarget(
      this.#options.store,
      record.website.website_id,
      conversation.session_id,
    );
  }

  #newConversation(record: WebsiteRecord): LiveAction {
    const { rng, write } = this.#options;
    const websiteId = record.website.website_id;
    const sessionId = `session_${rng.uuid()}`;
    const profile: WirePeopleProfile | undefined =
      record.people.length > 0 && rng.chance(0.4) ? rng.pick(record.people) : undefined;
    const nickname =
      profile?.person?.nickname ??
      (rng.chance(0.6)
        ? `${rng.pick(FIRST_NAMES)} ${rng.pick(LAST_NAMES)}`
        : `visitor${rng.int(100000, 999999)}`);
    const email = profile?.email;
    const place = rng.pick(PLACES);
    const platform = rng.pick(PLATFORMS);
    const meta: WireConversationMeta = {
      nickname,
      ...(email === undefined ? {} : { email }),
      ip: ipAddress(rng),
      avatar: null,
      device: device(rng, place, platform),
      segments: profile?.segments?.length ? [...profile.segments] : rng.sample(SEGMENTS, 1),
      origin: "chat",
      data: {},
    };
    const conversation = addConversation(write, record, {
      sessionId,
      meta,
      ...(profile === undefined ? {} : { peopleId: profile.people_id }),
    });
    conversation.availability = "online";
    conversation.active = { now: true, last: conversation.created_at };
    if (email !== undefined) {
      conversation.participants = [{ type: "email", target: email }];
    }
    const target = findSessionTarget(this.#options.store, websiteId, sessionId);
    if (target === undefined) {
      return "new_conversation";
    }
    emitSessionEvent(write, RtmEvent.SESSION_SET_NICKNAME, target, { nickname });
    if (email !== undefined) {
      emitSessionEvent(write, RtmEvent.SESSION_SET_EMAIL, target, { email });
    }
    appendMessage(
      write,
      target,
      { type: "text", from: "user", origin: "chat", content: rng.pick(OPENING_TEXTS) },
      { nickname, user_id: sessionId },
    );
    return "new_conversation";
  }

  #visitorMessage(target: SessionTarget): LiveAction {
    const { rng, write } = this.#options;
    const { conversation } = target;
    conversation.active = { now: true, last: write.clock() };
    appendMessage(
      write,
      target,
      {
        type: "text",
        from: "user",
        origin: conversation.meta.origin ?? "chat",
        content: rng.pick(USER_TEXTS),
      },
      { nickname: conversation.meta.nickname ?? "visitor", user_id: target.sessionId },
    );
    return "visitor_message";
  }

  #operatorReply(target: SessionTarget): LiveAction {
    const { rng, write } = this.#options;
    const { conversation, record } = target;
    const assigned = record.operators.find(
      (operator) => operator.details.user_id === conversation.assigned?.user_id,
    );
    const operator =
      assigned ?? (record.operators.length > 0 ? rng.pick(record.operators) : undefined);
    if (operator === undefined) {
      return this.#visitorMessage(target);
    }
    appendMessage(
      write,
      target,
      {
        type: "text",
        from: "operator",
        origin: conversation.meta.origin ?? "chat",
        content: rng.pick(OPERATOR_TEXTS),
      },
      operatorUser(operator),
    );
    if (conversation.state === "pending") {
      setConversationState(write, target, "unresolved");
    }
    return "operator_reply";
  }
}

/** The most recently updated conversations that have messages, newest first. */
function recentConversations(record: WebsiteRecord): WireConversation[] {
  return record.conversations
    .filter((item) => (record.messages.get(item.session_id)?.length ?? 0) > 0)
    .sort((a, b) => b.updated_at - a.updated_at)
    .slice(0, RECENT);
}
