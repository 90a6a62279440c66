import type { ExecutionResult } from "graphql";
import type { Plugin } from "graphql-yoga";
import { type CostReport, type OperationBudget, overBudget } from "../budget.js";
import type { GatewayContext } from "../context.js";
import { isGatewayError } from "../errors.js";
import { estimateCost } from "../schema/cost-estimate.js";

/** What the plugin reads of the context: the operation's budget, and what costs depend on. */
type CostContext = Partial<GatewayContext>;

/** `result` saying what it cost (`extensions.cost`). */
export const withCost = (result: ExecutionResult, cost: CostReport): ExecutionResult => ({
  ...result,
  extensions: { ...result.extensions, cost },
});

/**
 * Estimates every operation's worst-case Crisp requests from its document and variables, from
 * the costs its fields declare (src/schema/cost.ts), before it runs: a query, a mutation, or a
 * subscription (per event). Above `maxCost` it is refused with REQUEST_LIMIT_EXCEEDED and
 * Crisp is never called; arguments a field's own check refuses (`checkArgs`) are refused the
 * same way, with that field's error (BAD_USER_INPUT).
 *
 * Every result then says what it cost, in `extensions.cost`: `{ estimated, crispRequests,
 * cacheHits }` (each subscription event its own). The runtime cap is not the estimate: it is
 * the operation's budget (`maxCost` as well), which the Crisp client charges request by
 * request, retries included, because a retry is a request Crisp counts too.
 */
export function useCostLimit({ maxCost }: { maxCost: number }): Plugin<CostContext> {
  /** Estimates the operation into its budget; the refusal to answer when it is over the limit. */
  const refusalOf = (
    args: Parameters<NonNullable<Plugin<CostContext>["onExecute"]>>[0]["args"],
  ): ExecutionResult | undefined => {
    const context = args.contextValue;
    let estimated: number;
    try {
      estimated = estimateCost(
        args.schema,
        args.document,
        args.operationName,
        args.variableValues,
        isGatewayContext(context) ? context : undefined,
      );
    } catch (error) {
      // A field's argument check refused (src/schema/cost.ts): the answer, before any request.
      if (isGatewayError(error)) {
        return withCost({ errors: [error] }, { estimated: 0, crispRequests: 0, cacheHits: 0 });
      }
      throw error;
    }
    if (context.budget !== undefined) {
      context.budget.estimated = estimated;
    }
    if (estimated <= maxCost) {
      return undefined;
    }
    const error = overBudget(estimated, maxCost, "estimated");
    error.extensions.estimatedCost = estimated;
    error.extensions.maxCost = maxCost;
    return withCost({ errors: [error] }, { estimated, crispRequests: 0, cacheHits: 0 });
  };
  return {
    onExecute({ args, setResultAndStopExecution, executeFn, setExecuteFn }) {
      const refusal = refusalOf(args);
      if (refusal !== undefined) {
        setResultAndStopExecution(refusal);
        return;
      }
      const budget = args.contextValue.budget;
      if (budget !== undefined) {
        // graphql-js answers as soon as a failure reaches a non-null parent, while sibling
        // resolvers may still wait on Crisp. The answer waits for those requests (no new one
        // starts), so it says everything the operation cost and leaves nothing running.
        setExecuteFn(async (execution) => {
          const result = await executeFn(execution);
          if (isAsyncIterable(result)) {
            // An incremental answer (@defer, @stream): the operation lasts until its last part.
            return endWithLastPart(result, budget);
          }
          budget.end();
          await budget.idle();
          return result;
        });
      }
      return {
        onExecuteDone({ result, setResult }) {
          if (budget === undefined) {
            return undefined;
          }
          if (isAsyncIterable(result)) {
            // The last part says what the whole operation cost.
            return {
              onNext({ result: part, setResult: setPart }) {
                if (isFinalPart(part)) {
                  setPart(withCost(part, budget.report()));
                }
              },
            };
          }
          setResult(withCost(result, budget.report()));
          // Resolvers still running were abandoned: they start no new Crisp read.
          budget.end();
          return undefined;
        },
      };
    },
    onSubscribe({ args, setResultAndStopExecution }) {
      const refusal = refusalOf(args);
      if (refusal !== undefined) {
        setResultAndStopExecution(refusal);
        return;
      }
      const budget: OperationBudget | undefined = args.contextValue.budget;
      return {
        onSubscribeResult() {
          return {
            onNext({ result, setResult }) {
              if (budget === undefined) {
                return;
              }
              const shared = result.extensions?.cost as CostReport | undefined;
              if (shared !== undefined) {
                // An execution shared by identical subscriptions reported its own cost.
                budget.countSharedEvent(shared);
                return;
              }
              setResult(withCost(result, budget.report()));
              // This event is answered; the next one starts a budget of its own.
              budget.end();
            },
          };
        },
      };
    },
  };
}

/** A full gateway context (the estimate may read its viewer and configuration). */
function isGatewayContext(context: CostContext): context is GatewayContext {
  return context.gateway !== undefined && context.loaders !== undefined;
}

function isAsyncIterable<T>(value: T | AsyncIterable<T>): value is AsyncIterable<T> {
  return typeof value === "object" && value !== null && Symbol.asyncIterator in value;
}

/** The last part of an incremental answer says `hasNext: false`. */
function isFinalPart(part: ExecutionResult): boolean {
  return (part as { hasNext?: unknown }).hasNext === false;
}

/**
 * Passes an incremental answer's parts through, ending the operation's budget (and waiting for
 * its Crisp requests in flight) before the last one, or when the client stops listening.
 */
async function* endWithLastPart<T extends ExecutionResult>(
  parts: AsyncIterable<T>,
  budget: OperationBudget,
): AsyncGenerator<T> {
  try {
    for await (const part of parts) {
      if (isFinalPart(part)) {
        budget.end();
        await budget.idle();
      }
      yield part;
    }
  } finally {
    budget.end();
  }
}
