import { isUlid, ulid } from './ulid';

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

function decodeTime(id: string): number {
  return [...id.slice(0, 10)].reduce((t, c) => t * 32 + ALPHABET.indexOf(c), 0);
}

describe('ulid', () => {
  // The generator keeps state across calls; each test moves forward from the last time used.
  let base = Date.parse('2026-11-25T17:04:05.123Z');
  beforeEach(() => {
    base += 60_000;
  });

  it('has the ULID shape and encodes the given millisecond', () => {
    const id = ulid(base);
    expect(id).toHaveLength(26);
    expect(isUlid(id)).toBe(true);
    expect(decodeTime(id)).toBe(base);
  });

  it('is strictly increasing within one millisecond (monotonic)', () => {
    const ids = Array.from({ length: 10_000 }, () => ulid(base));
    for (let i = 1; i < ids.length; i++) expect(ids[i] > ids[i - 1]).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.every((id) => decodeTime(id) === base)).toBe(true);
  });

  it('sorts as strings in time order across milliseconds', () => {
    const times = Array.from({ length: 500 }, (_, i) => base + i * 7);
    const ids = times.map((t) => ulid(t));
    expect([...ids].sort()).toEqual(ids);
    expect(ids.map(decodeTime)).toEqual(times);
  });

  it('sorts by time before randomness, whatever the random part', () => {
    // A later millisecond sorts after every id of the earlier one.
    const early = Array.from({ length: 100 }, () => ulid(base));
    const late = ulid(base + 1);
    expect(early.every((id) => id < late)).toBe(true);
  });

  it('stays increasing when the clock steps back', () => {
    const a = ulid(base);
    const b = ulid(base - 5_000);
    const c = ulid(base - 1);
    expect(b > a).toBe(true);
    expect(c > b).toBe(true);
    // It keeps the latest time seen rather than going back.
    expect(decodeTime(b)).toBe(base);
  });

  it('uses the wall clock by default', () => {
    const before = Date.now();
    const id = ulid();
    expect(decodeTime(id)).toBeGreaterThanOrEqual(before);
    expect(decodeTime(id)).toBeLessThanOrEqual(Math.max(Date.now(), base));
  });

  it('is random between processes: the random part differs from one millisecond to the next', () => {
    const a = ulid(base).slice(10);
    const b = ulid(base + 1).slice(10);
    expect(a).not.toBe(b);
  });
});

describe('isUlid', () => {
  it.each([
    ['01JD7Q8ZK3M4N5P6Q7R8S9T0VW', true],
    ['01jd7q8zk3m4n5p6q7r8s9t0vw', false],
    ['01JD7Q8ZK3M4N5P6Q7R8S9T0V', false],
    ['01JD7Q8ZK3M4N5P6Q7R8S9T0VIL', false],
    ['01JD7Q8ZK3M4N5P6Q7R8S9T0VU', false],
    [42, false],
    [undefined, false],
  ])('%p → %p', (value, expected) => {
    expect(isUlid(value)).toBe(expected);
  });
});
