/** What a redacted metadata value is stored as. */
export const REDACTED = '[REDACTED]';

/** Key fragments that mark a value as a secret (compared without case, spaces, `-` or `_`). */
export const DEFAULT_REDACT_KEYS: readonly string[] = [
  'password',
  'passwd',
  'passphrase',
  'pwd',
  'secret',
  'token',
  'authorization',
  'auth',
  'cookie',
  'apikey',
  'privatekey',
  'credential',
  'session',
  'accesskey',
  'signature',
  'otp',
  'mfacode',
  'recoverycode',
  'ssn',
  'creditcard',
  'cardnumber',
  'cvv',
];

function squash(key: string): string {
  return key.toLowerCase().replace(/[\s_\-.]/g, '');
}

// Short fragments would hide harmless keys (`author`, `option`, `spin`) if matched inside words.
const WHOLE_KEY_ONLY = new Set(['auth', 'pwd', 'otp', 'ssn', 'cvv', 'pin']);

/** Builds a predicate telling whether a metadata key names a secret. */
export function secretKeyMatcher(keys: readonly string[]): (key: string) => boolean {
  const fragments = keys.map(squash).filter(Boolean);
  return (key) => {
    const k = squash(key);
    return fragments.some((f) => (WHOLE_KEY_ONLY.has(f) ? k === f : k.includes(f)));
  };
}

/** A deep copy of `value` with every value under a secret-looking key replaced by `[REDACTED]`. */
export function redact(value: unknown, isSecret: (key: string) => boolean): unknown {
  if (Array.isArray(value)) return value.map((v) => redact(v, isSecret));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      if (v === undefined) continue;
      // defineProperty, not assignment: a key named "__proto__" must stay data, not become a prototype.
      Object.defineProperty(out, k, {
        value: isSecret(k) ? REDACTED : redact(v, isSecret),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return out;
  }
  return value;
}
