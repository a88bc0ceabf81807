import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

let lastTime = -1;
let lastRandom: number[] = [];

function encodeTime(time: number): string {
  let out = '';
  for (let i = 0; i < 10; i++) {
    out = ALPHABET[time % 32] + out;
    time = Math.floor(time / 32);
  }
  return out;
}

// One call to the CSPRNG per 256 ids instead of per id: it is a syscall-sized cost on a hot path.
const POOL_IDS = 256;
let pool = Buffer.alloc(0);
let poolOffset = 0;

function freshRandom(): number[] {
  if (poolOffset + 16 > pool.length) {
    pool = randomBytes(16 * POOL_IDS);
    poolOffset = 0;
  }
  const out = new Array<number>(16);
  // 256 is a multiple of 32, so `% 32` keeps every digit uniformly likely.
  for (let i = 0; i < 16; i++) out[i] = pool[poolOffset + i] % 32;
  poolOffset += 16;
  return out;
}

/**
 * A monotonic ULID: 48-bit millisecond time plus 80 random bits, Crockford base32. Within one
 * millisecond the random part is incremented, so ids made by one process sort in creation order.
 */
export function ulid(now: number = Date.now()): string {
  if (now <= lastTime) {
    // Same (or a clock that stepped back) millisecond: increment, keeping ids strictly increasing.
    let i = 15;
    while (i >= 0 && lastRandom[i] === 31) {
      lastRandom[i] = 0;
      i--;
    }
    if (i < 0) {
      lastTime += 1;
      lastRandom = freshRandom();
    } else {
      lastRandom[i] += 1;
    }
  } else {
    lastTime = now;
    lastRandom = freshRandom();
  }
  return encodeTime(lastTime) + lastRandom.map((d) => ALPHABET[d]).join('');
}

/** Whether `value` has the shape of a ULID. */
export function isUlid(value: unknown): value is string {
  return typeof value === 'string' && /^[0-9A-HJKMNP-TV-Z]{26}$/.test(value);
}
