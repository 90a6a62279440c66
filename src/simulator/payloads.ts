/**
 * The JSON the simulator sends, in Crisp's snake_case, as our reference describes it
 * (`../shared/crisp-api.md` §4 and §7, and Crisp's published samples copied into
 * `test/fixtures/crisp`). The simulator's own model of Crisp, never the gateway client's
 * (`src/crisp/types.ts`): the two are written from the same reference but may disagree, which
 * is what lets a test catch the client believing something Crisp does not do.
 *
 * Only the samples in §7 are verbatim [V]; every other shape is library-derived [L] (GO JSON
 * tags, NODE types): the route and field names are certain, a field's presence is not.
 */

import type { CONVERSATION_STATUS, MESSAGE_TYPES } from "./protocol.js";

/** Every JSON answer: `{ error, reason, data }` (§2.1 [V BP]). */
export interface WireEnvelope<T> {
  error: boolean;
  reason: string;
  data: T;
}

/** `GET /website/{website_id}` (§4.1, §7 `website.json` [V BP]; `verified`, `institutional` [L NODE]). */
export interface WireWebsite {
  website_id: string;
  name: string;
  domain: string;
  /** "can be blank" (§4.1 [V BP]). */
  logo?: string | null;
  verified?: boolean;
  institutional?: boolean;
}

/** One item of `GET /plugin/connect/websites/all/{page}` (§4.2 [L GO, NODE]). */
export interface WireConnectedWebsite {
  website_id: string;
  token: string;
  /** The per-website plugin configuration (PONG reads `settings.message`). */
  settings: Record<string, unknown>;
  plan?: { id: string; name: string; trialing: boolean };
  price?: number;
}

export type WireConversationState = keyof typeof CONVERSATION_STATUS;

/** §4.4 geolocation, as GO tags it [L]. */
export interface WireGeolocation {
  country?: string;
  region?: string;
  city?: string;
  coordinates?: { latitude: number; longitude: number };
}

export interface WireSoftware {
  name?: string;
  version?: string;
  major?: string;
}

/** `meta.device` (§4.4, §7 `conversation-list.json` [V BP]). */
export interface WireDevice {
  capabilities?: string[];
  geolocation?: WireGeolocation;
  system?: { os?: WireSoftware; engine?: WireSoftware; browser?: WireSoftware; useragent?: string };
  /** Minutes from UTC, e.g. -120 (§7 [V BP]). */
  timezone?: number;
  locales?: string[];
}

/** `meta` of a conversation (§4.4 [V BP] + `subject`, `origin` [L GO]). */
export interface WireConversationMeta {
  nickname?: string;
  email?: string;
  phone?: string;
  address?: string;
  subject?: string;
  ip?: string;
  /** Nullable (§7 [V BP]: `"avatar": null`). */
  avatar?: string | null;
  origin?: string;
  data?: Record<string, unknown>;
  device?: WireDevice;
  segments?: string[];
}

/**
 * One conversation of `GET /website/{id}/conversations/{page}` and of `GET …/conversation/{id}`
 * (§4.4: the BP attribute list [V] and §7 `conversation-list.json`, plus GO's `inbox_id`,
 * `topic`, `waiting_since` [L]).
 */
export interface WireConversation {
  session_id: string;
  website_id: string;
  inbox_id?: string | null;
  people_id?: string;
  state: WireConversationState;
  /** Alias of `state`: 0 pending, 1 unresolved, 2 resolved. */
  status: (typeof CONVERSATION_STATUS)[WireConversationState];
  is_verified: boolean;
  is_blocked: boolean;
  availability?: "online" | "offline";
  active?: { now: boolean; last?: number };
  last_message?: string;
  topic?: string;
  participants?: { type: string; target: string }[];
  /** Operator user ids. */
  mentions?: string[];
  created_at: number;
  updated_at: number;
  waiting_since?: number;
  unread?: { operator: number; visitor: number };
  assigned?: { user_id: string } | null;
  meta: WireConversationMeta;
}

export type WireMessageType = (typeof MESSAGE_TYPES)[number];
export type WireMessageFrom = "user" | "operator";

/** Message contents per type (§4.6 [L NODE]). */
export interface WireFileContent {
  name: string;
  url: string;
  type: string;
}
export interface WireAnimationContent {
  url: string;
  type: string;
}
export interface WireAudioContent {
  url: string;
  type: string;
  duration?: number;
}
export interface WirePickerContent {
  id: string;
  text: string;
  choices: { value: string; label: string; selected: boolean; icon?: string }[];
  required?: boolean;
}
export interface WireFieldContent {
  id: string;
  text: string;
  explain?: string;
  value?: string;
  required?: boolean;
}
export interface WireCarouselContent {
  text: string;
  targets: {
    title: string;
    description: string;
    image?: string;
    actions: { label: string; url: string }[];
  }[];
}
export interface WireEventContent {
  namespace: string;
  text?: string;
}

/** A string for text and note, an object of the type's shape otherwise (§4.6 [L]). */
export type WireMessageContent =
  | string
  | WireFileContent
  | WireAnimationContent
  | WireAudioContent
  | WirePickerContent
  | WireFieldContent
  | WireCarouselContent
  | WireEventContent;

/** The sender of a message (§4.6 [L]; the `message:send` sample has `nickname`, `user_id`). */
export interface WireMessageUser {
  type?: string;
  user_id?: string;
  nickname?: string;
  avatar?: string;
}

/** One message of `GET …/conversation/{session_id}/messages` (§4.6 [L GO, NODE]). */
export interface WireMessage {
  session_id: string;
  website_id: string;
  type: WireMessageType;
  from: WireMessageFrom;
  origin: string;
  content: WireMessageContent;
  mentions?: string[];
  read?: string;
  delivered?: string;
  edited?: boolean;
  translated?: boolean;
  automated?: boolean;
  stamped?: boolean;
  fingerprint: number;
  timestamp: number;
  user?: WireMessageUser;
}

/** `GET /website/{id}/people/profile/{people_id}` (§4.7 [L GO `PeopleProfile`]). */
export interface WirePeopleProfile {
  people_id: string;
  email?: string;
  segments?: string[];
  notepad?: string;
  score?: number;
  active?: { now: boolean; last?: number };
  created_at?: number;
  updated_at?: number;
  person?: {
    nickname?: string;
    avatar?: string;
    gender?: string;
    phone?: string;
    address?: string;
    description?: string;
    website?: string;
    timezone?: number;
    profiles?: { type: string; handle: string; url?: string }[];
    employment?: {
      name?: string;
      domain?: string;
      title?: string;
      role?: string;
      seniority?: string;
    };
    geolocation?: WireGeolocation;
    locales?: string[];
  };
  company?: {
    name?: string;
    legal_name?: string;
    domain?: string;
    url?: string;
    description?: string;
    timezone?: number;
    phones?: string[];
    emails?: string[];
    geolocation?: WireGeolocation;
    metrics?: { employees?: number; market_cap?: number; raised?: number; arr?: number };
    tags?: string[];
  };
}

/** A profile's custom data: keys to strings, numbers or booleans (§4.7 [L NODE `PeopleData`]). */
export type WirePeopleData = Record<string, string | number | boolean>;

/** `GET /plugins/subscription/{website_id}/{plugin_id}/settings` (§4.9 [L GO, NODE `PluginSubscriptionSettings`]). */
export interface WirePluginSubscriptionSettings {
  plugin_id: string;
  website_id: string;
  token: string;
  settings: Record<string, unknown>;
}

/** One item of `GET /website/{id}/visitors/list/{page}` (§4.8 [L GO `WebsiteVisitor`]). */
export interface WireVisitor {
  session_id: string;
  inbox_id?: string | null;
  nickname?: string;
  email?: string;
  avatar?: string;
  useragent?: string;
  initiated: boolean;
  active: boolean;
  last_page?: { page_title?: string; page_url?: string };
  geolocation?: WireGeolocation;
  timezone?: number;
  capabilities?: string[];
  locales?: string[];
}

/** `GET /website/{id}/visitors/count` (§4.8 [L]). */
export interface WireVisitorCount {
  count: number;
  active: number;
  limited: boolean;
}

/** One item of `GET /website/{id}/operators/list` (§4.3 [L GO]: snake_case, not NODE's camelCase). */
export interface WireOperator {
  type: string;
  details: {
    user_id: string;
    email?: string;
    avatar?: string;
    first_name?: string;
    last_name?: string;
    role?: string;
    title?: string;
    availability?: string;
    has_token?: boolean;
  };
}
