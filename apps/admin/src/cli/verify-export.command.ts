import type { KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import {
  keyIdOf,
  parsePublicKey,
  SignedExportManifest,
  SigningKeyError,
  verifyExportFile,
} from '@auditkit/nestjs';
import { parseOptions, UsageError } from './args';

async function read(path: string, what: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (err) {
    throw new UsageError(`cannot read ${what} ${path}: ${(err as NodeJS.ErrnoException).code}`);
  }
}

function isoTime(ms: number): string {
  const date = new Date(ms);
  return Number.isNaN(date.getTime()) ? `${ms} ms` : date.toISOString();
}

/**
 * The public keys in a key file: one PEM, one JWK, or a JWK set `{ "keys": [...] }` as
 * `GET /admin/v1/integrity/keys` publishes it, each with the id computed from the key itself.
 */
function publicKeys(text: string): { key: KeyObject; id: string }[] {
  try {
    const trimmed = text.trim();
    const set: unknown = trimmed.startsWith('{') ? JSON.parse(trimmed) : undefined;
    const jwks = (set as { keys?: unknown } | undefined)?.keys;
    const keys = Array.isArray(jwks)
      ? jwks.map((jwk) => parsePublicKey(JSON.stringify(jwk)))
      : [parsePublicKey(trimmed)];
    if (!keys.length) throw new SigningKeyError('the key set holds no key');
    return keys.map((key) => ({ key, id: keyIdOf(key) }));
  } catch (err) {
    const reason = err instanceof SyntaxError ? 'not JSON' : (err as Error).message;
    throw new UsageError(`--public-key: ${reason}`);
  }
}

/**
 * `verify-export FILE.csv MANIFEST.json --public-key KEY`: checks a downloaded export against
 * its signed manifest with nothing but the public key (no database, no configuration): the
 * manifest's signature and key id, the file's SHA-256 and its row count. Prints `intact: ...`
 * and returns 0 only when every check passes; otherwise prints each problem and returns 3. An
 * unsigned manifest (no signing key was configured) never passes.
 * @throws UsageError (exit 2) for a missing argument or a file or key that cannot be read
 */
export async function verifyExport(args: string[]): Promise<number> {
  const { values, positionals } = parseOptions(args, { 'public-key': { type: 'string' } }, true);
  if (positionals.length !== 2) {
    throw new UsageError(
      'verify-export needs the CSV file and its manifest: FILE.csv MANIFEST.json',
    );
  }
  const keyPath = values['public-key'];
  if (typeof keyPath !== 'string' || keyPath === '') {
    throw new UsageError('--public-key is required (a PEM or JWK file of the signing key)');
  }
  const [csvPath, manifestPath] = positionals;
  const file = await read(csvPath, 'the export file');
  const manifestText = await read(manifestPath, 'the manifest');
  const keys = publicKeys((await read(keyPath, 'the public key')).toString('utf8'));

  let manifest: SignedExportManifest | undefined;
  try {
    manifest = JSON.parse(manifestText.toString('utf8')) as SignedExportManifest;
  } catch {
    manifest = undefined;
  }
  // With a key set, the key the manifest names; it is trusted only because it is in the file.
  const chosen = keys.find((k) => k.id === manifest?.keyId) ?? keys[0];
  const result = manifest
    ? verifyExportFile(file, manifest, chosen.key, chosen.id)
    : { ok: false, problems: ['the manifest is not JSON'] };

  if (!result.ok || !manifest) {
    console.error(`NOT VERIFIED: ${csvPath} against ${manifestPath}`);
    for (const problem of result.problems) console.error(`- ${problem}`);
    return 3;
  }
  const range = manifest.seqRange;
  console.log(
    `intact: ${manifest.rowCount} rows, seq ${range ? `${range.first}..${range.last}` : 'none'}, ` +
      `sha256 ${manifest.sha256}, signed by key ${manifest.keyId}`,
  );
  console.log(
    `export ${manifest.exportId} of org ${manifest.org}, filters ${JSON.stringify(manifest.filters)}, ` +
      `chain head seq ${manifest.chainHead.seq} (hash ${manifest.chainHead.hash ?? 'none'}), ` +
      `signed at ${isoTime(manifest.createdAt)}`,
  );
  if (manifest.truncated) {
    console.log('truncated: more events matched the filters than the file holds (the newest ones)');
  }
  return 0;
}
