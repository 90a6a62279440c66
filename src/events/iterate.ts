/**
 * `source`, each item turned into zero or one value by `step` (undefined skips it; `done`
 * ends the stream after that value). Unlike an async generator, `return()` reaches `source`
 * at once, even while a `next()` is pending, so a subscriber leaving never waits for the next
 * event to let go of its registration.
 */
export function mapItems<T, U>(
  source: AsyncIterator<T>,
  step: (item: T) => Promise<StepResult<U>> | StepResult<U>,
): AsyncIterableIterator<U> {
  let finished = false;
  const finish = async (): Promise<IteratorReturnResult<undefined>> => {
    if (!finished) {
      finished = true;
      await source.return?.();
    }
    return { done: true, value: undefined };
  };
  const iterator: AsyncIterableIterator<U> = {
    [Symbol.asyncIterator]: () => iterator,
    async next() {
      while (!finished) {
        const item = await source.next();
        if (item.done || finished) {
          return finish();
        }
        const result = await step(item.value);
        if (result === undefined) {
          continue;
        }
        if (result.last === true) {
          await finish();
        }
        return { done: false, value: result.value };
      }
      return { done: true, value: undefined };
    },
    return: finish,
    async throw(error: unknown) {
      await finish();
      throw error;
    },
  };
  return iterator;
}

/** One value, or nothing (undefined); `last` ends the stream after it. */
export type StepResult<U> = { value: U; last?: boolean } | undefined;
