import {
  Controller,
  Get,
  Inject,
  Logger,
  Query,
  Req,
  Res,
  UseFilters,
  UseGuards,
} from '@nestjs/common';
import type { Request, Response } from 'express';
import { pipeline } from 'node:stream/promises';
import { apiError, ApiExceptionFilter } from '../http/api-error';
import { RateLimit } from '../http/rate-limit.decorator';
import { RateLimitGuard } from '../http/rate-limit.guard';
import { AuditWriteError } from '../exceptions/audit-write.exception';
import { AuditService } from '../recording/audit.service';
import { clientIp, userAgent } from '../recording/request-event';
import { ExportLinkSigner } from './export-link-signer';
import { ResolvedAuditExportOptions } from './export-options.interface';
import { effectiveStatus, exportManifestKey } from './export-record';
import { ExportRepository } from './export-repository';
import {
  AUDIT_EXPORT_LINK_SIGNER,
  AUDIT_EXPORT_RESOLVED_OPTIONS,
  AUDIT_EXPORT_STORAGE,
  MANIFEST_FILE,
} from './export.internal-constants';
import type { ExportStorage } from './storage/export-storage.interface';
import { ApiErrors } from '../http/openapi/decorators';
import { ApiOperation, ApiProduces, ApiQuery, ApiResponse, ApiTags } from '../http/openapi/swagger';
import { schemaRef } from '../http/openapi/schemas';

const EXPIRED = 'This download link has expired. Export the audit log again to get a new link.';
const INVALID =
  'This download link is not valid. Use the whole link from the e-mail, or export the audit log again.';
const GONE_FILE =
  'This export is no longer available. Export the audit log again to get a new file.';
const BAD_FILE = `file must be "${MANIFEST_FILE}" (the export's manifest) or absent (its CSV file).`;

/** `audit-log-<org>-<yyyy-mm-dd>.csv`, with anything unusual in the org id replaced. */
export function exportFileName(orgId: string, madeAt: Date): string {
  const org = orgId.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 64);
  return `audit-log-${org}-${madeAt.toISOString().slice(0, 10)}.csv`;
}

/**
 * The e-mailed links: `GET {publicUrl}/admin/v1/exports/download?token=...` serves the CSV file,
 * and with `&file=manifest` its signed manifest (docs/integrity.md), under the same rules. The
 * signed token is the only credential; it names one export of one org and expires
 * `linkTtlHours` after the file was ready. Every download is recorded as `audit_log_downloaded`
 * by the export's requester (with `file: "manifest"` in its metadata for the manifest).
 */
@Controller('admin/v1/exports')
@ApiTags('exports')
@UseGuards(RateLimitGuard)
@UseFilters(ApiExceptionFilter)
export class ExportDownloadController {
  private readonly logger = new Logger('AuditExport');

  constructor(
    @Inject(AUDIT_EXPORT_RESOLVED_OPTIONS) private readonly options: ResolvedAuditExportOptions,
    @Inject(AUDIT_EXPORT_LINK_SIGNER) private readonly signer: ExportLinkSigner,
    @Inject(AUDIT_EXPORT_STORAGE) private readonly storage: ExportStorage,
    private readonly repository: ExportRepository,
    private readonly audit: AuditService,
  ) {}

  @Get('download')
  @ApiOperation({ summary: 'The e-mailed link: the CSV file, or with file=manifest its manifest' })
  @ApiQuery({
    name: 'token',
    required: true,
    description: 'The signed token of the e-mailed link.',
  })
  @ApiQuery({ name: 'file', required: false, enum: [MANIFEST_FILE], description: 'The manifest.' })
  @ApiProduces('text/csv', 'application/json')
  @ApiResponse({
    status: 200,
    description: 'The file (an attachment); `Content-Disposition` names it.',
    content: {
      'text/csv': { schema: { type: 'string' } },
      'application/json': { schema: schemaRef('ExportManifest') },
    },
  })
  @ApiErrors(400, 403, 404, 410, 429, 503)
  @RateLimit('downloads')
  async download(
    @Query('token') token: unknown,
    @Query('file') file: unknown,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    if (file !== undefined && file !== MANIFEST_FILE) throw apiError(400, BAD_FILE);
    const manifest = file === MANIFEST_FILE;
    const now = this.options.clock.now();
    if (typeof token !== 'string' || !token) throw apiError(403, INVALID, 'invalid_link');
    const link = this.signer.verify(token, now);
    if (!link.ok) {
      throw link.reason === 'expired'
        ? apiError(410, EXPIRED, 'link_expired')
        : apiError(403, INVALID, 'invalid_link');
    }
    const record = await this.repository.findInOrg(link.orgId, link.exportId);
    if (!record) throw apiError(404, GONE_FILE);
    const status = effectiveStatus(record, now.getTime());
    if (status === 'expired') throw apiError(410, EXPIRED, 'link_expired');
    // A link is only ever made for the export's one expiry; another one was not made by us.
    if (status !== 'ready' || record.expiresAt !== link.expiresAt.getTime() || !record.storageKey) {
      throw apiError(403, INVALID, 'invalid_link');
    }
    const key = manifest ? exportManifestKey(record.id) : record.storageKey;
    const [content, size] = await Promise.all([
      this.storage.createReadStream(key),
      this.storage.size(key),
    ]);
    if (!content) throw apiError(404, GONE_FILE);
    try {
      await this.audit.record({
        orgId: record.orgId,
        action: 'audit_log_downloaded',
        actor: {
          id: record.requestedBy,
          type: 'user',
          name: record.requesterName ?? undefined,
          email: record.requesterEmail ?? undefined,
        },
        location: { ip: clientIp(req), userAgent: userAgent(req) },
        metadata: manifest ? { exportId: record.id, file: MANIFEST_FILE } : { exportId: record.id },
      });
    } catch (err) {
      content.destroy();
      // A download that cannot be audited is refused, like any request under fail-closed.
      if (err instanceof AuditWriteError)
        throw apiError(503, 'The download could not be recorded; try again.');
      throw err;
    }
    const csvName = exportFileName(record.orgId, new Date(record.readyAt ?? record.createdAt));
    const name = manifest ? csvName.replace(/\.csv$/, '.manifest.json') : csvName;
    res.status(200);
    res.setHeader('Content-Type', manifest ? 'application/json' : 'text/csv; charset=utf-8');
    res.setHeader('Content-Disposition', `attachment; filename="${name}"`);
    if (size !== null) res.setHeader('Content-Length', String(size));
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
    try {
      await pipeline(content, res);
    } catch (err) {
      // The response is already under way, so nothing can be answered any more. A client that
      // hangs up (a cancelled download, or one that stops reading at Content-Length) is normal;
      // a file that cannot be read is worth a line.
      if ((err as NodeJS.ErrnoException).code !== 'ERR_STREAM_PREMATURE_CLOSE') {
        this.logger.warn(`Export ${record.id} download ended early: ${(err as Error).message}`);
      }
    }
  }
}
