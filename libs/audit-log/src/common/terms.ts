import { hash } from 'node:crypto';

/**
 * The exact-term form of a name or e-mail: NFC, trimmed, lower case. "JANE DOE" and "Jane Doe"
 * meet; "Jane" and "Jane Doe" do not.
 */
export function normalizeTerm(value: string): string {
  return value.normalize('NFC').trim().toLowerCase();
}

/**
 * The stored key of a term: 128 bits of SHA-256, hex. A fixed, short key keeps the term index
 * small whatever the names' length; queries re-check the real value, so a collision can never
 * surface a wrong row.
 */
export function hashTerm(normalized: string): string {
  // The one-shot hash: about twice as fast as createHash() for short inputs, same digest.
  return hash('sha256', normalized, 'hex').slice(0, 32);
}
