import { readAhead } from './read-ahead';

async function collect<T>(source: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of source) out.push(item);
  return out;
}

describe('readAhead', () => {
  it('keeps order, drops what `keep` refuses, and ends with the source', async () => {
    async function* numbers() {
      for (let i = 0; i < 5000; i++) yield i;
    }
    const out = await collect(readAhead(numbers(), 100, (n) => n % 3 !== 0));
    expect(out).toEqual(Array.from({ length: 5000 }, (_, i) => i).filter((n) => n % 3 !== 0));
  });

  it('pulls at most `limit` items ahead of the consumer', async () => {
    let produced = 0;
    async function* numbers() {
      for (;;) {
        produced += 1;
        yield produced;
        await Promise.resolve();
      }
    }
    const it = readAhead(numbers(), 10)[Symbol.asyncIterator]();
    expect((await it.next()).value).toBe(1);
    for (let i = 0; i < 50; i++) await new Promise((r) => setImmediate(r));
    // One handed out, ten buffered, one more pulled while waiting for room.
    expect(produced).toBeLessThanOrEqual(12);
    await it.return?.(undefined);
  });

  it('closes the source when the consumer stops early', async () => {
    let closed = false;
    async function* endless() {
      try {
        for (let i = 0; ; i++) yield i;
      } finally {
        closed = true;
      }
    }
    const out: number[] = [];
    for await (const n of readAhead(endless(), 5)) {
      out.push(n);
      if (out.length === 3) break;
    }
    expect(out).toEqual([0, 1, 2]);
    expect(closed).toBe(true);
  });

  it('hands over what came before an error, then the error', async () => {
    async function* failing() {
      yield 1;
      yield 2;
      throw new Error('database went away');
    }
    const out: number[] = [];
    await expect(
      (async () => {
        for await (const n of readAhead(failing(), 10)) out.push(n);
      })(),
    ).rejects.toThrow('database went away');
    expect(out).toEqual([1, 2]);
  });
});
