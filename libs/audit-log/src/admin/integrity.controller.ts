import { Controller, Get, Param, Req, UseFilters, UseGuards } from '@nestjs/common';
import type { Request } from 'express';
import type { ChainReport } from '../integrity/chain-verifier';
import type { SignedCheckpoint } from '../integrity/checkpoint';
import { IntegrityService } from '../integrity/integrity.service';
import { AdminAuthGuard } from './admin-auth.guard';
import { requireWholeLog, viewerOf } from './viewer-tokens/narrow';
import { RequirePermission } from '../http/require-permission.decorator';
import { ApiExceptionFilter } from '../http/api-error';
import { ApiAdminAuth, ApiErrors, ApiJson } from '../http/openapi/decorators';
import { ApiOperation, ApiParam, ApiTags } from '../http/openapi/swagger';

/** The integrity of an org's log (docs/integrity.md), and the keys that sign its checkpoints. */
@Controller('admin/v1')
@ApiTags('integrity')
@UseGuards(AdminAuthGuard)
@UseFilters(ApiExceptionFilter)
export class IntegrityController {
  constructor(private readonly integrity: IntegrityService) {}

  /**
   * Verifies the org's chain now: against its checkpoints, the readable witnesses, and its state.
   * It only reads, so recording goes on while it runs.
   */
  @Get('orgs/:orgId/integrity')
  @ApiOperation({ summary: "The org's chain verified now (org-admin; docs/integrity.md)" })
  @ApiAdminAuth()
  @ApiParam({ name: 'orgId', description: 'The organization.' })
  @ApiJson(200, 'IntegrityReport', 'The verification report.')
  @ApiErrors(401, 403, 503)
  @RequirePermission('read')
  async report(@Param('orgId') orgId: string, @Req() req: Request) {
    requireWholeLog(viewerOf(req), 'The integrity report');
    const [report, latest] = await Promise.all([
      this.integrity.verify(orgId),
      this.integrity.checkpoints.latest(orgId),
    ]);
    return { data: integrityResource(report, latest ?? null) };
  }

  /** The public keys checkpoints and export manifests are signed with, current and retired. */
  @Get('integrity/keys')
  @ApiOperation({ summary: 'The public keys of checkpoints and manifests (anyone)' })
  @ApiJson(200, 'KeySet', 'A JWK set, current and retired keys.')
  keys() {
    return { keys: this.integrity.keys?.published() ?? [] };
  }
}

function checkpointView(cp: SignedCheckpoint | null) {
  if (!cp) return null;
  return {
    seq: cp.seq,
    head: cp.head,
    count: cp.count,
    kind: cp.kind,
    signedAt: new Date(cp.time).toISOString(),
    keyId: cp.keyId || null,
    signed: cp.signature !== '',
    ...(cp.purge ? { purge: cp.purge } : {}),
    signature: cp.signature || null,
  };
}

function integrityResource(report: ChainReport, latest: SignedCheckpoint | null) {
  return {
    id: report.orgId,
    type: 'integrity',
    attributes: {
      // Verified means vouched for by a signature that was checked, nothing less.
      status: !report.ok
        ? 'broken'
        : report.verifiedThrough?.signature && report.signaturesChecked
          ? 'verified'
          : 'unsigned',
      ok: report.ok,
      checkedEvents: report.checked,
      headSeq: report.headSeq,
      startSeq: report.start.seq,
      verifiedThrough: checkpointView(report.verifiedThrough),
      unsignedEvents: report.unsigned,
      latestCheckpoint: checkpointView(latest),
      lastPurgeCheckpoint: checkpointView(report.start.purge),
      signaturesChecked: report.signaturesChecked,
      checkpoints: report.checkpoints,
      problems: report.problems,
    },
  };
}
