/**
 * How deeply a JSON body of the admin API may nest arrays and objects. The body itself is level
 * 0, `metadata` level 1, so event metadata (at most `EVENT_LIMITS.metadataDepth` levels of its
 * own) fits with room to spare. A deeper body is a 400 naming the first container past the
 * limit, found before anything recursive (class-transformer, class-validator) walks the body:
 * 64 KiB holds 30,000 nested arrays, enough to overflow their stack.
 * @default 32
 */
export const MAX_BODY_DEPTH = 32;

interface Frame {
  value: unknown;
  depth: number;
  key: string;
  parent?: Frame;
}

/**
 * The path (keys and indexes) to the first array or object, in document order, nested deeper
 * than `max` levels below `value`; `undefined` when there is none. Walks with an explicit stack,
 * never recursion, so no input can overflow the call stack. Only own enumerable keys are
 * followed, as JSON.stringify does.
 */
export function findTooDeep(value: unknown, max: number = MAX_BODY_DEPTH): string[] | undefined {
  const stack: Frame[] = [{ value, depth: 0, key: '' }];
  while (stack.length) {
    const frame = stack.pop()!;
    const v = frame.value;
    if (v === null || typeof v !== 'object') continue;
    if (frame.depth > max) return pathOf(frame);
    // Pushed in reverse so that the first key or index is looked at first.
    const keys = Array.isArray(v) ? v.map((_x, i) => String(i)) : Object.keys(v);
    for (let i = keys.length - 1; i >= 0; i--) {
      const child = (v as Record<string, unknown>)[keys[i]];
      if (child !== null && typeof child === 'object') {
        stack.push({ value: child, depth: frame.depth + 1, key: keys[i], parent: frame });
      }
    }
  }
  return undefined;
}

function pathOf(frame: Frame): string[] {
  const path: string[] = [];
  for (let f: Frame | undefined = frame; f?.parent; f = f.parent) path.push(f.key);
  return path.reverse();
}

/** A JSON pointer (RFC 6901) of a path: `~` and `/` in keys escaped. */
export function jsonPointer(path: readonly string[]): string {
  return path.map((k) => '/' + k.replace(/~/g, '~0').replace(/\//g, '~1')).join('');
}
