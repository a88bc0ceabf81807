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

const SHA256_HEX = /^[0-9a-f]{64}$/;
const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;
const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** The first field of a would-be manifest that is missing or of the wrong kind, if any. */
function malformedField(m: Record<string, unknown>): string | undefined {
  const range = m.seqRange;
  const head = m.chainHead;
  const checks: [string, boolean][] = [
    ['org', typeof m.org === 'string'],
    ['exportId', typeof m.exportId === 'string'],
    ['filters', isObject(m.filters)],
    ['rowCount', isCount(m.rowCount)],
    ['truncated', typeof m.truncated === 'boolean'],
    [
      'seqRange',
      range === null || (isObject(range) && isCount(range.first) && isCount(range.last)),
    ],
    ['sha256', typeof m.sha256 === 'string' && SHA256_HEX.test(m.sha256)],
    [
      'chainHead',
      isObject(head) && isCount(head.seq) && (head.hash === null || typeof head.hash === 'string'),
    ],
    ['createdAt', isCount(m.createdAt)],
    ['keyId', typeof m.keyId === 'string'],
    ['signature', typeof m.signature === 'string'],
  ];
  return checks.find(([, ok]) => !ok)?.[0];
}

/** A manifest written without a signing key: `keyId` and `signature` are empty. */
export function isUnsignedExportManifest(manifest: SignedExportManifest): boolean {
  return manifest.keyId === '' && manifest.signature === '';
}

/**
 * Checks a CSV file against its signed manifest with nothing but the public key: the signature,
 * the key id, the file's SHA-256 and its data row count. An unsigned manifest (made without a
 * signing key) never passes: anyone who controls the server could have written it.
 */
export function verifyExportFile(
  file: Buffer,
  manifest: SignedExportManifest,
  publicKey: KeyObject,
  publicKeyId: string,
): ExportVerification {
  const problems: string[] = [];
  if (!isObject(manifest) || manifest.type !== 'auditkit-export-manifest' || manifest.v !== 1) {
    return { ok: false, problems: ['the manifest is not an AuditKit export manifest (v1)'] };
  }
  const malformed = malformedField(manifest as unknown as Record<string, unknown>);
  if (malformed) {
    return {
      ok: false,
      problems: [`the manifest's ${malformed} is missing or malformed`],
    };
  }
  if (isUnsignedExportManifest(manifest)) {
    problems.push(
      'the manifest is unsigned (no signing key was configured when the export was made), so it proves nothing against someone who controls the server',
    );
  } else {
    if (manifest.keyId !== publicKeyId) {
      problems.push(`the manifest was signed with key ${manifest.keyId}, not with ${publicKeyId}`);
    }
    let signed = false;
    try {
      signed = verify(
        null,
        manifestSigningInput(manifest),
        publicKey,
        Buffer.from(manifest.signature, 'base64url'),
      );
    } catch {
      signed = false;
    }
    if (!signed) problems.push('the manifest signature is not valid for this public key');
  }
  const digest = hash('sha256', file, 'hex');
  if (digest !== manifest.sha256) {
    problems.push(`the file's SHA-256 is ${digest}, the manifest says ${manifest.sha256}`);
  }
  const rows = Math.max(0, countCsvRows(file) - 1);
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
