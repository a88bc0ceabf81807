import { nextFailure } from './delivery-backoff';
import { DeliveryError } from './transports/transport';

const options = {
  backoffMinMs: 1000,
  backoffMaxMs: 60_000,
  pauseAfterFailures: 10,
  pauseAfterMs: 3_600_000,
  pauseAfterPermanentFailures: 3,
};
const NOW = 1_000_000;

describe('nextFailure', () => {
  it('doubles the wait per failure, with at least half of it kept, up to the maximum', () => {
    const waits = [0, 1, 2, 3, 10].map((failures) => {
      const lo = nextFailure(
        { failures, firstFailureAt: NOW },
        new Error('x'),
        NOW,
        options,
        () => 0,
      );
      const hi = nextFailure(
        { failures, firstFailureAt: NOW },
        new Error('x'),
        NOW,
        options,
        () => 1,
      );
      return [lo.nextAttemptAt - NOW, hi.nextAttemptAt - NOW];
    });
    expect(waits).toEqual([
      [500, 1000],
      [1000, 2000],
      [2000, 4000],
      [4000, 8000],
      [30_000, 60_000],
    ]);
  });

  it("waits at least the receiver's Retry-After", () => {
    const f = nextFailure(
      { failures: 0, firstFailureAt: null },
      new DeliveryError('busy', false, 30_000),
      NOW,
      options,
      () => 0,
    );
    expect(f.nextAttemptAt).toBe(NOW + 30_000);
    expect(f).toMatchObject({ failures: 1, firstFailureAt: NOW, pause: false, error: 'busy' });
  });

  it('pauses after N failures, after failing for too long, or sooner when permanent', () => {
    const transient = new DeliveryError('503');
    const permanent = new DeliveryError('401', true);
    expect(nextFailure({ failures: 8, firstFailureAt: NOW }, transient, NOW, options).pause).toBe(
      false,
    );
    expect(nextFailure({ failures: 9, firstFailureAt: NOW }, transient, NOW, options).pause).toBe(
      true,
    );
    expect(
      nextFailure({ failures: 1, firstFailureAt: NOW - 3_600_000 }, transient, NOW, options).pause,
    ).toBe(true);
    expect(nextFailure({ failures: 1, firstFailureAt: NOW }, permanent, NOW, options).pause).toBe(
      false,
    );
    const third = nextFailure({ failures: 2, firstFailureAt: NOW }, permanent, NOW, options);
    expect(third).toMatchObject({ pause: true, error: '401 (permanent)' });
  });
});
