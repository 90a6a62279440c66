/**
 * Crisp REST API v1 payloads, in Crisp's own snake_case, as `../shared/crisp-api.md` §4
 * describes them. Only fields the gateway reads are required; everything Crisp marks as
 * optional (or that Go's client tags `omitempty`) is optional here too.
 *
 * These are the client's beliefs about Crisp. The embedded simulator keeps its own
 * (src/simulator/payloads.ts, from the same reference and Crisp's published payloads) and
 * imports nothing from here, so a wrong belief on either side shows as a failing test instead
 * of both agreeing on it.
 */

/** Which Crisp token kind the gateway holds (`X-Crisp-Tier`). */
export type CrispTier = "user" | "website" | "plugin";

/** Every JSON answer of Crisp: `{ error, reason, data }` (crisp-api.md §2.1). */
export interface CrispEnvelope<T> {
  error: boolean;
  reason: string;
  data: T;
}

/** `GET /website/{website_id}` (crisp-api.md §7 `website.json`). */
export interface CrispWebsite {
  website_id: string;
  name: string;
  domain: string;
  logo?: string | null;
  verified?: boolean;
  institutional?: boolean;
}

/** One item of `GET /plugin/connect/websites/all/{page}` (crisp-api.md §4.2). */
export interface CrispConnectedWebsite {
  website_id: string;
  token: string;
  settings: Record<string, unknown>;
  plan?: { id: string; name: string; trialing: boolean };
  price?: number;
}

/** `GET /plugins/subscription/{website_id}/{plugin_id}/settings` (crisp-api.md §4.9). */
export interface CrispPluginSubscriptionSettings {
  plugin_id?: string;
  website_id?: string;
  token?: string;
  schema?: unknown;
  settings?: Record<string, unknown>;
  settings_form_url?: string;
  callback_url?: string;
}

export type CrispConversationState = "pending" | "unresolved" | "resolved";

export interface CrispGeolocation {
  country?: string;
  region?: string;
  city?: string;
  coordinates?: { latitude: number; longitude: number };
}

export interface CrispSoftware {
  name?: string;
  version?: string;
  major?: string;
}

export interface CrispDevice {
  capabilities?: string[];
  geolocation?: CrispGeolocation;
  system?: {
    os?: CrispSoftware;
    engine?: CrispSoftware;
    browser?: CrispSoftware;
    useragent?: string;
  };
  /** Minutes from UTC, as Crisp reports it (e.g. -120). */
  timezone?: number;
  locales?: string[];
}

export interface CrispConversationMeta {
  nickname?: string;
  email?: string;
  phone?: string;
  address?: string;
  subject?: string;
  ip?: string;
  avatar?: string | null;
  origin?: string;
  data?: Record<string, unknown>;
  device?: CrispDevice;
  segments?: string[];
}

/** One conversation, as listed by `GET /website/{id}/conversations/{page}` (crisp-api.md §4.4). */
export interface CrispConversation {
  session_id: string;
  website_id: string;
  inbox_id?: string | null;
  people_id?: string;
  state: CrispConversationState;
  /** Alias of `state`: 0 pending, 1 unresolved, 2 resolved. */
  status: 0 | 1 | 2;
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
  meta: CrispConversationMeta;
}

/** Crisp's message `type`s (crisp-api.md §4.6). */
export const CRISP_MESSAGE_TYPES = [
  "text",
  "note",
  "file",
  "animation",
  "audio",
  "picker",
  "field",
  "carousel",
  "event",
] as const;
export type CrispMessageType = (typeof CRISP_MESSAGE_TYPES)[number];

export type CrispMessageFrom = "user" | "operator";

export interface CrispFileContent {
  name: string;
  url: string;
  type: string;
}
export interface CrispAnimationContent {
  url: string;
  type: string;
}
export interface CrispAudioContent {
  url: string;
  type: string;
  duration?: number;
}
export interface CrispPickerContent {
  id: string;
  text: string;
  choices: { value: string; label: string; selected: boolean; icon?: string }[];
  required?: boolean;
}
export interface CrispFieldContent {
  id: string;
  text: string;
  explain?: string;
  value?: string;
  required?: boolean;
}
export interface CrispCarouselContent {
  text: string;
  targets: {
    title: string;
    description: string;
    image?: string;
    actions: { label: string; url: string }[];
  }[];
}
export interface CrispEventContent {
  namespace: string;
  text?: string;
}

/** `content` is a string for text and note, an object matching `type` otherwise. */
export type CrispMessageContent =
  | string
  | CrispFileContent
  | CrispAnimationContent
  | CrispAudioContent
  | CrispPickerContent
  | CrispFieldContent
  | CrispCarouselContent
  | CrispEventContent;

/** One message of `GET …/conversation/{session_id}/messages` (crisp-api.md §4.6). */
export interface CrispMessage {
  session_id: string;
  website_id: string;
  type: CrispMessageType;
  from: CrispMessageFrom;
  origin: string;
  content: CrispMessageContent;
  mentions?: string[];
  read?: string;
  delivered?: string;
  edited?: boolean;
  translated?: boolean;
  automated?: boolean;
  stamped?: boolean;
  fingerprint: number;
  timestamp: number;
  user?: { type?: string; user_id?: string; nickname?: string; avatar?: string };
}

/** `GET /website/{id}/people/profile/{people_id}` (crisp-api.md §4.7). */
export interface CrispPeopleProfile {
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
    geolocation?: CrispGeolocation;
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
    geolocation?: CrispGeolocation;
    metrics?: { employees?: number; market_cap?: number; raised?: number; arr?: number };
    tags?: string[];
  };
}

/** One item of `GET /website/{id}/visitors/list/{page}` (crisp-api.md §4.8). */
export interface CrispVisitor {
  session_id: string;
  inbox_id?: string | null;
  nickname?: string;
  email?: string;
  avatar?: string;
  useragent?: string;
  initiated: boolean;
  active: boolean;
  last_page?: { page_title?: string; page_url?: string };
  geolocation?: CrispGeolocation;
  timezone?: number;
  capabilities?: string[];
  locales?: string[];
}

/** `GET /website/{id}/visitors/count`. */
export interface CrispVisitorCount {
  count: number;
  active: number;
  limited: boolean;
}

/** One item of `GET /website/{id}/operators/list` (crisp-api.md §4.3: trust Go's snake_case). */
export interface CrispOperatorListItem {
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

/**
 * The page size the simulator gives routes that take no `per_page` (crisp-api.md §8:
 * undocumented). The gateway never assumes it: it walks those pages (src/loaders/paging.ts).
 */
export const CRISP_FIXED_PAGE_SIZE = 20;
/** `per_page` bounds of the routes that take one (crisp-api.md §4.4, §4.7). */
export const CRISP_MIN_PER_PAGE = 20;
export const CRISP_MAX_PER_PAGE = 50;
/** Messages per `/messages` batch, as the official export plugin observes (crisp-api.md §4.6). */
export const CRISP_MESSAGES_BATCH = 40;
