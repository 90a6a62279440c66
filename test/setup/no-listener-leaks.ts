/**
 * Fails any test file whose run emits a MaxListenersExceededWarning (issue 12.6): such a
 * warning means listeners pile up on one emitter or signal on a hot path (one abort listener
 * per waiting key, say), which leaks memory and time long before it crashes anything.
 */
import { afterAll, expect } from "vitest";

const seen: string[] = [];
const onWarning = (warning: Error) => {
  if (warning.name === "MaxListenersExceededWarning") {
    seen.push(warning.message);
  }
};
process.on("warning", onWarning);

afterAll(async () => {
  // Node emits warnings on the next tick: let the last ones arrive before looking.
  await new Promise<void>((resolve) => setImmediate(resolve));
  process.off("warning", onWarning);
  expect(seen, "MaxListenersExceededWarning emitted during this file").toEqual([]);
});
