import { hash, KeyObject, sign, verify } from 'node:crypto';
import { canonicalize } from './canonical-json';

/**
 * What an export's signed manifest states about its CSV file. With the file, the manifest and
 * the public key, anyone can check offline that the file is the one AuditKit produced.
 */
export interface ExportManifestBody {
  v: 1;
  type: 'auditkit-export-manifest';
  org: string;
  exportId: string;
  /** The filters the export was asked with, as the API describes them. */
  filters: Record<string, unknown>;
  rowCount: number;
  /** More events matched than the row cap allowed. */
  truncated: boolean;
  /** The lowest and highest seq among the exported rows, or null for an empty file. */
  seqRange: { first: number; last: number } | null;
  /** SHA-256 of the CSV file's bytes, hex. */
  sha256: string;
  /** The org's chain head when the file was written. */
  chainHead: { seq: number; hash: string | null };
  /** Epoch ms when the manifest was signed. */
  createdAt: number;
  keyId: string;
}

export interface SignedExportManifest extends ExportManifestBody {
  /** Ed25519 signature, base64url, over `manifestSigningInput(body)`. */
  signature: string;
}

function manifestSigningInput(body: ExportManifestBody): Buffer {
  const { signature: _drop, ...rest } = body as SignedExportManifest;
  void _drop;
  return Buffer.from(`auditkit.export-manifest.v1\n${canonicalize(rest)}`, 'utf8');
}

/** Signs a manifest body with the Ed25519 checkpoint key. */
export function signExportManifest(
  body: ExportManifestBody,
  privateKey: KeyObject,
): SignedExportManifest {
  const signature = sign(null, manifestSigningInput(body), privateKey).toString('base64url');
  return { ...body, signature };
}

/** The result of checking a downloaded export against its manifest. */
export interface ExportVerification {
  ok: boolean;
  /** Each failed check, in words; empty when ok. */
  problems: string[];
}

/**
 * Checks a CSV file against its signed manifest with nothing but the public key: the signature,
 * the key id, the file's SHA-256 and its data row count.
 */
export function verifyExportFile(
  file: Buffer,
  manifest: SignedExportManifest,
  publicKey: KeyObject,
  publicKeyId: string,
): ExportVerification {
  const problems: string[] = [];
  if (manifest?.type !== 'auditkit-export-manifest' || manifest.v !== 1) {
    return { ok: false, problems: ['the manifest is not an AuditKit export manifest (v1)'] };
  }
  if (manifest.keyId !== publicKeyId) {
    problems.push(`the manifest was signed with key ${manifest.keyId}, not with ${publicKeyId}`);
  }
  let signed = false;
  try {
    signed = verify(
      null,
      manifestSigningInput(manifest),
      publicKey,
      Buffer.from(String(manifest.signature), 'base64url'),
    );
  } catch {
    signed = false;
  }
  if (!signed) problems.push('the manifest signature is not valid for this public key');
  const digest = hash('sha256', file, 'hex');
  if (digest !== manifest.sha256) {
    problems.push(`the file's SHA-256 is ${digest}, the manifest says ${manifest.sha256}`);
  }
  const rows = countCsvRows(file) - 1;
  if (rows !== manifest.rowCount) {
    problems.push(`the file has ${rows} data rows, the manifest says ${manifest.rowCount}`);
  }
  return { ok: problems.length === 0, problems };
}

/** Records in an RFC 4180 file (quoted fields may hold line breaks). */
export function countCsvRows(file: Buffer): number {
  const text = file.toString('utf8');
  let rows = 0;
  let quoted = false;
  let empty = true;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') quoted = !quoted;
    else if (c === '\n' && !quoted) {
      rows += 1;
      empty = true;
      continue;
    } else if (c !== '\r') empty = false;
    if (c === '"') empty = false;
  }
  return empty ? rows : rows + 1;
}
