import { plainToInstance } from 'class-transformer';
import { validateSync, ValidationError } from 'class-validator';
import { ApiErrorObject, ApiException } from './api-error';
import { findTooDeep, jsonPointer, MAX_BODY_DEPTH } from './json-depth';

type Source = 'parameter' | 'pointer';

/**
 * class-validator on a plain value, with every failure answered as a 400 naming the query
 * parameter or the body field (JSON pointer). Unknown properties are refused, not ignored,
 * whatever their name (`constructor`, `__proto__` and `toString` included). A value nested
 * deeper than `MAX_BODY_DEPTH` is refused before anything recursive walks it.
 */
export function validateDto<T extends object>(cls: new () => T, plain: unknown, source: Source): T {
  if (plain === null || typeof plain !== 'object' || Array.isArray(plain)) {
    throw new ApiException(400, [
      {
        status: '400',
        code: 'invalid_body',
        title: 'Invalid body',
        detail: 'The body must be a JSON object',
      },
    ]);
  }
  const deep = findTooDeep(plain, MAX_BODY_DEPTH);
  if (deep) throw tooDeepError(deep, source);
  const { copy, dropped } = withoutPrototypeKeys(plain);
  const instance = plainToInstance(cls, copy);
  const failures = validateSync(instance, {
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: false,
  });
  const errors = [
    ...dropped.filter((path) => isDtoField(instance, path)).map((p) => unknownField(p, source)),
    ...flatten(failures, source, []),
  ];
  if (errors.length) throw new ApiException(400, errors);
  return instance;
}

/** The 400 for a body (or query) nested deeper than `MAX_BODY_DEPTH`. */
export function tooDeepError(path: readonly string[], source: Source): ApiException {
  return new ApiException(400, [
    errorObject(path, source, 'invalid_field', `is nested deeper than ${MAX_BODY_DEPTH} levels`),
  ]);
}

// Keys class-transformer skips (`__proto__`, `constructor`) or will not assign over an inherited
// method (`toString`...), and that class-validator's whitelist then takes for declared ones.
function isPrototypeKey(key: string): boolean {
  return key in Object.prototype;
}

/**
 * A copy of a JSON value for class-transformer, without the keys it mishandles: walking them
 * it throws ("targetType is not a constructor") or drops them silently. Their paths are kept so
 * that those on a DTO are refused as unknown fields; those in free-form fields such as
 * `metadata` are no concern of the DTO (controllers keep the body as it came). Iterative.
 */
function withoutPrototypeKeys(plain: object): { copy: object; dropped: string[][] } {
  type Container = Record<string, unknown> | unknown[];
  const dropped: string[][] = [];
  const copy: Record<string, unknown> = {};
  const stack: { from: object; to: Container; path: string[] }[] = [
    { from: plain, to: copy, path: [] },
  ];
  while (stack.length) {
    const { from, to, path } = stack.pop()!;
    const keys = Array.isArray(from) ? from.map((_v, i) => String(i)) : Object.keys(from);
    for (const key of keys) {
      if (!Array.isArray(from) && isPrototypeKey(key)) {
        dropped.push([...path, key]);
        continue;
      }
      const value = (from as Record<string, unknown>)[key];
      let target: unknown = value;
      if (value !== null && typeof value === 'object') {
        const inner: Container = Array.isArray(value) ? [] : {};
        stack.push({ from: value, to: inner, path: [...path, key] });
        target = inner;
      }
      if (Array.isArray(to)) to.push(target);
      else to[key] = target;
    }
  }
  return { copy, dropped };
}

/** Whether the object holding the last key of `path` is a DTO instance (not free-form JSON). */
function isDtoField(instance: object, path: readonly string[]): boolean {
  let node: unknown = instance;
  for (const key of path.slice(0, -1)) {
    if (node === null || typeof node !== 'object') return false;
    node = Object.prototype.hasOwnProperty.call(node, key)
      ? (node as Record<string, unknown>)[key]
      : undefined;
  }
  if (node === null || typeof node !== 'object' || Array.isArray(node)) return false;
  return Object.getPrototypeOf(node) !== Object.prototype && Object.getPrototypeOf(node) !== null;
}

function unknownField(path: readonly string[], source: Source): ApiErrorObject {
  const key = path[path.length - 1];
  return errorObject(path, source, 'unknown_field', `property ${key} should not exist`);
}

function errorObject(
  path: readonly string[],
  source: Source,
  code: string,
  message: string,
): ApiErrorObject {
  const name = path.join('.');
  return {
    status: '400',
    code,
    title: source === 'parameter' ? 'Invalid parameter' : 'Invalid field',
    detail: `${name} ${message}`,
    source: source === 'parameter' ? { parameter: name } : { pointer: jsonPointer(path) },
  };
}

function flatten(failures: ValidationError[], source: Source, prefix: string[]): ApiErrorObject[] {
  const out: ApiErrorObject[] = [];
  for (const f of failures) {
    const path = [...prefix, f.property];
    for (const message of Object.values(f.constraints ?? {})) {
      const detail = message.startsWith(`${f.property} `)
        ? message.slice(f.property.length + 1)
        : message;
      out.push(
        errorObject(
          path,
          source,
          f.constraints?.whitelistValidation
            ? 'unknown_field'
            : source === 'parameter'
              ? 'invalid_parameter'
              : 'invalid_field',
          detail,
        ),
      );
    }
    if (f.children?.length) out.push(...flatten(f.children, source, path));
  }
  return out;
}
