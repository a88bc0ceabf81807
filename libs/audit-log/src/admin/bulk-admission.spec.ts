import { EventEmitter } from 'node:events';
import type { Response } from 'express';
import { ApiException } from '../http/api-error';
import { BulkAdmission } from './bulk-admission';

// A response as far as admission looks at it: it ends with 'close'.
class FakeResponse extends EventEmitter {
  destroyed = false;
  writableFinished = false;
  end(): void {
    this.writableFinished = true;
    this.emit('close');
  }
  abort(): void {
    this.destroyed = true;
    this.emit('close');
  }
}
const res = () => new FakeResponse() as FakeResponse & Response;
const tick = () => new Promise((r) => setImmediate(r));

describe('BulkAdmission', () => {
  it('lets `concurrency` in at once and the rest in arrival order as turns end', async () => {
    const admission = new BulkAdmission(2, 10);
    const [a, b, c, d] = [res(), res(), res(), res()];
    const admitted: string[] = [];
    for (const [name, r] of [
      ['a', a],
      ['b', b],
      ['c', c],
      ['d', d],
    ] as const)
      void admission.enter(r).then((ok) => ok && admitted.push(name));
    await tick();
    expect(admitted).toEqual(['a', 'b']);
    b.end();
    await tick();
    expect(admitted).toEqual(['a', 'b', 'c']);
    a.abort();
    await tick();
    expect(admitted).toEqual(['a', 'b', 'c', 'd']);
  });

  it('drops a waiter whose client went away, and never gives it a turn', async () => {
    const admission = new BulkAdmission(1, 10);
    const [a, gone, next] = [res(), res(), res()];
    await admission.enter(a);
    const goneTurn = admission.enter(gone);
    const nextTurn = admission.enter(next);
    gone.abort();
    expect(await goneTurn).toBe(false);
    a.end();
    expect(await nextTurn).toBe(true);
    // The turn count is back where it was: one in (next), none waiting.
    next.end();
    expect(await admission.enter(res())).toBe(true);
  });

  it('answers 503 with Retry-After when too many wait', async () => {
    const admission = new BulkAdmission(1, 1);
    await admission.enter(res());
    void admission.enter(res());
    const refused = await admission.enter(res()).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ApiException);
    expect((refused as ApiException).getStatus()).toBe(503);
    expect((refused as ApiException).headers).toEqual({ 'Retry-After': '1' });
  });
});
