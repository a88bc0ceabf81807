/**
 * The few `@nestjs/swagger` decorators the controllers and DTOs use, loaded only when the package
 * is installed.
 *
 * Why a shim: `@nestjs/swagger` is an optional peer. A host that embeds the admin plugin without
 * it must still start, so no library file imports it at module load. When it is installed, these
 * are its own decorators and the OpenAPI document describes every route; when it is not, each one
 * is a decorator that does nothing (the routes work the same, only undocumented).
 */
import type * as SwaggerModuleType from '@nestjs/swagger';

/** The `@nestjs/swagger` package, as `require` returns it. */
export type Swagger = typeof SwaggerModuleType;

/**
 * `@nestjs/swagger` when it can be loaded, otherwise undefined. Only a missing `@nestjs/swagger`
 * itself counts as absent: a broken install (one of its own imports missing) is an error worth
 * seeing, not a reason to serve an app without documentation.
 */
export function loadSwagger(load: (id: string) => unknown = require): Swagger | undefined {
  try {
    return load('@nestjs/swagger') as Swagger;
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e?.code === 'MODULE_NOT_FOUND' && /@nestjs\/swagger['"]/.test(e.message)) return undefined;
    throw err;
  }
}

const swagger = loadSwagger();

/** Whether `@nestjs/swagger` is installed (and the decorators below record anything). */
export const swaggerAvailable = swagger !== undefined;

const noop = (): void => undefined;

// The no-op takes any arguments and returns a decorator that ignores its target, so it fits
// class, method and property positions alike.
function pick<K extends keyof Swagger>(name: K): Swagger[K] {
  const found = swagger?.[name];
  return (found ?? (() => noop)) as Swagger[K];
}

export const ApiTags = pick('ApiTags');
export const ApiOperation = pick('ApiOperation');
export const ApiParam = pick('ApiParam');
export const ApiQuery = pick('ApiQuery');
export const ApiBody = pick('ApiBody');
export const ApiHeader = pick('ApiHeader');
export const ApiResponse = pick('ApiResponse');
export const ApiProperty = pick('ApiProperty');
export const ApiPropertyOptional = pick('ApiPropertyOptional');
export const ApiBearerAuth = pick('ApiBearerAuth');
export const ApiCookieAuth = pick('ApiCookieAuth');
export const ApiSecurity = pick('ApiSecurity');
export const ApiExtraModels = pick('ApiExtraModels');
export const ApiExcludeController = pick('ApiExcludeController');
export const ApiExcludeEndpoint = pick('ApiExcludeEndpoint');
export const ApiProduces = pick('ApiProduces');
export const ApiConsumes = pick('ApiConsumes');
