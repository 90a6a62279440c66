import { onTestFinished } from "vitest";
import { getCurrentTest } from "vitest/suite";

/**
 * Cleanups of what a helper started, for wherever it is called: vitest silently drops an
 * `afterAll` registered inside a test or a `beforeAll` (the hook is collected, never run), so a
 * helper that used one leaked its gateway, simulator or client for the rest of the worker (test
 * files share one: `isolate: false`).
 */
const afterFile: (() => unknown)[] = [];

/** Runs `cleanup` after the current test when called inside one, else after the file. */
export function afterThis(cleanup: () => unknown): void {
  if (getCurrentTest() === undefined) {
    afterFile.push(cleanup);
  } else {
    onTestFinished(async () => {
      await cleanup();
    });
  }
}

/**
 * The file's pending cleanups, last registered first (as vitest runs its own after-hooks);
 * each runs even if one before it failed. Called by the setup file's `afterAll`.
 */
export async function runFileCleanups(): Promise<void> {
  const failures: unknown[] = [];
  for (let cleanup = afterFile.pop(); cleanup !== undefined; cleanup = afterFile.pop()) {
    try {
      await cleanup();
    } catch (error) {
      failures.push(error);
    }
  }
  if (failures.length > 0) {
    throw new AggregateError(failures, "a cleanup after the file failed");
  }
}
