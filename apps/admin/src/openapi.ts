import { readFileSync } from 'node:fs';
import type { INestApplication } from '@nestjs/common';
import { createAuditOpenApiDocument, OpenApiDocument } from '@auditkit/nestjs/admin';

/** Where the admin app serves its OpenAPI document. */
export const OPENAPI_PATH = '/admin/v1/openapi.json';

/** The public URL of the committed docs/openapi.json: the default `PUBLIC_URL`. */
export const DEFAULT_PUBLIC_URL = 'http://localhost:3000';

/** The library's version: the document describes the API of this package. */
export function packageVersion(): string {
  const file = require.resolve('@auditkit/nestjs/package.json');
  return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
}

/**
 * The admin app's OpenAPI 3.1 document: every controller route (from the library's decorators),
 * plus the document's own route, which the app serves outside any controller.
 */
export function adminOpenApiDocument(app: INestApplication, publicUrl: string): OpenApiDocument {
  const document = createAuditOpenApiDocument(app, {
    version: packageVersion(),
    servers: [{ url: publicUrl, description: 'This admin app (PUBLIC_URL)' }],
  });
  document.paths[OPENAPI_PATH] = {
    get: {
      operationId: 'openapi_document',
      summary: 'This document (OpenAPI 3.1, JSON)',
      tags: ['documentation'],
      responses: {
        200: {
          description: 'The OpenAPI document.',
          content: { 'application/json': { schema: { type: 'object' } } },
        },
      },
    },
  };
  return document;
}

/** Serves the document as JSON at {@link OPENAPI_PATH}; call before `listen`/`init`. */
export function serveOpenApi(app: INestApplication, publicUrl: string): OpenApiDocument {
  const document = adminOpenApiDocument(app, publicUrl);
  const body = JSON.stringify(document);
  app.getHttpAdapter().get(OPENAPI_PATH, (_req: unknown, res: any) => {
    res.setHeader('Content-Type', 'application/json; charset=utf-8');
    res.setHeader('Cache-Control', 'no-cache');
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.end(body);
  });
  return document;
}

/** The committed file's text: the document for the default public URL, two-space JSON. */
export function committedOpenApiText(app: INestApplication): string {
  return JSON.stringify(adminOpenApiDocument(app, DEFAULT_PUBLIC_URL), null, 2) + '\n';
}
