import type { Request } from 'express';
import { principalAndOrg, RateLimitTable } from '../http/rate-limit';
import { ExportLinkSigner } from './export-link-signer';
import { ResolvedAuditExportOptions } from './export-options.interface';

/**
 * The export routes' limits: POST exports per admin and org; downloads per link (the link names
 * one export of one admin and org, and is the only credential), or per client IP for a link
 * that is not valid.
 */
export function exportRateLimits(
  options: ResolvedAuditExportOptions,
  signer: ExportLinkSigner,
): RateLimitTable {
  const { exports, downloads, storage } = options.rateLimit;
  const limits: RateLimitTable['limits'] = {};
  if (exports) limits.exports = { ...exports, key: principalAndOrg };
  if (downloads) {
    limits.downloads = {
      ...downloads,
      key: (req: Request) => {
        const token = req.query?.token;
        // Expiry does not matter here: an expired link is counted like a valid one.
        const link = typeof token === 'string' ? signer.verify(token, new Date(0)) : undefined;
        return link?.ok
          ? JSON.stringify(['link', link.orgId, link.exportId])
          : JSON.stringify(['ip', req.ip ?? '']);
      },
    };
  }
  return { limits, storage };
}
