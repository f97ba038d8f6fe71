/**
 * Running many small I/O tasks with at most `limit` in flight, pulling work lazily from an iterable so that a
 * long list (10,000 objects) is never turned into 10,000 pending promises at once.
 */
import { interruptedError } from './errors.js';

export async function forEachConcurrently<T>(
  items: Iterable<T> | AsyncIterable<T>,
  limit: number,
  task: (item: T) => Promise<void>,
  signal?: AbortSignal,
): Promise<void> {
  const iterator =
    Symbol.asyncIterator in items
      ? (items as AsyncIterable<T>)[Symbol.asyncIterator]()
      : (items as Iterable<T>)[Symbol.iterator]();
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    for (;;) {
      if (failure || signal?.aborted) return;
      const next = await iterator.next();
      if (next.done) return;
      try {
        await task(next.value);
      } catch (error) {
        failure ??= { error };
        return;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, limit) }, worker));
  if (failure) throw failure.error;
  // Stopping early must not look like having done everything: callers would record work that never ran.
  if (signal?.aborted) throw interruptedError();
}
