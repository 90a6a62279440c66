/** Helpers for subscriptions over Server-Sent Events, waiting on signals rather than time. */

/** An event target that says when a subscription starts listening to a website's events. */
export class ListenedTarget extends EventTarget {
  #waiting: (() => void)[] = [];
  #leaving: (() => void)[] = [];

  override addEventListener(...args: Parameters<EventTarget["addEventListener"]>): void {
    super.addEventListener(...args);
    if (args[0].startsWith("crisp:event")) {
      for (const wake of this.#waiting.splice(0)) {
        wake();
      }
    }
  }

  override removeEventListener(...args: Parameters<EventTarget["removeEventListener"]>): void {
    super.removeEventListener(...args);
    if (args[0].startsWith("crisp:event")) {
      for (const wake of this.#leaving.splice(0)) {
        wake();
      }
    }
  }

  /** Resolves when the next subscriber stops listening. */
  nextLeaving(): Promise<void> {
    return new Promise((resolve) => this.#leaving.push(resolve));
  }

  /** Resolves when the next subscriber starts listening. */
  nextListener(): Promise<void> {
    return new Promise((resolve) => this.#waiting.push(resolve));
  }
}

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
