import type { Plugin } from "graphql-yoga";
import { type OperationBudget, overBudget } from "../budget.js";
import { estimateCost } from "../schema/cost.js";

/**
 * Estimates each query's and mutation's worst-case Crisp requests from its document and
 * variables before it runs (src/schema/cost.ts), and refuses it above `maxCost` without
 * calling Crisp. The estimate also becomes the operation's runtime budget's ceiling.
 */
export function useCostLimit({
  maxCost,
}: {
  maxCost: number;
}): Plugin<{ budget?: OperationBudget }> {
  return {
    onExecute({ args, setResultAndStopExecution }) {
      const estimate = estimateCost(
        args.schema,
        args.document,
        args.operationName,
        args.variableValues,
      );
      if (estimate > maxCost) {
        const error = overBudget(estimate, maxCost, "estimated");
        error.extensions.estimatedCost = estimate;
        error.extensions.maxCost = maxCost;
        setResultAndStopExecution({ errors: [error] });
      }
    },
  };
}
