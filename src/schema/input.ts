import { isEmail } from "../crisp/ids.js";
import type { CrispMessageContent, CrispMessageType } from "../crisp/types.js";
import { badUserInput } from "../errors.js";
import { nestsDeeperThan } from "../json-depth.js";

/**
 * Checks of mutation input, run before any Crisp request so a bad input costs nothing and
 * names its field. Limits are generous for real use and small enough that no client can push
 * megabytes through the gateway into Crisp.
 */

export const MAX_TEXT_LENGTH = 10_000;
export const MAX_SHORT_LENGTH = 200;
export const MAX_URL_LENGTH = 2_000;
export const MAX_LIST_LENGTH = 50;
export const MAX_JSON_BYTES = 16_384;
/** Levels of nesting in a JSON input (Crisp's custom data is flat key-value in practice). */
export const MAX_JSON_DEPTH = 16;

export function shortString(value: string, field: string, max = MAX_SHORT_LENGTH): string {
  if (value.length > max) {
    throw badUserInput(field, `at most ${max} characters.`);
  }
  return value;
}

export function nonEmpty(value: string, field: string, max = MAX_SHORT_LENGTH): string {
  if (value.trim() === "") {
    throw badUserInput(field, "must not be empty.");
  }
  return shortString(value, field, max);
}

export function email(value: string, field: string): string {
  const trimmed = value.trim();
  if (!isEmail(trimmed)) {
    throw badUserInput(field, "expected an email address.");
  }
  return trimmed;
}

export function url(value: string, field: string): string {
  if (value.length > MAX_URL_LENGTH || !/^https?:\/\/[^\s]+$/i.test(value)) {
    throw badUserInput(field, "expected an http(s) URL.");
  }
  return value;
}

export function stringList(
  values: readonly string[],
  field: string,
  max = MAX_LIST_LENGTH,
): string[] {
  if (values.length > max) {
    throw badUserInput(field, `at most ${max} items.`);
  }
  return values.map((value, index) => nonEmpty(value, `${field}[${index}]`, 100));
}

export function jsonObject(value: unknown, field: string): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw badUserInput(field, "expected a JSON object.");
  }
  // Before anything recurses over it: JSON.stringify overflows its stack at a few thousand levels.
  if (nestsDeeperThan(value, MAX_JSON_DEPTH)) {
    throw badUserInput(field, `at most ${MAX_JSON_DEPTH} levels of nesting.`);
  }
  if (Buffer.byteLength(JSON.stringify(value)) > MAX_JSON_BYTES) {
    throw badUserInput(field, `at most ${MAX_JSON_BYTES} bytes of JSON.`);
  }
  return value as Record<string, unknown>;
}

/** Crisp origins: chat, email, or a `urn:` of an integration. */
export function origin(value: string, field: string): string {
  if (!/^(chat|email|urn:[a-z0-9:._-]{1,100})$/i.test(value)) {
    throw badUserInput(field, "expected chat, email or a urn:… origin.");
  }
  return value;
}

type JsonRecord = Record<string, unknown>;

function record(value: unknown, field: string, shape: string): JsonRecord {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw badUserInput(field, `expected an object ${shape}.`);
  }
  return value as JsonRecord;
}

function requiredString(
  object: JsonRecord,
  key: string,
  field: string,
  max = MAX_SHORT_LENGTH,
): string {
  const value = object[key];
  if (typeof value !== "string" || value.trim() === "") {
    throw badUserInput(`${field}.${key}`, "expected a non-empty string.");
  }
  return shortString(value, `${field}.${key}`, max);
}

function optionalString(
  object: JsonRecord,
  key: string,
  field: string,
  max = MAX_SHORT_LENGTH,
): string | undefined {
  const value = object[key];
  if (value === undefined || value === null) {
    return undefined;
  }
  if (typeof value !== "string") {
    throw badUserInput(`${field}.${key}`, "expected a string.");
  }
  return shortString(value, `${field}.${key}`, max);
}

function list(object: JsonRecord, key: string, field: string): unknown[] {
  const value = object[key];
  if (!Array.isArray(value) || value.length === 0 || value.length > MAX_LIST_LENGTH) {
    throw badUserInput(`${field}.${key}`, `expected a list of 1 to ${MAX_LIST_LENGTH} items.`);
  }
  return value;
}

/**
 * Checks that `content` fits the message type (crisp-api.md §4.6) and returns it in Crisp's
 * shape: a string for text and note, an object otherwise. Our output names `pickerId` and
 * `fieldId` are accepted for Crisp's `id`.
 */
export function messageContent(
  type: CrispMessageType,
  content: unknown,
  field = "content",
): CrispMessageContent {
  switch (type) {
    case "text":
    case "note": {
      if (typeof content !== "string" || content.trim() === "") {
        throw badUserInput(field, `a ${type.toUpperCase()} message takes a non-empty string.`);
      }
      return shortString(content, field, MAX_TEXT_LENGTH);
    }
    case "file": {
      const object = record(content, field, "{name, url, type}");
      return {
        name: requiredString(object, "name", field),
        url: url(requiredString(object, "url", field, MAX_URL_LENGTH), `${field}.url`),
        type: requiredString(object, "type", field),
      };
    }
    case "animation": {
      const object = record(content, field, "{url, type}");
      return {
        url: url(requiredString(object, "url", field, MAX_URL_LENGTH), `${field}.url`),
        type: requiredString(object, "type", field),
      };
    }
    case "audio": {
      const object = record(content, field, "{url, type, duration}");
      const duration = object.duration;
      if (
        duration !== undefined &&
        (typeof duration !== "number" || !Number.isInteger(duration) || duration < 0)
      ) {
        throw badUserInput(`${field}.duration`, "expected a whole number of seconds.");
      }
      return {
        url: url(requiredString(object, "url", field, MAX_URL_LENGTH), `${field}.url`),
        type: requiredString(object, "type", field),
        ...(duration === undefined ? {} : { duration }),
      };
    }
    case "picker": {
      const object = record(content, field, "{id, text, choices}");
      const id = typeof object.pickerId === "string" ? object.pickerId : object.id;
      const choices = list(object, "choices", field).map((choice, index) => {
        const at = `${field}.choices[${index}]`;
        const item = record(choice, at, "{value, label, selected}");
        const icon = optionalString(item, "icon", at);
        return {
          value: requiredString(item, "value", at),
          label: requiredString(item, "label", at),
          selected: item.selected === true,
          ...(icon === undefined ? {} : { icon }),
        };
      });
      return {
        id: requiredString({ id }, "id", field),
        text: requiredString(object, "text", field, MAX_TEXT_LENGTH),
        choices,
        ...(typeof object.required === "boolean" ? { required: object.required } : {}),
      };
    }
    case "field": {
      const object = record(content, field, "{id, text, explain}");
      const id = typeof object.fieldId === "string" ? object.fieldId : object.id;
      const explain = optionalString(object, "explain", field, MAX_TEXT_LENGTH);
      const value = optionalString(object, "value", field, MAX_TEXT_LENGTH);
      return {
        id: requiredString({ id }, "id", field),
        text: requiredString(object, "text", field, MAX_TEXT_LENGTH),
        ...(explain === undefined ? {} : { explain }),
        ...(value === undefined ? {} : { value }),
        ...(typeof object.required === "boolean" ? { required: object.required } : {}),
      };
    }
    case "carousel": {
      const object = record(content, field, "{text, targets}");
      const targets = list(object, "targets", field).map((target, index) => {
        const at = `${field}.targets[${index}]`;
        const item = record(target, at, "{title, description, actions}");
        const image = optionalString(item, "image", at, MAX_URL_LENGTH);
        return {
          title: requiredString(item, "title", at),
          description: requiredString(item, "description", at, MAX_TEXT_LENGTH),
          ...(image === undefined ? {} : { image: url(image, `${at}.image`) }),
          actions: list(item, "actions", at).map((action, actionIndex) => {
            const actionAt = `${at}.actions[${actionIndex}]`;
            const entry = record(action, actionAt, "{label, url}");
            return {
              label: requiredString(entry, "label", actionAt),
              url: url(requiredString(entry, "url", actionAt, MAX_URL_LENGTH), `${actionAt}.url`),
            };
          }),
        };
      });
      return { text: requiredString(object, "text", field, MAX_TEXT_LENGTH), targets };
    }
    case "event": {
      const object = record(content, field, "{namespace, text}");
      const text = optionalString(object, "text", field, MAX_TEXT_LENGTH);
      return {
        namespace: requiredString(object, "namespace", field),
        ...(text === undefined ? {} : { text }),
      };
    }
  }
}
