/** A count others can wait on. */
export class Tally {
  #value = 0;
  #waiters: { count: number; wake: () => void }[] = [];

  change(by: number): void {
    this.#value += by;
    this.#waiters = this.#waiters.filter((waiter) => {
      if (waiter.count === this.#value) {
        waiter.wake();
        return false;
      }
      return true;
    });
  }

  reached(count: number): Promise<void> {
    return count === this.#value
      ? Promise.resolve()
      : new Promise((wake) => this.#waiters.push({ count, wake }));
  }
}
