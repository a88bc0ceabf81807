/**
 * The JSON Canonicalization Scheme (RFC 8785): object keys sorted by their UTF-16 code units,
 * no white space, numbers and strings as ECMAScript's JSON.stringify writes them. Two parties
 * that hold the same JSON value get the same bytes, which is what makes a hash over it
 * reproducible by a verifier written in another language.
 *
 * Values are taken as `JSON.stringify` would write them, so that a value hashes the same before
 * it is stored and after it is read back: undefined members are left out and undefined array
 * items are null. Throws on what JSON cannot hold exactly (non-finite numbers, functions,
 * bigints), rather than hashing something the reader would see differently.
 */
export function canonicalize(value: unknown): string {
  const out: string[] = [];
  // An explicit stack: hashed values come from stored rows and must never overflow the JS stack.
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const item = stack.pop();
    if (item instanceof Token) {
      out.push(item.text);
      continue;
    }
    if (item === null) out.push('null');
    else if (typeof item === 'boolean') out.push(item ? 'true' : 'false');
    else if (typeof item === 'number') {
      if (!Number.isFinite(item)) throw new TypeError('canonical JSON has no non-finite numbers');
      // ES number serialization, which RFC 8785 section 3.2.2.3 adopts; -0 is written as 0.
      out.push(JSON.stringify(item));
    } else if (typeof item === 'string') out.push(JSON.stringify(item));
    else if (Array.isArray(item)) {
      out.push('[');
      stack.push(CLOSE_ARRAY);
      for (let i = item.length - 1; i >= 0; i--) {
        stack.push(item[i] === undefined ? null : item[i]);
        if (i > 0) stack.push(COMMA);
      }
    } else if (typeof item === 'object') {
      const entries = Object.keys(item as object)
        .filter((k) => (item as Record<string, unknown>)[k] !== undefined)
        .sort(compareUtf16);
      out.push('{');
      stack.push(CLOSE_OBJECT);
      for (let i = entries.length - 1; i >= 0; i--) {
        stack.push((item as Record<string, unknown>)[entries[i]]);
        stack.push(new Token(`${JSON.stringify(entries[i])}:`));
        if (i > 0) stack.push(COMMA);
      }
    } else {
      throw new TypeError(`canonical JSON cannot hold a ${typeof item}`);
    }
  }
  return out.join('');
}

class Token {
  constructor(readonly text: string) {}
}
const COMMA = new Token(',');
const CLOSE_ARRAY = new Token(']');
const CLOSE_OBJECT = new Token('}');

// RFC 8785 sorts by UTF-16 code units, which is what JS string comparison does.
function compareUtf16(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
