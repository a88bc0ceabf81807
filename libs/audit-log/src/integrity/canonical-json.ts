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
  // Every event hash goes through here, so the usual shallow value is written recursively
  // (several times faster); anything deeper than that takes the stack-safe path.
  try {
    return writeShallow(value, 0);
  } catch (err) {
    if (err !== TOO_DEEP) throw err;
    return writeDeep(value);
  }
}

/**
 * The canonical form of a JSON text: `canonicalize(JSON.parse(text))`, without parsing when the
 * text is already canonical (as a stored column written by `canonicalize` is). Throws
 * SyntaxError when the text is not JSON.
 */
export function canonicalizeJsonText(text: string): string {
  return isCanonicalJsonText(text) ? text : canonicalize(JSON.parse(text));
}

const MAX_RECURSION = 256;
const TOO_DEEP = new Error('nested too deep for recursion');

function writeShallow(item: unknown, depth: number): string {
  if (item === null) return 'null';
  switch (typeof item) {
    case 'string':
      return JSON.stringify(item);
    case 'number':
      if (!Number.isFinite(item)) throw new TypeError('canonical JSON has no non-finite numbers');
      // ES number serialization, which RFC 8785 section 3.2.2.3 adopts; -0 is written as 0.
      return JSON.stringify(item);
    case 'boolean':
      return item ? 'true' : 'false';
    case 'object': {
      if (depth >= MAX_RECURSION) throw TOO_DEEP;
      if (Array.isArray(item)) {
        let out = '[';
        for (let i = 0; i < item.length; i++) {
          if (i > 0) out += ',';
          out += item[i] === undefined ? 'null' : writeShallow(item[i], depth + 1);
        }
        return out + ']';
      }
      // The default sort compares strings by UTF-16 code units, as RFC 8785 asks.
      const keys = Object.keys(item).sort();
      let out = '{';
      for (const key of keys) {
        const member = (item as Record<string, unknown>)[key];
        if (member === undefined) continue;
        if (out.length > 1) out += ',';
        out += `${JSON.stringify(key)}:${writeShallow(member, depth + 1)}`;
      }
      return out + '}';
    }
    default:
      throw new TypeError(`canonical JSON cannot hold a ${typeof item}`);
  }
}

function writeDeep(value: unknown): string {
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
        .sort();
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

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * Whether `text` is JSON already in its canonical form. Accepts only a strict subset and
 * answers false for anything else (white space, escapes, numbers not in ES form, keys out of
 * order or repeated, lone surrogates, invalid JSON): the caller then parses, which decides.
 */
function isCanonicalJsonText(text: string): boolean {
  const n = text.length;
  let i = 0;
  // The open containers, innermost last; for objects, where their last key's text starts and
  // ends (without its quotes).
  const inObject: boolean[] = [];
  const keyStart: number[] = [];
  const keyEnd: number[] = [];

  // The index after the string whose opening quote is at i, or -1.
  const skipString = (): number => {
    for (let j = i + 1; j < n; j++) {
      const c = text.charCodeAt(j);
      if (c === QUOTE) return j + 1;
      if (c === BACKSLASH || c < 0x20) return -1;
      if (c >= 0xd800 && c <= 0xdfff) {
        // Only a well-formed surrogate pair stays unescaped in ES serialization.
        const d = text.charCodeAt(j + 1);
        if (c > 0xdbff || !(d >= 0xdc00 && d <= 0xdfff)) return -1;
        j += 1;
      }
    }
    return -1;
  };
  // Reads `"key":` at i, which must sort after the innermost object's previous key.
  const readKey = (): boolean => {
    if (text.charCodeAt(i) !== QUOTE) return false;
    const end = skipString();
    if (end < 0 || text[end] !== ':') return false;
    const top = inObject.length - 1;
    // Keys hold no escapes here, so their raw text compares as their value does.
    const key = text.slice(i + 1, end - 1);
    if (keyStart[top] >= 0 && !(text.slice(keyStart[top], keyEnd[top]) < key)) return false;
    keyStart[top] = i + 1;
    keyEnd[top] = end - 1;
    i = end + 1;
    return true;
  };

  for (;;) {
    // One value at i; a container opens and goes on with its first member or item.
    const c = text[i];
    if (c === '{' || c === '[') {
      if (text[i + 1] === (c === '{' ? '}' : ']')) i += 2;
      else {
        i += 1;
        inObject.push(c === '{');
        keyStart.push(-1);
        keyEnd.push(-1);
        if (c === '{' && !readKey()) return false;
        continue;
      }
    } else if (c === '"') {
      i = skipString();
      if (i < 0) return false;
    } else if (c === '-' || (c >= '0' && c <= '9')) {
      const m = NUMBER.exec(text.slice(i, i + 32));
      if (m === null) return false;
      const token = m[0];
      // Short integers are their own ES form; anything else must survive a round trip.
      if (m[1] !== undefined || token.length > 15 || token === '-0') {
        const value = Number(token);
        if (!Number.isFinite(value) || JSON.stringify(value) !== token) return false;
      }
      i += token.length;
    } else if (text.startsWith('true', i) || text.startsWith('null', i)) i += 4;
    else if (text.startsWith('false', i)) i += 5;
    else return false;

    // After a value: close containers, or step to the next member or item.
    for (;;) {
      const top = inObject.length - 1;
      if (top < 0) return i === n;
      const d = text[i];
      if (d === (inObject[top] ? '}' : ']')) {
        inObject.pop();
        keyStart.pop();
        keyEnd.pop();
        i += 1;
        continue;
      }
      if (d !== ',') return false;
      i += 1;
      if (inObject[top] && !readKey()) return false;
      break;
    }
  }
}

// A JSON number at the start; group 1 is set when it has a fraction or an exponent. A number
// longer than the slice it is matched in fails the round trip, which is the safe answer.
const NUMBER = /^-?(?:0|[1-9][0-9]*)(\.[0-9]+(?:[eE][-+]?[0-9]+)?|[eE][-+]?[0-9]+)?/;
