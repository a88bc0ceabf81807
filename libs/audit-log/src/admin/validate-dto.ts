import { plainToInstance } from 'class-transformer';
import { validateSync, ValidationError } from 'class-validator';
import { ApiErrorObject, ApiException } from './api-error';

type Source = 'parameter' | 'pointer';

/**
 * class-validator on a plain value, with every failure answered as a 400 naming the query
 * parameter or the body field (JSON pointer). Unknown properties are refused, not ignored.
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
  const instance = plainToInstance(cls, plain);
  const failures = validateSync(instance, {
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: false,
  });
  if (failures.length) throw new ApiException(400, flatten(failures, source, ''));
  return instance;
}

function flatten(failures: ValidationError[], source: Source, prefix: string): ApiErrorObject[] {
  const out: ApiErrorObject[] = [];
  for (const f of failures) {
    const path =
      source === 'pointer'
        ? `${prefix}/${f.property}`
        : prefix
          ? `${prefix}.${f.property}`
          : f.property;
    const name = source === 'pointer' ? path.slice(1).replace(/\//g, '.') : path;
    for (const message of Object.values(f.constraints ?? {})) {
      const detail = message.startsWith(`${f.property} `)
        ? `${name}${message.slice(f.property.length)}`
        : `${name} ${message}`;
      out.push({
        status: '400',
        code: f.constraints?.whitelistValidation
          ? 'unknown_field'
          : source === 'parameter'
            ? 'invalid_parameter'
            : 'invalid_field',
        title: source === 'parameter' ? 'Invalid parameter' : 'Invalid field',
        detail,
        source: source === 'parameter' ? { parameter: name } : { pointer: path },
      });
    }
    if (f.children?.length) out.push(...flatten(f.children, source, path));
  }
  return out;
}
