import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

// An org API key as its holder sees it: `ak_<id>_<secret>`. The id (a ULID) finds the row; the
// secret is 256 random bits, base64url. The prefix tells it from a JWT at a glance (and to
// secret scanners); only the SHA-256 of the whole string is stored. A SHA-256 suffices, with no
// slow KDF: the secret is 256 random bits, not a password, so there is nothing to guess.
const KEY_FORMAT = /^ak_([0-9A-HJKMNP-TV-Z]{26})_([A-Za-z0-9_-]{43})$/;

/** The id of a well-formed key, or undefined. */
export function apiKeyId(key: string): string | undefined {
  return KEY_FORMAT.exec(key)?.[1];
}

/** Whether a bearer credential is meant as an API key (well-formed or not). */
export function looksLikeApiKey(credential: string): boolean {
  return credential.startsWith('ak_');
}

/** A new key for the row `id`: the secret to show once, and the hash to store. */
export function newApiKey(id: string): { secret: string; hash: string } {
  const secret = `ak_${id}_${randomBytes(32).toString('base64url')}`;
  return { secret, hash: hashApiKey(secret) };
}

/** The stored form of a key: SHA-256, hex. */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** Whether `key` hashes to `storedHash`, compared in constant time. */
export function apiKeyMatches(key: string, storedHash: string): boolean {
  const given = Buffer.from(hashApiKey(key), 'hex');
  const stored = Buffer.from(storedHash, 'hex');
  return given.length === stored.length && timingSafeEqual(given, stored);
}
