import type { UpstreamGuard } from "../crisp/upstream-guard.js";

/** Why this instance should not get traffic now, by the part that is failing. */
export interface ReadinessProblem {
  component: "crisp" | "redis" | "gateway";
  reason: string;
}

/** One readiness check: a problem, or undefined when its part is usable. */
export type ReadinessCheck = () =>
  | ReadinessProblem
  | undefined
  | Promise<ReadinessProblem | undefined>;

/** What GET /ready answers: 200 `{ ready: true }`, or 503 with every problem found. */
export interface Readiness {
  ready: boolean;
  problems: ReadinessProblem[];
}

/**
 * Runs every check at once; a check that throws or takes longer than `timeoutMs` (a Redis
 * command stuck behind reconnects) is itself a problem, so /ready always answers quickly.
 */
export async function checkReadiness(
  checks: readonly ReadinessCheck[],
  timeoutMs: number,
): Promise<Readiness> {
  const problems = await Promise.all(
    checks.map(async (check): Promise<ReadinessProblem | undefined> => {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<ReadinessProblem>((resolve) => {
        timer = setTimeout(
          () => resolve({ component: "gateway", reason: `A check took over ${timeoutMs} ms.` }),
          timeoutMs,
        );
      });
      try {
        return await Promise.race([check(), late]);
      } catch {
        // The error may name hosts; readiness answers say what is wrong, not where.
        return { component: "gateway", reason: "A check failed." };
      } finally {
        clearTimeout(timer);
      }
    }),
  );
  const found = problems.filter((problem) => problem !== undefined);
  return { ready: found.length === 0, problems: found };
}

/** Crisp is usable unless the breaker is open or the backoff (or a spent quota) lasts long. */
export async function crispReadiness(
  guard: UpstreamGuard,
  maxBackoffMs: number,
): Promise<ReadinessProblem | undefined> {
  if (guard.breakerOpen) {
    return {
      component: "crisp",
      reason: "Crisp is failing: the circuit breaker is open until a probe succeeds.",
    };
  }
  const until = await guard.rateLimitedUntil();
  if (until !== null && until.getTime() - Date.now() > maxBackoffMs) {
    return {
      component: "crisp",
      reason: `Crisp is throttling the gateway or its daily quota is spent, until ${until.toISOString()}.`,
    };
  }
  return undefined;
}
