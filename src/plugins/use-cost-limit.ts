import type { ExecutionResult } from "graphql";
import type { Plugin } from "graphql-yoga";
import { type CostReport, type OperationBudget, overBudget } from "../budget.js";
import type { GatewayContext } from "../context.js";
import { estimateCost } from "../schema/cost.js";

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
 * Crisp is never called.
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
    const estimated = estimateCost(
      args.schema,
      args.document,
      args.operationName,
      args.variableValues,
      isGatewayContext(context) ? context : undefined,
    );
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
          budget.end();
          await budget.idle();
          return result;
        });
      }
      return {
        onExecuteDone({ result, setResult }) {
          if (budget === undefined || Symbol.asyncIterator in result) {
            return;
          }
          setResult(withCost(result, budget.report()));
          // Resolvers still running were abandoned: they start no new Crisp read.
          budget.end();
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
