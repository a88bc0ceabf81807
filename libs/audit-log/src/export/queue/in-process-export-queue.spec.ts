import { InProcessExportQueue } from './in-process-export-queue';

function deferred() {
  let resolve!: () => void;
  let reject!: (err: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const quiet = { warn: jest.fn(), error: jest.fn() };

describe('InProcessExportQueue', () => {
  afterEach(() => {
    jest.useRealTimers();
    quiet.warn.mockClear();
    quiet.error.mockClear();
  });

  it('runs one job per export id, however often it is added', async () => {
    const queue = new InProcessExportQueue({ attempts: 3, backoffMs: 10 }, quiet);
    const gate = deferred();
    const runs: string[] = [];
    queue.work(2, async (id) => {
      runs.push(id);
      await gate.promise;
    });
    await queue.add('a');
    await queue.add('a');
    await queue.add('b');
    await queue.add('c');
    expect(runs).toEqual(['a', 'b']);
    expect(await queue.has('a')).toBe(true);
    expect(await queue.has('c')).toBe(true);
    gate.resolve();
    while (await queue.has('c')) await new Promise((r) => setImmediate(r));
    expect(runs).toEqual(['a', 'b', 'c']);
    await queue.close();
  });

  it('drops waiting jobs on close (the database still lists their exports)', async () => {
    const queue = new InProcessExportQueue({ attempts: 3, backoffMs: 10 }, quiet);
    const gate = deferred();
    const runs: string[] = [];
    queue.work(1, async (id) => {
      runs.push(id);
      await gate.promise;
    });
    await queue.add('a');
    await queue.add('b');
    const closing = queue.close();
    gate.resolve();
    await closing;
    expect(runs).toEqual(['a']);
    expect(await queue.has('b')).toBe(false);
  });

  it('retries with exponential backoff, then gives up', async () => {
    jest.useFakeTimers();
    const queue = new InProcessExportQueue({ attempts: 3, backoffMs: 1000 }, quiet);
    const times: number[] = [];
    queue.work(1, async () => {
      times.push(Date.now());
      throw new Error('boom');
    });
    const start = Date.now();
    await queue.add('x');
    await jest.advanceTimersByTimeAsync(999);
    expect(times).toHaveLength(1);
    await jest.advanceTimersByTimeAsync(1);
    expect(times).toHaveLength(2);
    await jest.advanceTimersByTimeAsync(2000);
    expect(times.map((t) => t - start)).toEqual([0, 1000, 3000]);
    await jest.advanceTimersByTimeAsync(10_000);
    expect(times).toHaveLength(3);
    expect(await queue.has('x')).toBe(false);
    expect(quiet.warn).toHaveBeenCalledTimes(2);
    expect(quiet.error).toHaveBeenCalledTimes(1);
    await queue.close();
  });

  it('forgets a job once it succeeded, so it can be queued again', async () => {
    const queue = new InProcessExportQueue({ attempts: 1, backoffMs: 0 }, quiet);
    let runs = 0;
    queue.work(1, async () => {
      runs += 1;
    });
    await queue.add('a');
    await queue.close();
    expect(runs).toBe(1);
    expect(await queue.has('a')).toBe(false);
  });

  it('takes nothing new once closed and waits for the running job', async () => {
    const queue = new InProcessExportQueue({ attempts: 3, backoffMs: 0 }, quiet);
    const gate = deferred();
    let finished = false;
    queue.work(1, async () => {
      await gate.promise;
      finished = true;
    });
    await queue.add('a');
    const closing = queue.close();
    await queue.add('b');
    gate.resolve();
    await closing;
    expect(finished).toBe(true);
    expect(await queue.has('b')).toBe(false);
  });
});
