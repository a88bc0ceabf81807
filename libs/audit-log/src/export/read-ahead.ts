/**
 * Iterates `source` while pulling up to `limit` items ahead of the consumer, so a source that
 * waits on I/O now and then (a database page) does so while the consumer works through what
 * was already fetched. At most `limit` items are held; items `keep` refuses are dropped on the
 * way. Errors reach the consumer in order; when the consumer stops early, the source is returned
 * (closed) once its pending pull ends.
 */
export async function* readAhead<T>(
  source: AsyncIterable<T>,
  limit: number,
  keep: (item: T) => boolean = () => true,
): AsyncGenerator<T> {
  const iterator = source[Symbol.asyncIterator]();
  const buffer: T[] = [];
  let head = 0;
  let finished = false;
  let failure: { error: unknown } | undefined;
  let stopped = false;
  let wakeConsumer: (() => void) | undefined;
  let wakeProducer: (() => void) | undefined;

  const producer = (async () => {
    try {
      while (!stopped) {
        if (buffer.length - head >= limit) {
          await new Promise<void>((resolve) => (wakeProducer = resolve));
          continue;
        }
        const result = await iterator.next();
        if (result.done) {
          finished = true;
          break;
        }
        if (!keep(result.value)) continue;
        buffer.push(result.value);
        wakeConsumer?.();
      }
    } catch (error) {
      failure = { error };
    } finally {
      stopped = true;
      wakeConsumer?.();
    }
  })();

  try {
    for (;;) {
      if (head < buffer.length) {
        const item = buffer[head];
        head += 1;
        // Compact now and then instead of shifting on every item.
        if (head >= 1024 && head * 2 >= buffer.length) {
          buffer.splice(0, head);
          head = 0;
        }
        wakeProducer?.();
        yield item;
        continue;
      }
      if (failure) throw failure.error;
      if (stopped) return;
      await new Promise<void>((resolve) => (wakeConsumer = resolve));
      wakeConsumer = undefined;
    }
  } finally {
    stopped = true;
    wakeProducer?.();
    await producer;
    if (!finished && !failure) await iterator.return?.(undefined);
  }
}
