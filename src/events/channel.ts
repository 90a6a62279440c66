/**
 * A bounded queue read as an async iterator, that its reader can leave at any moment: `return()`
 * settles a pending `next()` at once (an async generator would wait for its current `await`),
 * so a subscriber that goes away never leaves a listener behind.
 */
export class Channel<T> implements AsyncIterableIterator<T> {
  readonly #items: T[] = [];
  readonly #capacity: number;
  readonly #onReturn: () => void;
  #waiting: ((step: IteratorResult<T>) => void) | undefined;
  #roomWaiters: (() => void)[] = [];
  #ended = false;
  #returned = false;

  /**
   * @param capacity items held for a slow reader before `push` refuses more.
   * @param onReturn called once when the reader leaves (or the channel ends and is drained).
   */
  constructor(capacity: number, onReturn: () => void = () => undefined) {
    this.#capacity = capacity;
    this.#onReturn = onReturn;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  /** Whether the reader has left or the channel ended. */
  get closed(): boolean {
    return this.#ended || this.#returned;
  }

  /** Items waiting for the reader. */
  get size(): number {
    return this.#items.length;
  }

  /** Whether `push` would refuse an item now. */
  get full(): boolean {
    return this.closed || (this.#waiting === undefined && this.#items.length >= this.#capacity);
  }

  /** Queues `item`; false when it is full or closed (the item is not queued). */
  push(item: T): boolean {
    if (this.closed) {
      return false;
    }
    const waiting = this.#waiting;
    if (waiting !== undefined) {
      this.#waiting = undefined;
      waiting({ done: false, value: item });
      return true;
    }
    if (this.#items.length >= this.#capacity) {
      return false;
    }
    this.#items.push(item);
    return true;
  }

  /** Queues `item` even when full: the last word before `end()`. */
  pushLast(item: T): void {
    if (this.closed) {
      return;
    }
    if (this.#waiting !== undefined) {
      this.push(item);
      return;
    }
    this.#items.push(item);
  }

  /** Resolves once the reader has room again (or left). */
  room(): Promise<void> {
    if (this.#items.length < this.#capacity || this.closed) {
      return Promise.resolve();
    }
    return new Promise((resolve) => this.#roomWaiters.push(resolve));
  }

  /** No more items: the reader gets what is queued, then `done`. */
  end(): void {
    if (this.#ended) {
      return;
    }
    this.#ended = true;
    if (this.#items.length === 0) {
      this.#finish();
    }
  }

  next(): Promise<IteratorResult<T>> {
    const item = this.#items.shift();
    if (item !== undefined) {
      this.#wakeRoom();
      if (this.#ended && this.#items.length === 0) {
        this.#finish();
      }
      return Promise.resolve({ done: false, value: item });
    }
    if (this.closed) {
      this.#finish();
      return Promise.resolve({ done: true, value: undefined });
    }
    return new Promise((resolve) => {
      this.#waiting = resolve;
    });
  }

  return(): Promise<IteratorResult<T>> {
    this.#items.length = 0;
    this.#finish();
    return Promise.resolve({ done: true, value: undefined });
  }

  #wakeRoom(): void {
    if (this.#items.length < this.#capacity) {
      for (const wake of this.#roomWaiters.splice(0)) {
        wake();
      }
    }
  }

  #finish(): void {
    if (this.#returned) {
      return;
    }
    this.#returned = true;
    const waiting = this.#waiting;
    this.#waiting = undefined;
    waiting?.({ done: true, value: undefined });
    for (const wake of this.#roomWaiters.splice(0)) {
      wake();
    }
    this.#onReturn();
  }
}
