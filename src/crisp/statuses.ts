/**
 * Crisp's HTTP statuses that mean more than their class (crisp-api.md §3 and §4.6), named once
 * so the client, the guard, the error mapping and the metrics agree on them.
 */

/** Crisp's throttling answers: "429 Too Many Requests or 420 Enhance Your Calm" (crisp-api.md §3). */
export const CRISP_THROTTLE_STATUSES: ReadonlySet<number> = new Set([429, 420]);

/** 423 Locked: with reason `quota_limit_exceeded`, the token's daily quota is spent. */
export const CRISP_LOCKED_STATUS = 423;

/** The `reason` Crisp gives with a 423 when the daily quota is spent. */
export const CRISP_QUOTA_REASON = "quota_limit_exceeded";

/** Whether Crisp asked the gateway to slow down. */
export function isThrottleStatus(status: number): boolean {
  return CRISP_THROTTLE_STATUSES.has(status);
}

/**
 * 206 Partial Content on a message list: older messages exist before this batch; 200 means the
 * batch reaches the start of the conversation (crisp-api.md §4.6, ruby-crisp-api#16).
 */
export const CRISP_MORE_MESSAGES_STATUS = 206;
