/**
 * Waits that their owner can cut short all at once (`wakeAll`), so closing a simulator never
 * leaves a timer behind or a caller waiting for one.
 */
export class Sleeper {
  readonly #wakes = new Set<() => void>();
  readonly #unref: boolean;

  /** @param unref whether a pending wait may let the process exit. @default false */
  constructor({ unref = false }: { unref?: boolean } = {}) {
    this.#unref = unref;
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        this.#wakes.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      if (this.#unref) {
        timer.unref();
      }
      this.#wakes.add(wake);
    });
  }

  /** Ends every pending wait now (each resolves, as if its time had come). */
  wakeAll(): void {
    for (const wake of [...this.#wakes]) {
      wake();
    }
  }
}
