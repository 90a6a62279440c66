/** Helpers for subscriptions over Server-Sent Events, waiting on signals rather than time. */

/** One result of a subscription, as an SSE `next` event carries it. */
export interface StreamedResult {
  data?: Record<string, Record<string, unknown> | null> | null;
  errors?: unknown[];
  extensions?: Record<string, unknown>;
}

/**
 * The `next` events of a Server-Sent Events stream, parsed, as they arrive. Yoga opens the
 * stream with a comment; reading past it is what starts the subscription.
 */
export async function* readEvents(
  reader: ReadableStreamDefaultReader<Uint8Array>,
): AsyncGenerator<StreamedResult> {
  const decoder = new TextDecoder();
  let buffered = "";
  for (;;) {
    const { done, value } = await reader.read();
    if (done) {
      return;
    }
    buffered += decoder.decode(value, { stream: true });
    let end = buffered.indexOf("\n\n");
    while (end >= 0) {
      const block = buffered.slice(0, end);
      buffered = buffered.slice(end + 2);
      const data = block
        .split("\n")
        .find((line) => line.startsWith("data: "))
        ?.slice("data: ".length);
      if (block.startsWith("event: next") && data !== undefined) {
        yield JSON.parse(data) as StreamedResult;
      }
      end = buffered.indexOf("\n\n");
    }
  }
}

/** The text of a Server-Sent Events body as it arrives. */
export interface SseText {
  /** Reads on until `pattern` matches all that came so far (or the stream ends); returns it. */
  until(pattern: RegExp): Promise<string>;
  /** Leaves as a client does: cancels the body (the server then ends the subscription). */
  cancel(): void;
}

export function sseText(response: Response): SseText {
  const reader = response.body?.getReader();
  const decoder = new TextDecoder();
  let text = "";
  return {
    async until(pattern) {
      while (reader !== undefined && !pattern.test(text)) {
        const { done, value } = await reader.read();
        if (done) {
          break;
        }
        text += decoder.decode(value, { stream: true });
      }
      return text;
    },
    cancel() {
      void reader?.cancel();
    },
  };
}
