import type { Plugin } from "graphql-yoga";
import { ErrorCode, GatewayError } from "../errors.js";
import { estimateCost } from "../schema/cost.js";

/** Per operation: the Crisp requests it may still send (the runtime cap behind the estimate). */
export interface CrispBudget {
  limit: number;
  spent: number;
}

/** Refusal of an operation over its Crisp budget, before or while it runs. */
export function overBudget(
  estimate: number,
  limit: number,
  when: "estimated" | "spent",
): GatewayError {
  const message =
    when === "estimated"
      ? `This operation could cost up to ${estimate} Crisp requests; the limit is ${limit}. Ask for smaller pages or fewer nested fields.`
      : `This operation needed more than ${limit} Crisp requests, the limit per operation.`;
  return new GatewayError(ErrorCode.REQUEST_LIMIT_EXCEEDED, message, {});
}

/**
 * Estimates each query's and mutation's worst-case Crisp requests from its document and
 * variables before it runs (src/schema/cost.ts), and refuses it above `maxCost` without
 * calling Crisp. The estimate also becomes the operation's runtime budget's ceiling.
 */
export function useCostLimit({ maxCost }: { maxCost: number }): Plugin<{ budget?: CrispBudget }> {
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
