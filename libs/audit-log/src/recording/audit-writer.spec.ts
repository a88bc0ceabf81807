import { Logger } from '@nestjs/common';
import { AuditEvent } from '../event/audit-event.interface';
import { AuditWriteError } from '../exceptions/audit-write.exception';
import { PreparedEvent } from '../store/event-row';
import { EventStore, wasFoundStored } from '../store/event-store';
import { AuditWriter, AuditWriterOptions } from './audit-writer';

// The writer's scheduling against a store whose writes the test settles by hand. What the store
// does with a batch is covered against real databases in test/recording.

interface Call {
  ids: string[];
  mayBeStored: boolean;
  resolve(): void;
  reject(err: Error): void;
}

class ScriptedStore {
  readonly calls: Call[] = [];

  write(events: PreparedEvent[], options: { mayBeStored?: boolean } = {}): Promise<AuditEvent[]> {
    return new Promise((resolve, reject) => {
      this.calls.push({
        ids: events.map((e) => e.id),
        mayBeStored: options.mayBeStored ?? false,
        resolve: () => resolve(events.map((e, i) => ({ id: e.id, seq: i + 1 }) as AuditEvent)),
        reject,
      });
    });
  }
}

const event = (id: string) => ({ id, orgId: 'org-1' }) as PreparedEvent;
const tick = () => new Promise((r) => setImmediate(r));

function writer(options: Partial<AuditWriterOptions> = {}) {
  const store = new ScriptedStore();
  const w = new AuditWriter(store as unknown as EventStore, {
    policy: 'fail-closed',
    maxBatchSize: 500,
    maxBufferSize: 10_000,
    concurrency: 2,
    retryBaseMs: 5,
    retryMaxMs: 20,
    shutdownTimeoutMs: 1_000,
    ...options,
  });
  return { store, w };
}

describe('AuditWriter', () => {
  let errors: jest.SpyInstance;
  beforeAll(() => {
    errors = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
  });
  afterAll(() => jest.restoreAllMocks());

  it('shares waiting events out between its free slots, in arrival order', async () => {
    const { store, w } = writer();
    const ids = Array.from({ length: 64 }, (_, i) => `e${i}`);
    const done = ids.map((id) => w.enqueue(event(id)));
    await tick();
    expect(store.calls.map((c) => c.ids)).toEqual([ids.slice(0, 32), ids.slice(32)]);

    // A third batch waits for a free slot, then takes everything that arrived meanwhile.
    const late = ['l1', 'l2', 'l3'].map((id) => w.enqueue(event(id)));
    await tick();
    expect(store.calls).toHaveLength(2);
    store.calls[1].resolve();
    await Promise.all(done.slice(32));
    await tick();
    expect(store.calls[2].ids).toEqual(['l1', 'l2', 'l3']);
    store.calls[0].resolve();
    store.calls[2].resolve();
    await Promise.all([...done, ...late]);
    expect(w.pending).toBe(0);
  });

  it('never has more batches in flight than its concurrency, nor more events than maxBatchSize', async () => {
    const { store, w } = writer({ concurrency: 1, maxBatchSize: 10 });
    const done = Array.from({ length: 25 }, (_, i) => w.enqueue(event(`e${i}`)));
    for (const [i, size] of [10, 10, 5].entries()) {
      await tick();
      // The next batch starts only once the one before it has settled.
      expect(store.calls).toHaveLength(i + 1);
      expect(store.calls[i].ids).toHaveLength(size);
      store.calls[i].resolve();
    }
    await Promise.all(done);
    expect(store.calls).toHaveLength(3);
  });

  it('fail-closed: rejects the callers of the failed batch only', async () => {
    const { store, w } = writer();
    const ok = ['a', 'b'].map((id) => w.enqueue(event(id)));
    await tick();
    const failed = ['c', 'd'].map((id) => w.enqueue(event(id)).catch((e: Error) => e));
    await tick();
    expect(store.calls.map((c) => c.ids)).toEqual([['a'], ['b']]);
    store.calls[0].resolve();
    await ok[0];
    await tick();
    expect(store.calls[2].ids).toEqual(['c', 'd']);
    store.calls[2].reject(new Error('connection lost'));
    store.calls[1].resolve();
    expect(await ok[1]).toMatchObject({ id: 'b' });
    for (const r of await Promise.all(failed)) {
      expect(r).toBeInstanceOf(AuditWriteError);
      expect((r as AuditWriteError).buffered).toBe(false);
    }
  });

  it('fail-open: puts a failed batch back in its place and retries it as maybe stored', async () => {
    const { store, w } = writer({ policy: 'fail-open', concurrency: 2 });
    const settled = ['a', 'b', 'c', 'd'].map((id) => w.enqueue(event(id)).catch((e: Error) => e));
    await tick();
    expect(store.calls.map((c) => c.ids)).toEqual([
      ['a', 'b'],
      ['c', 'd'],
    ]);
    store.calls[0].reject(new Error('lost the COMMIT answer'));
    store.calls[1].reject(new Error('lost the COMMIT answer'));
    const told = await Promise.all(settled);
    expect(told.every((e) => e instanceof AuditWriteError && e.buffered)).toBe(true);
    expect(w.pending).toBe(4);

    await new Promise((r) => setTimeout(r, 40));
    const retry = store.calls.slice(2);
    expect(retry.map((c) => c.ids).flat()).toEqual(['a', 'b', 'c', 'd']);
    expect(retry.every((c) => c.mayBeStored)).toBe(true);
    retry.forEach((c) => c.resolve());
    await w.flush();
    expect(w.pending).toBe(0);
  });

  it('flush waits for every batch in flight', async () => {
    const { store, w } = writer();
    const done = ['a', 'b'].map((id) => w.enqueue(event(id)));
    await tick();
    let flushed = false;
    const flushing = w.flush().then(() => (flushed = true));
    store.calls[0].resolve();
    await done[0];
    await tick();
    expect(flushed).toBe(false);
    store.calls[1].resolve();
    await flushing;
    expect(flushed).toBe(true);
  });

  it('refuses new events once the buffer is full, counting those in flight', async () => {
    const { store, w } = writer({ maxBufferSize: 3 });
    const accepted = ['a', 'b', 'c'].map((id) => w.enqueue(event(id)));
    await tick();
    await expect(w.enqueue(event('d'))).rejects.toThrow(/buffer/i);
    store.calls.forEach((c) => c.resolve());
    await Promise.all(accepted);
  });

  it('at shutdown, tells events still in flight (outcome unknown) from those never written', async () => {
    const { store, w } = writer({ concurrency: 1, shutdownTimeoutMs: 50 });
    const settled = ['flying-1', 'flying-2'].map((id) =>
      w.enqueue(event(id)).catch((e: Error) => e),
    );
    await tick();
    expect(store.calls.map((c) => c.ids)).toEqual([['flying-1', 'flying-2']]);
    const more = w.enqueue(event('queued')).catch((e: Error) => e);
    errors.mockClear();
    await w.close();
    expect(errors).toHaveBeenCalledWith(
      expect.stringMatching(
        /^Shut down with 3 audit event\(s\) still unwritten: 1 were NOT stored; 2 were sent without an answer .*\(ids: flying-1, flying-2\)/,
      ),
    );
    for (const r of await Promise.all([...settled, more]))
      expect(r).toBeInstanceOf(AuditWriteError);
  });

  describe('what it logs through an outage', () => {
    let infos: jest.SpyInstance;
    let debugs: jest.SpyInstance;
    beforeEach(() => {
      errors.mockClear();
      infos = jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
      debugs = jest.spyOn(Logger.prototype, 'debug').mockImplementation(() => undefined);
    });
    afterEach(() => {
      infos.mockRestore();
      debugs.mockRestore();
    });

    it('fail-closed: logs the first failed batch with its cause, counts the rest, and one line when a batch succeeds', async () => {
      const { store, w } = writer({ concurrency: 1 });
      const failed: Promise<unknown>[] = [];
      for (const ids of [['a'], ['b', 'c'], ['d']]) {
        failed.push(...ids.map((id) => w.enqueue(event(id)).catch((e: Error) => e)));
        await tick();
        store.calls[store.calls.length - 1].reject(new Error(`connection lost ${ids[0]}`));
        await Promise.all(failed);
      }
      expect(errors).toHaveBeenCalledTimes(1);
      expect(errors).toHaveBeenCalledWith(
        expect.stringMatching(/^Could not store 1 audit event\(s\);.* Error: connection lost a$/),
      );
      expect(infos).not.toHaveBeenCalled();

      const ok = w.enqueue(event('e'));
      await tick();
      store.calls[3].resolve();
      await ok;
      expect(infos).toHaveBeenCalledTimes(1);
      expect(infos).toHaveBeenCalledWith(
        expect.stringMatching(/recovered after 3 failed batch\(es\), 4 event\(s\) refused/),
      );

      // Writes that keep succeeding log nothing more; the next outage is logged anew.
      const more = w.enqueue(event('f'));
      await tick();
      store.calls[4].resolve();
      await more;
      expect(infos).toHaveBeenCalledTimes(1);
      const again = w.enqueue(event('g')).catch((e: Error) => e);
      await tick();
      store.calls[5].reject(new Error('connection lost g'));
      await again;
      expect(errors).toHaveBeenCalledTimes(2);
    });

    it('fail-open: logs the first failed write as an error and each retry after it at debug level only', async () => {
      const { store, w } = writer({ policy: 'fail-open', concurrency: 1 });
      const told = w.enqueue(event('a')).catch((e: Error) => e);
      await tick();
      store.calls[0].reject(new Error('connection lost'));
      await told;
      // Each retry comes after its backoff (5, 10, 20, 20 ms).
      const call = async (i: number) => {
        while (store.calls.length <= i) await new Promise((r) => setTimeout(r, 5));
        return store.calls[i];
      };
      for (let i = 1; i <= 3; i++) (await call(i)).reject(new Error('connection lost'));
      const fifth = await call(4);
      expect(errors).toHaveBeenCalledTimes(1);
      expect(debugs).toHaveBeenCalledTimes(3);
      expect(debugs).toHaveBeenCalledWith(expect.stringMatching(/kept in the buffer, retrying in/));

      fifth.resolve();
      await w.flush();
      expect(infos).toHaveBeenCalledTimes(1);
      expect(infos).toHaveBeenCalledWith(
        expect.stringMatching(/recovered after 4 failed batch\(es\), 0 event\(s\) refused/),
      );
    });
  });

  describe('one write per event id', () => {
    it('a second caller of an id waiting or in flight joins its write, and is told it was stored before', async () => {
      const { store, w } = writer({ concurrency: 1 });
      const first = w.enqueue(event('a'));
      await tick();
      // In flight: the retry joins the write instead of starting a second one.
      const retry = w.enqueue(event('a'), { mayBeStored: true });
      const queued = w.enqueue(event('b'));
      const queuedAgain = w.enqueue(event('b'));
      await tick();
      expect(w.pending).toBe(2);
      store.calls[0].resolve();
      await tick();
      store.calls[1].resolve();
      const [a, aAgain, b, bAgain] = await Promise.all([first, retry, queued, queuedAgain]);
      expect(store.calls.map((c) => c.ids)).toEqual([['a'], ['b']]);
      expect([a.id, aAgain.id, b.id, bAgain.id]).toEqual(['a', 'a', 'b', 'b']);
      expect([a, aAgain, b, bAgain].map(wasFoundStored)).toEqual([false, true, false, true]);
    });

    it('asks the store to look up an id a caller says may be stored already', async () => {
      const { store, w } = writer();
      const done = w.enqueue(event('maybe'), { mayBeStored: true });
      await tick();
      expect(store.calls[0]).toMatchObject({ ids: ['maybe'], mayBeStored: true });
      store.calls[0].resolve();
      await done;
    });

    it('fail-closed: the joiners of a failed write fail with it; the next caller starts a new one', async () => {
      const { store, w } = writer();
      const both = [w.enqueue(event('x')), w.enqueue(event('x'))].map((p) =>
        p.catch((e: Error) => e),
      );
      await tick();
      store.calls[0].reject(new Error('connection lost'));
      for (const r of await Promise.all(both)) expect(r).toBeInstanceOf(AuditWriteError);

      const again = w.enqueue(event('x'), { mayBeStored: true });
      await tick();
      expect(store.calls.map((c) => [c.ids, c.mayBeStored])).toEqual([
        [['x'], false],
        [['x'], true],
      ]);
      store.calls[1].resolve();
      expect(wasFoundStored(await again)).toBe(false);
    });

    it('fail-open: a caller of a buffered id is told it is buffered, and it is still written once', async () => {
      const { store, w } = writer({ policy: 'fail-open' });
      const first = w.enqueue(event('y')).catch((e: Error) => e);
      await tick();
      store.calls[0].reject(new Error('connection lost'));
      expect(await first).toMatchObject({ buffered: true });
      const retry = await w.enqueue(event('y'), { mayBeStored: true }).catch((e: Error) => e);
      expect(retry).toMatchObject({ buffered: true });
      expect(w.pending).toBe(1);

      await new Promise((r) => setTimeout(r, 40));
      expect(store.calls.map((c) => c.ids)).toEqual([['y'], ['y']]);
      store.calls[1].resolve();
      await w.flush();
      expect(w.pending).toBe(0);
    });
  });
});
