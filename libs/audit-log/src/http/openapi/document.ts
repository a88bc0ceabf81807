import type { INestApplication } from '@nestjs/common';
import { BEARER_SCHEME, SESSION_COOKIE_SCHEME } from './decorators';
import { AUDIT_API_SCHEMAS } from './schemas';
import { loadSwagger } from './swagger';

/** What {@link createAuditOpenApiDocument} needs besides the app. */
export interface AuditOpenApiOptions {
  /** @default 'AuditKit admin API' */
  title?: string;
  /** The API's version, e.g. the package version. */
  version: string;
  description?: string;
  /** Where clients reach the API (the mount path included). */
  servers?: { url: string; description?: string }[];
}

/** An OpenAPI 3.1 document, as JSON. */
export type OpenApiDocument = Record<string, unknown> & {
  openapi: string;
  paths: Record<string, Record<string, Record<string, unknown>>>;
  components: { schemas: Record<string, unknown> } & Record<string, unknown>;
};

const DESCRIPTION =
  'The REST API of the AuditKit admin plugin and its export routes. The contract in words is ' +
  'docs/api.md; errors are `{ "errors": [ { "status", "code", "title", "detail", "source" } ] }`.';

/**
 * The OpenAPI 3.1 document of the app's routes, built by `@nestjs/swagger` from the decorators
 * of the controllers (http/openapi/decorators.ts) plus the response schemas of schemas.ts.
 * Needs `@nestjs/swagger`; throws a clear error without it.
 */
export function createAuditOpenApiDocument(
  app: INestApplication,
  options: AuditOpenApiOptions,
): OpenApiDocument {
  const swagger = loadSwagger();
  if (!swagger) {
    throw new Error('The OpenAPI document needs @nestjs/swagger: npm install @nestjs/swagger');
  }
  const builder = new swagger.DocumentBuilder()
    .setOpenAPIVersion('3.1.0')
    .setTitle(options.title ?? 'AuditKit admin API')
    .setDescription(options.description ?? DESCRIPTION)
    .setVersion(options.version)
    .addBearerAuth(
      { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'docs/api.md section 3' },
      BEARER_SCHEME,
    )
    .addCookieAuth(
      'auditkit_session',
      { type: 'apiKey', in: 'cookie', name: 'auditkit_session', description: 'The web UI session' },
      SESSION_COOKIE_SCHEME,
    );
  for (const server of options.servers ?? []) builder.addServer(server.url, server.description);
  const document = swagger.SwaggerModule.createDocument(app, builder.build(), {
    // Stable, readable ids: `EventsController_list` rather than a numbered suffix.
    operationIdFactory: (controller: string, method: string) => `${controller}_${method}`,
  }) as unknown as OpenApiDocument;
  document.components = {
    ...document.components,
    schemas: { ...(document.components?.schemas ?? {}), ...AUDIT_API_SCHEMAS },
  };
  return toOpenApi31(document) as OpenApiDocument;
}

/**
 * `@nestjs/swagger` 11 writes `openapi: 3.1.0` but still emits 3.0 idioms for the classes it
 * describes; this is the one place they are turned into 3.1 (JSON Schema 2020-12):
 * `nullable: true` becomes a `null` in `type` (or a `oneOf` with a `$ref`).
 */
export function toOpenApi31(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(toOpenApi31);
  if (node === null || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) out[k] = toOpenApi31(v);
  if (out.nullable === true) {
    delete out.nullable;
    // A reference cannot take a `null` in its type: null or the referenced schema.
    if (out.$ref !== undefined || out.allOf !== undefined) {
      const { description, type: _type, ...rest } = out;
      return {
        ...(description !== undefined ? { description } : {}),
        oneOf: [{ type: 'null' }, rest],
      };
    }
    if (typeof out.type === 'string') out.type = [out.type, 'null'];
    else if (Array.isArray(out.type) && !out.type.includes('null'))
      out.type = [...out.type, 'null'];
  } else if (out.nullable === false) {
    delete out.nullable;
  }
  return out;
}
