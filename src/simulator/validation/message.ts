/** Checks of message bodies: `POST …/message` and the `content` of `PATCH …/message/{fp}`. */

import type { WireMessageContent, WireMessageFrom, WireMessageType } from "../payloads.js";
import { MESSAGE_TYPES as TYPES } from "../protocol.js";
import {
  checkArray,
  checkBoolean,
  checkObject,
  checkString,
  checkStrings,
  fail,
  type JsonObject,
  objectBody,
  onlyKeys,
  optionalBoolean,
  optionalNumber,
  optionalString,
} from "./primitives.js";

export const MESSAGE_TYPES: readonly WireMessageType[] = TYPES;

/** The keys each object content must or may have (crisp-api.md §4.6 [L NODE]), in check order. */
interface ContentShape {
  /** Non-empty strings. */
  required: readonly string[];
  /** Lists of objects, checked item by item. */
  lists?: (value: JsonObject) => void;
  strings?: readonly string[];
  numbers?: readonly string[];
  booleans?: readonly string[];
}

const CONTENT_SHAPES: Readonly<Record<Exclude<WireMessageType, "text" | "note">, ContentShape>> = {
  file: { required: ["name", "url", "type"] },
  animation: { required: ["url", "type"] },
  audio: { required: ["url", "type"], numbers: ["duration"] },
  picker: {
    required: ["id", "text"],
    lists: (value) =>
      eachObject(value.choices, "content.choices", (item, field) => {
        checkString(item.value, `${field}.value`);
        checkString(item.label, `${field}.label`);
        checkBoolean(item.selected, `${field}.selected`);
        optionalString(item, "icon", `${field}.`);
      }),
    booleans: ["required"],
  },
  field: { required: ["id", "text"], strings: ["explain", "value"], booleans: ["required"] },
  carousel: {
    required: ["text"],
    lists: (value) =>
      eachObject(value.targets, "content.targets", (item, field) => {
        checkString(item.title, `${field}.title`);
        checkString(item.description, `${field}.description`);
        optionalString(item, "image", `${field}.`);
        eachObject(item.actions, `${field}.actions`, (entry, actionField) => {
          checkString(entry.label, `${actionField}.label`);
          checkString(entry.url, `${actionField}.url`);
        });
      }),
  },
  event: { required: ["namespace"], strings: ["text"] },
};

/** Checks `list` is an array of objects, each with `check` (its field named `field[i]`). */
function eachObject(
  list: unknown,
  field: string,
  check: (item: JsonObject, itemField: string) => void,
): void {
  checkArray(list, field).forEach((entry, index) => {
    const itemField = `${field}[${index}]`;
    check(checkObject(entry, itemField), itemField);
  });
}

/**
 * `content` fitting `type` (crisp-api.md §4.6): a non-empty string for text and note [I: empty
 * refused], an object of the type's shape otherwise. Extra keys inside content are kept.
 */
export function checkContent(type: WireMessageType, content: unknown): WireMessageContent {
  if (type === "text" || type === "note") {
    return checkString(content, "content", true);
  }
  const value = checkObject(content, "content");
  const shape = CONTENT_SHAPES[type];
  for (const key of shape.required) {
    checkString(value[key], `content.${key}`, true);
  }
  shape.lists?.(value);
  for (const key of shape.strings ?? []) {
    optionalString(value, key, "content.");
  }
  for (const key of shape.numbers ?? []) {
    optionalNumber(value, key, "content.");
  }
  for (const key of shape.booleans ?? []) {
    optionalBoolean(value, key, "content.");
  }
  return value as unknown as WireMessageContent;
}

/** A `POST …/message` body, checked. */
export interface MessageInput {
  type: WireMessageType;
  from: WireMessageFrom;
  origin: string;
  content: WireMessageContent;
  user?: { type?: string; nickname?: string; avatar?: string };
  mentions?: string[];
  fingerprint?: number;
  translated?: boolean;
  automated?: boolean;
  /** Not shown to the visitor as new (GO/NODE `stealth`, §4.6 [L]). */
  stealth?: boolean;
  /** The message's own time, ms (importers set it, §4.6 [L]); now when absent. */
  timestamp?: number;
}

/** Every key GO/NODE send on `POST …/message` (crisp-api.md §4.6). */
const MESSAGE_KEYS = [
  "type",
  "from",
  "origin",
  "content",
  "user",
  "mentions",
  "fingerprint",
  "references",
  "original",
  "properties",
  "timestamp",
  "stealth",
  "translated",
  "automated",
];
const USER_KEYS = ["type", "nickname", "avatar"];

export function checkMessage(body: unknown): MessageInput {
  const value = objectBody(body);
  onlyKeys(value, MESSAGE_KEYS);
  const type = value.type;
  if (typeof type !== "string" || !MESSAGE_TYPES.includes(type as WireMessageType)) {
    fail("type", `one of ${MESSAGE_TYPES.join(", ")}`);
  }
  const messageType = type as WireMessageType;
  if (value.from !== "user" && value.from !== "operator") {
    fail("from", '"user" or "operator"');
  }
  const input: MessageInput = {
    type: messageType,
    from: value.from,
    origin: checkString(value.origin, "origin", true),
    content: checkContent(messageType, value.content),
  };
  if (value.user !== undefined) {
    const user = checkObject(value.user, "user");
    onlyKeys(user, USER_KEYS, "user.");
    for (const key of USER_KEYS) {
      optionalString(user, key, "user.");
    }
    input.user = user as MessageInput["user"];
  }
  if (value.mentions !== undefined) {
    input.mentions = checkStrings(value.mentions, "mentions");
  }
  if (value.fingerprint !== undefined) {
    const fingerprint = value.fingerprint;
    // Signed, as GO types it (`int`); 0 is GO's empty value, never sent.
    if (
      typeof fingerprint !== "number" ||
      !Number.isSafeInteger(fingerprint) ||
      fingerprint === 0
    ) {
      fail("fingerprint", "a non-zero integer");
    }
    input.fingerprint = fingerprint;
  }
  if (value.translated !== undefined) {
    input.translated = checkBoolean(value.translated, "translated");
  }
  if (value.automated !== undefined) {
    input.automated = checkBoolean(value.automated, "automated");
  }
  if (value.stealth !== undefined) {
    input.stealth = checkBoolean(value.stealth, "stealth");
  }
  if (value.timestamp !== undefined) {
    const timestamp = value.timestamp;
    if (typeof timestamp !== "number" || !Number.isSafeInteger(timestamp) || timestamp < 1) {
      fail("timestamp", "a time in ms since the epoch");
    }
    input.timestamp = timestamp;
  }
  return input;
}
