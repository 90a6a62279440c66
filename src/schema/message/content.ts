import type {
  CrispAnimationContent,
  CrispAudioContent,
  CrispCarouselContent,
  CrispEventContent,
  CrispFieldContent,
  CrispFileContent,
  CrispMessage,
  CrispMessageContent,
  CrispPickerContent,
} from "../../crisp/types.js";
import { builder } from "../builder.js";

/**
 * A message's content, shaped by its type: Crisp's `content` is a string for text and notes and
 * an object for every other type. No Crisp request: the content comes with its message.
 */

/** Union members carry their Crisp type so `resolveType` needs no guessing. */
type Tagged<K extends string, T> = T & { kind: K };
type ContentShape =
  | Tagged<"text", { text: string }>
  | Tagged<"file", CrispFileContent>
  | Tagged<"animation", CrispAnimationContent>
  | Tagged<"audio", CrispAudioContent>
  | Tagged<"picker", CrispPickerContent>
  | Tagged<"field", CrispFieldContent>
  | Tagged<"carousel", CrispCarouselContent>
  | Tagged<"event", CrispEventContent>;

const asObject = (content: CrispMessageContent): Record<string, unknown> =>
  typeof content === "object" && content !== null
    ? (content as unknown as Record<string, unknown>)
    : {};
const str = (value: unknown): string => (typeof value === "string" ? value : "");

/**
 * Crisp's `content` is a string for text and note and an object otherwise. A payload that
 * does not match its type still renders (empty strings) rather than failing the whole list.
 */
export function toContent(message: CrispMessage): ContentShape {
  const { type, content } = message;
  const object = asObject(content);
  switch (type) {
    case "text":
    case "note":
      return { kind: "text", text: typeof content === "string" ? content : str(object.text) };
    case "file":
      return { kind: "file", name: str(object.name), url: str(object.url), type: str(object.type) };
    case "animation":
      return { kind: "animation", url: str(object.url), type: str(object.type) };
    case "audio":
      return {
        kind: "audio",
        url: str(object.url),
        type: str(object.type),
        duration: typeof object.duration === "number" ? object.duration : undefined,
      };
    case "picker":
      return { kind: "picker", ...(object as unknown as CrispPickerContent) };
    case "field":
      return { kind: "field", ...(object as unknown as CrispFieldContent) };
    case "carousel":
      return { kind: "carousel", ...(object as unknown as CrispCarouselContent) };
    case "event":
      return {
        kind: "event",
        namespace: str(object.namespace),
        text: str(object.text) || undefined,
      };
    default:
      return { kind: "text", text: typeof content === "string" ? content : "" };
  }
}

/** A plain-text rendering of any content, for lists and notifications. */
export function messageText(message: CrispMessage): string | null {
  const content = toContent(message);
  switch (content.kind) {
    case "text":
      return content.text;
    case "file":
      return content.name || content.url;
    case "animation":
    case "audio":
      return content.url;
    case "picker":
    case "field":
    case "carousel":
      return str(content.text) || null;
    case "event":
      return content.text ?? content.namespace;
  }
}

const TextContent = builder
  .objectRef<Extract<ContentShape, { kind: "text" }>>("TextContent")
  .implement({
    description: "Content of TEXT and NOTE messages.",
    fields: (t) => ({ text: t.exposeString("text") }),
  });
const FileContent = builder
  .objectRef<Extract<ContentShape, { kind: "file" }>>("FileContent")
  .implement({
    description: "A file: its name, URL and MIME type.",
    fields: (t) => ({
      name: t.exposeString("name"),
      url: t.exposeString("url"),
      type: t.exposeString("type"),
    }),
  });
const AnimationContent = builder
  .objectRef<Extract<ContentShape, { kind: "animation" }>>("AnimationContent")
  .implement({
    description: "An animated image.",
    fields: (t) => ({ url: t.exposeString("url"), type: t.exposeString("type") }),
  });
const AudioContent = builder
  .objectRef<Extract<ContentShape, { kind: "audio" }>>("AudioContent")
  .implement({
    description: "A voice message.",
    fields: (t) => ({
      url: t.exposeString("url"),
      type: t.exposeString("type"),
      duration: t.int({
        nullable: true,
        description: "Seconds.",
        resolve: (c) => c.duration ?? null,
      }),
    }),
  });
const PickerChoice = builder
  .objectRef<CrispPickerContent["choices"][number]>("PickerChoice")
  .implement({
    description: "One choice of a picker.",
    fields: (t) => ({
      value: t.string({ resolve: (c) => str(c.value) }),
      label: t.string({ resolve: (c) => str(c.label) }),
      selected: t.boolean({ resolve: (c) => c.selected === true }),
      icon: t.string({ nullable: true, resolve: (c) => c.icon ?? null }),
    }),
  });
const PickerContent = builder
  .objectRef<Extract<ContentShape, { kind: "picker" }>>("PickerContent")
  .implement({
    description: "A question with choices.",
    fields: (t) => ({
      pickerId: t.string({ description: "Crisp's picker `id`.", resolve: (c) => str(c.id) }),
      text: t.string({ resolve: (c) => str(c.text) }),
      choices: t.field({
        type: [PickerChoice],
        resolve: (c) => (Array.isArray(c.choices) ? c.choices : []),
      }),
      required: t.boolean({ nullable: true, resolve: (c) => c.required ?? null }),
    }),
  });
const FieldContent = builder
  .objectRef<Extract<ContentShape, { kind: "field" }>>("FieldContent")
  .implement({
    description: "A form field asked of the visitor.",
    fields: (t) => ({
      fieldId: t.string({ description: "Crisp's field `id`.", resolve: (c) => str(c.id) }),
      text: t.string({ resolve: (c) => str(c.text) }),
      explain: t.string({ nullable: true, resolve: (c) => c.explain ?? null }),
      value: t.string({ nullable: true, resolve: (c) => c.value ?? null }),
      required: t.boolean({ nullable: true, resolve: (c) => c.required ?? null }),
    }),
  });
const CarouselAction = builder
  .objectRef<{ label: string; url: string }>("CarouselAction")
  .implement({
    description: "A button of a carousel card.",
    fields: (t) => ({
      label: t.string({ resolve: (a) => str(a.label) }),
      url: t.string({ resolve: (a) => str(a.url) }),
    }),
  });
const CarouselTarget = builder
  .objectRef<CrispCarouselContent["targets"][number]>("CarouselTarget")
  .implement({
    description: "One card of a carousel.",
    fields: (t) => ({
      title: t.string({ resolve: (c) => str(c.title) }),
      description: t.string({ resolve: (c) => str(c.description) }),
      image: t.string({ nullable: true, resolve: (c) => c.image ?? null }),
      actions: t.field({
        type: [CarouselAction],
        resolve: (c) => (Array.isArray(c.actions) ? c.actions : []),
      }),
    }),
  });
const CarouselContent = builder
  .objectRef<Extract<ContentShape, { kind: "carousel" }>>("CarouselContent")
  .implement({
    description: "Cards the visitor can scroll through.",
    fields: (t) => ({
      text: t.string({ resolve: (c) => str(c.text) }),
      targets: t.field({
        type: [CarouselTarget],
        resolve: (c) => (Array.isArray(c.targets) ? c.targets : []),
      }),
    }),
  });
const EventContent = builder
  .objectRef<Extract<ContentShape, { kind: "event" }>>("EventContent")
  .implement({
    description: "A system event shown in the conversation.",
    fields: (t) => ({
      namespace: t.exposeString("namespace"),
      // Non-null like every other member's `text`, so one selection of `text` across the
      // union validates (fields of the same response name must have the same type). The
      // released schema had it nullable: making an output non-null breaks no client.
      text: t.string({
        description: "The event's text; empty when Crisp sent none.",
        resolve: (c) => c.text ?? "",
      }),
    }),
  });

const MEMBERS = {
  text: TextContent,
  file: FileContent,
  animation: AnimationContent,
  audio: AudioContent,
  picker: PickerContent,
  field: FieldContent,
  carousel: CarouselContent,
  event: EventContent,
} as const;

export const MessageContent = builder.unionType("MessageContent", {
  description: "A message's content, shaped by its type (TEXT and NOTE are both TextContent).",
  types: Object.values(MEMBERS),
  resolveType: (content) => MEMBERS[content.kind],
});
