import { generateKeyPairSync, hash } from 'node:crypto';
import {
  countCsvRows,
  ExportManifestBody,
  signExportManifest,
  verifyExportFile,
} from './export-manifest';
import { keyIdOf } from './signing-keys';

describe('export manifests', () => {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const other = generateKeyPairSync('ed25519');
  const keyId = keyIdOf(publicKey);
  const csv = Buffer.from(
    'Date,Actor,Targets\r\n2026-11-25T17:04:05.123Z,Jane,"Bob\r\nLi"\r\n2026-11-25T17:04:06.000Z,"=1+1",x\r\n',
  );
  const body: ExportManifestBody = {
    v: 1,
    type: 'auditkit-export-manifest',
    org: 'acme',
    exportId: '01JD7Z8Y6X5W4V3T2S1R0Q9P8N',
    filters: { q: 'Jane' },
    rowCount: 2,
    truncated: false,
    seqRange: { first: 3, last: 9 },
    sha256: hash('sha256', csv, 'hex'),
    chainHead: { seq: 12, hash: 'd'.repeat(64) },
    createdAt: 1764083045123,
    keyId,
  };

  it('verifies the file it was made for', () => {
    const manifest = signExportManifest(body, privateKey);
    expect(verifyExportFile(csv, manifest, publicKey, keyId)).toEqual({ ok: true, problems: [] });
  });

  it('names each problem: an edited file, an edited manifest, another key', () => {
    const manifest = signExportManifest(body, privateKey);
    const edited = Buffer.from(csv.toString().replace('Jane', 'Joan'));
    expect(verifyExportFile(edited, manifest, publicKey, keyId).problems).toEqual([
      expect.stringContaining("the file's SHA-256"),
    ]);
    const cut = Buffer.from(csv.toString().split('\r\n').slice(0, 3).join('\r\n') + '\r\n');
    expect(verifyExportFile(cut, manifest, publicKey, keyId).problems).toHaveLength(2);
    const forged = { ...manifest, rowCount: 3 };
    expect(verifyExportFile(csv, forged, publicKey, keyId).problems).toEqual([
      'the manifest signature is not valid for this public key',
      'the file has 2 data rows, the manifest says 3',
    ]);
    const wrongKey = verifyExportFile(csv, manifest, other.publicKey, keyIdOf(other.publicKey));
    expect(wrongKey.ok).toBe(false);
    expect(wrongKey.problems[0]).toContain('signed with key');
  });

  it('never passes an unsigned manifest, and still checks the file against it', () => {
    const unsigned = { ...body, keyId: '', signature: '' };
    const problems = verifyExportFile(csv, unsigned, publicKey, keyId).problems;
    expect(problems).toEqual([expect.stringContaining('the manifest is unsigned')]);
    const cut = Buffer.from(csv.toString().split('\r\n').slice(0, 2).join('\r\n') + '\r\n');
    expect(verifyExportFile(cut, unsigned, publicKey, keyId).problems).toHaveLength(3);
  });

  it('names a missing or malformed field instead of throwing', () => {
    const manifest = signExportManifest(body, privateKey);
    for (const [field, value] of [
      ['sha256', 'not-hex'],
      ['rowCount', -1],
      ['seqRange', { first: 'a', last: 2 }],
      ['chainHead', null],
      ['signature', undefined],
    ] as const) {
      const broken = { ...manifest, [field]: value };
      expect(verifyExportFile(csv, broken, publicKey, keyId).problems).toEqual([
        `the manifest's ${field} is missing or malformed`,
      ]);
    }
    for (const notManifest of [null, [], { ...manifest, v: 2 }, { ...manifest, type: 'x' }]) {
      expect(verifyExportFile(csv, notManifest as never, publicKey, keyId).problems).toEqual([
        'the manifest is not an AuditKit export manifest (v1)',
      ]);
    }
  });

  it('counts RFC 4180 records, quoted line breaks included', () => {
    expect(countCsvRows(csv)).toBe(3);
    expect(countCsvRows(Buffer.from('a,b'))).toBe(1);
    expect(countCsvRows(Buffer.from(''))).toBe(0);
    expect(countCsvRows(Buffer.from('"x\n""y"""\r\n'))).toBe(1);
  });
});
