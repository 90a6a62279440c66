import { type Client, createClient } from "graphql-ws";
import { onTestFinished } from "vitest";
import WebSocket from "ws";

/** One result a subscription delivered, as graphql-ws hands it over. */
export interface LiveResult<T = Record<string, unknown>> {
  data?: T | null;
  errors?: { message: string; path?: unknown[]; extensions?: Record<string, unknown> }[];
  extensions?: Record<string, unknown>;
}

/** A real graphql-ws client, disposed after the test. */
export function wsClient(url: string, connectionParams?: Record<string, unknown>): Client {
  const client = createClient({
    url,
    webSocketImpl: WebSocket,
    retryAttempts: 0,
    lazy: true,
    ...(connectionParams === undefined ? {} : { connectionParams }),
  });
  onTestFinished(() => client.dispose());
  return client;
}

/**
 * A subscription whose results are awaited as they come: `take(n)` resolves with the next n
 * results (waiting on the socket, never on time); `ended` once it completed or failed.
 */
export function subscribe<T = Record<string, unknown>>(
  client: Client,
  query: string,
  variables: Record<string, unknown> = {},
) {
  const queue: LiveResult<T>[] = [];
  const waiting: (() => void)[] = [];
  let settle: (outcome: { completed: boolean; error?: unknown }) => void = () => undefined;
  const ended = new Promise<{ completed: boolean; error?: unknown }>((resolve) => {
    settle = resolve;
  });
  let done = false;
  const wake = () => {
    for (const resolve of waiting.splice(0)) {
      resolve();
    }
  };
  const dispose = client.subscribe<T>(
    { query, variables },
    {
      next: (value) => {
        queue.push(value as LiveResult<T>);
        wake();
      },
      error: (error) => {
        done = true;
        settle({ completed: false, error });
        wake();
      },
      complete: () => {
        done = true;
        settle({ completed: true });
        wake();
      },
    },
  );
  onTestFinished(() => dispose());
  return {
    dispose,
    ended,
    /** The next `count` results; rejects if the subscription ends first. */
    async take(count: number): Promise<LiveResult<T>[]> {
      while (queue.length < count) {
        if (done) {
          throw new Error(`the subscription ended after ${queue.length} of ${count} results`);
        }
        await new Promise<void>((resolve) => waiting.push(resolve));
      }
      return queue.splice(0, count);
    },
    /** Results received and not taken yet. */
    pending: () => queue.length,
  };
}
