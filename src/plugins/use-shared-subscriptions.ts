import { type DocumentNode, type ExecutionResult, print } from "graphql";
import type { Plugin } from "graphql-yoga";
import { viewerKey } from "../auth.js";
import type { GatewayContext } from "../context.js";
import { ErrorCode, GatewayError } from "../errors.js";
import { Channel } from "../events/channel.js";
import { MAX_PENDING_EVENTS } from "../events/live.js";
import { withCost } from "./use-cost-limit.js";
import { withEventId } from "./use-event-ids.js";

/**
 * Identical subscriptions (same document, operation, variables, viewer, and where they resume
 * from) share one execution per event: a thousand dashboards watching the same website cost
 * one execution of each event, whose result is handed to each of them. Every subscriber still
 * goes through every other plugin on its own (limits, the cost estimate, counting, drain, the
 * access log); only the execution is shared, in a context of its own that lives as long as
 * one subscriber does (src/context.ts `createContextForker`).
 *
 * Innermost of the plugins: it replaces the subscribe function itself.
 */
export function useSharedSubscriptions({
  fork,
  onExecutions = () => undefined,
}: {
  /** A context for the same viewer, bound to the shared execution's own signal. */
  fork: (from: GatewayContext, signal: AbortSignal) => GatewayContext;
  /** Told how many shared executions run now, when it changes (a metric). @default none */
  onExecutions?: (running: number) => void;
}): Plugin<Partial<GatewayContext>> {
  const groups = new Map<string, Group>();
  let running = 0;
  const started = () => onExecutions(++running);
  const stopped = () => onExecutions(--running);
  const printed = new WeakMap<DocumentNode, string>();
  const keyOf = (
    document: DocumentNode,
    operationName: string | null | undefined,
    variables: unknown,
    context: GatewayContext,
  ) => {
    let text = printed.get(document);
    if (text === undefined) {
      text = print(document);
      printed.set(document, text);
    }
    return JSON.stringify([
      viewerKey(context.viewer),
      context.lastEventId,
      operationName ?? null,
      variables ?? null,
      text,
    ]);
  };
  return {
    onSubscribe({ args, subscribeFn, setSubscribeFn }) {
      const context = args.contextValue;
      if (!isGatewayContext(context)) {
        return;
      }
      const key = keyOf(args.document, args.operationName, args.variableValues, context);
      setSubscribeFn(async (subscribeArgs) => {
        let group = groups.get(key);
        if (group === undefined) {
          const controller = new AbortController();
          const shared = fork(context, controller.signal);
          shared.budget.estimated = context.budget.estimated;
          const created: Group = {
            consumers: new Set(),
            controller,
            source: undefined,
            started: Promise.resolve(subscribeFn({ ...subscribeArgs, contextValue: shared })),
          };
          group = created;
          groups.set(key, created);
          created.started.then(
            (result) => {
              if (isAsyncIterable(result)) {
                created.source = result[Symbol.asyncIterator]();
                started();
                void pump(
                  created,
                  shared,
                  () => groups.get(key) === created && groups.delete(key),
                ).finally(stopped);
              } else if (groups.get(key) === created) {
                // Refused before it started (a bad argument): nothing to share later.
                groups.delete(key);
              }
            },
            () => {
              if (groups.get(key) === created) {
                groups.delete(key);
              }
            },
          );
        }
        const result = await group.started;
        if (!isAsyncIterable(result)) {
          return result;
        }
        return join(group, () => {
          if (groups.get(key) === group) {
            groups.delete(key);
          }
        });
      });
    },
  };
}

interface Group {
  consumers: Set<Channel<ExecutionResult>>;
  controller: AbortController;
  source: AsyncIterator<ExecutionResult> | undefined;
  started: Promise<ExecutionResult | AsyncIterable<ExecutionResult>>;
}

/** A subscriber of the group: its own queue, leaving the group when it goes. */
function join(group: Group, forget: () => void): AsyncIterableIterator<ExecutionResult> {
  const channel: Channel<ExecutionResult> = new Channel(MAX_PENDING_EVENTS, () => {
    group.consumers.delete(channel);
    if (group.consumers.size === 0) {
      // The last subscriber left: stop the shared execution.
      forget();
      group.controller.abort();
      Promise.resolve(group.source?.return?.()).catch(() => undefined);
    }
  });
  group.consumers.add(channel);
  return channel;
}

/** Runs the shared execution, handing each result, with its cost and event id, to each subscriber. */
async function pump(group: Group, shared: GatewayContext, forget: () => void): Promise<void> {
  const source = group.source;
  if (source === undefined) {
    return;
  }
  /** The last event every subscriber was handed: where one that fell behind resumes. */
  let lastEventId: string | undefined;
  try {
    for (;;) {
      const consumers = [...group.consumers];
      if (consumers.length > 0 && consumers.every((consumer) => consumer.full)) {
        // Nobody can take more (one resuming subscriber reading its replay): wait for the
        // first that can, so the replay goes at the reader's pace. A subscriber slower than
        // the others never holds them back: it is ended below.
        await Promise.race(consumers.map((consumer) => consumer.room()));
      }
      const step = await source.next();
      if (step.done) {
        break;
      }
      let result = withCost(step.value, shared.budget.report());
      // This event is answered; the next one starts a budget of its own.
      shared.budget.end();
      if (shared.eventId !== undefined) {
        result = withEventId(result, shared.eventId);
      }
      for (const consumer of group.consumers) {
        if (!consumer.push(result)) {
          consumer.pushLast(tooSlow(lastEventId));
          consumer.end();
        }
      }
      lastEventId = shared.eventId;
    }
  } catch {
    // The execution failed as a whole (graphql-js reports field errors in results): its
    // subscribers end as if it completed.
  } finally {
    forget();
    for (const consumer of [...group.consumers]) {
      consumer.end();
    }
  }
}

/** What a subscriber that cannot keep up gets last. */
function tooSlow(lastEventId: string | undefined): ExecutionResult {
  const error = new GatewayError(
    ErrorCode.REQUEST_LIMIT_EXCEEDED,
    `This subscription fell more than ${MAX_PENDING_EVENTS} events behind and was ended: subscribe again with after to resume.`,
  );
  error.extensions.resumeAfter = lastEventId ?? null;
  return { errors: [error] };
}

function isGatewayContext(context: Partial<GatewayContext>): context is GatewayContext {
  return (
    context.viewer !== undefined && context.budget !== undefined && context.loaders !== undefined
  );
}

function isAsyncIterable(value: unknown): value is AsyncIterable<ExecutionResult> {
  return typeof value === "object" && value !== null && Symbol.asyncIterator in value;
}
