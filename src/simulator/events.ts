/**
 * The events write routes cause, for whoever listens (the web hook sender in `hooks.ts`,
 * tests). A tiny typed listener set rather than an `EventEmitter`: one event kind, typed, and
 * no `error`-event special case to trip over.
 */

import type { SimulatorEvent, SimulatorEventListener } from "./types.js";

export class SimulatorEventHub {
  readonly #listeners = new Set<SimulatorEventListener>();

  /** Calls `listener` for every later event; returns the function that stops it. */
  on(listener: SimulatorEventListener): () => void {
    // A wrapper per call, so the same function registered twice is called twice.
    const entry: SimulatorEventListener = (event) => listener(event);
    this.#listeners.add(entry);
    return () => {
      this.#listeners.delete(entry);
    };
  }

  /**
   * Delivers `event` synchronously, after the write and before its HTTP answer. A listener
   * that throws must not turn a write that happened into a failed request, so its error is
   * reported as a process warning instead.
   */
  emit(event: SimulatorEvent): void {
    for (const listener of [...this.#listeners]) {
      try {
        listener(event);
      } catch (error) {
        process.emitWarning(
          `A simulator event listener threw on ${event.event}: ${String(error)}`,
          "SimulatorEventListenerWarning",
        );
      }
    }
  }
}
