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
