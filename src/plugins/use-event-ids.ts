import type { ExecutionResult } from "graphql";
import type { Plugin } from "graphql-yoga";

/** What the plugin reads of the context: the id of the event a subscription delivers now. */
interface EventIdContext {
  eventId?: string;
}

/**
 * Says which recorded event each subscription result delivers: `extensions.eventId` on every
 * transport, and over Server-Sent Events an `id:` line, so an EventSource that reconnects
 * sends it back as `Last-Event-ID` and resumes with no gap (the context factory reads it).
 *
 * Yoga's SSE writer serialises a result with its own `stringify` when it has one: the id line
 * rides in the same event block, after `data:` (field order within an event is free).
 */
export function useEventIds(): Plugin<EventIdContext> {
  return {
    onSubscribe({ args }) {
      return {
        onSubscribeResult() {
          return {
            onNext({ result, setResult }) {
              const eventId = args.contextValue.eventId;
              if (eventId !== undefined && result.extensions?.eventId === undefined) {
                setResult(withEventId(result, eventId));
              }
            },
          };
        },
      };
    },
  };
}

/** `result` saying which event it delivers, with the SSE `id:` line to write after it. */
export function withEventId(result: ExecutionResult, eventId: string): ExecutionResult {
  const withId: ExecutionResult & { stringify?: (value: unknown) => string } = {
    ...result,
    extensions: { ...result.extensions, eventId },
  };
  // Event ids are digits and a dash: nothing in them can break the SSE framing.
  withId.stringify = (value) => `${JSON.stringify(value)}\nid: ${eventId}`;
  return withId;
}
