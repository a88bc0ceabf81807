/* eslint-disable @typescript-eslint/no-require-imports -- jest.isolateModules loads the shim afresh per case, with and without @nestjs/swagger, and only require can do that. */
import 'reflect-metadata';

// What Node says when a package is not installed.
const notInstalled = () =>
  Object.assign(new Error("Cannot find module '@nestjs/swagger'\nRequire stack:\n- x.js"), {
    code: 'MODULE_NOT_FOUND',
  });

describe('the @nestjs/swagger shim', () => {
  afterEach(() => jest.dontMock('@nestjs/swagger'));

  it('with @nestjs/swagger installed, hands out its own decorators', () => {
    jest.isolateModules(() => {
      const shim = require('./swagger') as typeof import('./swagger');
      const swagger = require('@nestjs/swagger') as typeof import('@nestjs/swagger');
      expect(shim.swaggerAvailable).toBe(true);
      expect(shim.ApiTags).toBe(swagger.ApiTags);
      expect(shim.ApiProperty).toBe(swagger.ApiProperty);
      @shim.ApiTags('events')
      class Tagged {}
      expect(Reflect.getMetadata('swagger/apiUseTags', Tagged)).toEqual(['events']);
    });
  });

  it('without it, every decorator does nothing and the admin controllers still load', () => {
    jest.isolateModules(() => {
      jest.doMock('@nestjs/swagger', () => {
        throw notInstalled();
      });
      const shim = require('./swagger') as typeof import('./swagger');
      expect(shim.swaggerAvailable).toBe(false);
      @shim.ApiTags('events')
      @shim.ApiExtraModels()
      class Plain {
        @shim.ApiProperty({ type: String }) name!: string;
        @shim.ApiOperation({ summary: 'x' })
        @shim.ApiResponse({ status: 200 })
        method() {
          return 1;
        }
      }
      expect(Reflect.getMetadataKeys(Plain).filter((k) => String(k).startsWith('swagger'))).toEqual(
        [],
      );
      expect(new Plain().method()).toBe(1);
      // The controllers and DTOs that carry the decorators load without the package.
      const events = require('../../admin/events.controller');
      const exports = require('../../export/exports.controller');
      const download = require('../../export/export-download.controller');
      expect(events.EventsController).toBeDefined();
      expect(exports.ExportsController).toBeDefined();
      expect(download.ExportDownloadController).toBeDefined();
      const { createAuditOpenApiDocument } = require('./document');
      expect(() => createAuditOpenApiDocument({}, { version: '1' })).toThrow(
        'The OpenAPI document needs @nestjs/swagger',
      );
    });
  });

  it('a broken install is an error, not a silently undocumented app', () => {
    const { loadSwagger } = require('./swagger') as typeof import('./swagger');
    const broken = Object.assign(new Error("Cannot find module 'swagger-ui-dist'"), {
      code: 'MODULE_NOT_FOUND',
    });
    expect(() =>
      loadSwagger(() => {
        throw broken;
      }),
    ).toThrow(broken);
    expect(
      loadSwagger(() => {
        throw notInstalled();
      }),
    ).toBeUndefined();
  });
});

describe('toOpenApi31', () => {
  it('turns nullable into a null type, or a oneOf for a reference', () => {
    const { toOpenApi31 } = require('./document') as typeof import('./document');
    expect(
      toOpenApi31({
        a: { type: 'string', nullable: true },
        b: { type: 'object', nullable: true, allOf: [{ $ref: '#/x' }], description: 'd' },
        c: { type: 'integer', nullable: false },
      }),
    ).toEqual({
      a: { type: ['string', 'null'] },
      b: { description: 'd', oneOf: [{ type: 'null' }, { allOf: [{ $ref: '#/x' }] }] },
      c: { type: 'integer' },
    });
  });
});
