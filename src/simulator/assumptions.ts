/**
 * What the simulator assumes where Crisp documents nothing. Each value is cited from
 * `../shared/crisp-api.md` with its confidence tag.
 */
export const DEFAULT_ASSUMPTIONS = {
  /**
   * Items a page of the lists that take no `per_page`: visitors (§4.8), plugin websites
   * (§4.2), a person's conversations (§4.7). "not documented" (§8) [I].
   */
  pageSize: 20,
  /** Messages a `/messages` batch: the official export plugin goes on while 40 come (§4.6 [V EXPORT]). */
  messagesBatch: 40,
} as const;
