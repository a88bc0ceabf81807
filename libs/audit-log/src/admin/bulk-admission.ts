import type { Response } from 'express';
import { ApiException, apiError } from '../http/api-error';

/**
 * Bulk requests processed at once. A bulk's 1,000 parsed events, their rows and their SQL live
 * until its commit; with eight clients at once, the parsed bodies outlived several young-gen
 * collections, most of the process's CPU went to the GC, and the database saw eight transactions
 * fighting over the same index pages. Two at a time, the others waiting as raw bytes, ingested
 * more events a second (bench:ingest, part e). Two, like the writer's default concurrency: one
 * batch's Node side overlaps the other's database side.
 */
export const BULK_CONCURRENCY = 2;

/** Bulk requests that may wait for a turn; more are told to come back (503, Retry-After). */
export const BULK_MAX_WAITING = 256;

/**
 * Turns for bulk requests, taken once the body has been read (so a slow uploader holds no turn)
 * and before it is parsed; given back when the response ends, however it ends.
 */
export class BulkAdmission {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    private readonly concurrency = BULK_CONCURRENCY,
    private readonly maxWaiting = BULK_MAX_WAITING,
  ) {}

  /**
   * Resolves true when `res` may go on, its turn ending with the response (or the connection);
   * false when the client went away while it waited (there is nothing left to answer).
   */
  async enter(res: Response): Promise<boolean> {
    if (this.active < this.concurrency) {
      this.active += 1;
    } else {
      if (this.waiting.length >= this.maxWaiting) throw busy();
      const granted = await new Promise<boolean>((resolve) => {
        const turn = () => resolve(true);
        this.waiting.push(turn);
        res.once('close', () => {
          const i = this.waiting.indexOf(turn);
          if (i < 0) return;
          this.waiting.splice(i, 1);
          resolve(false);
        });
      });
      if (!granted) return false;
    }
    // Closed already (between the grant and now): its 'close' has fired, so give the turn back.
    if (res.destroyed || res.writableFinished) {
      this.leave();
      return false;
    }
    res.once('close', () => this.leave());
    return true;
  }

  private leave(): void {
    const next = this.waiting.shift();
    // The turn passes straight on: `active` stays as it is.
    if (next) next();
    else this.active -= 1;
  }
}

function busy(): ApiException {
  const e = apiError(503, 'Too many bulk requests are waiting; retry shortly');
  return new ApiException(503, e.errors, { 'Retry-After': '1' });
}
