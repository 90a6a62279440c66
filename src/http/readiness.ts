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
