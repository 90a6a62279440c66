import { ErrorCode, GatewayError } from "../errors.js";

/**
 * Creation routes answer the new object's id (`session_id`, `people_id`, `website_id`,
 * `fingerprint`). Without it the gateway cannot show what was created: say so plainly.
 */
export function requireAnsweredId<T extends string | number>(
  value: T | undefined | null,
  name: string,
): T {
  if (value === undefined || value === null || value === "") {
    throw new GatewayError(
      ErrorCode.UPSTREAM_UNAVAILABLE,
      `Crisp accepted the change but did not answer its ${name}.`,
    );
  }
  return value;
}
