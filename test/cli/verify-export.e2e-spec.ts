import { spawnSync } from 'node:child_process';
import { generateKeyPairSync, hash, KeyObject } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { keyIdOf, signExportManifest } from '@auditkit/nestjs';
import { EXPORT_CSV_COLUMNS } from '@auditkit/nestjs/export';

// The CLI as users run it: the built binary (`npm test` builds first, see package.json pretest).
const CLI = join(__dirname, '..', '..', 'dist', 'apps', 'admin', 'src', 'cli.js');

const HEADER = `${EXPORT_CSV_COLUMNS.join(',')}\r\n`;
const ROWS =
  '2026-11-25T17:04:06.000Z,Jane Doe,jane@acme.test,Group created,group_created,Groups,,,,,success,01JD7Z8Y6X5W4V3T2S1R0Q9P8N\r\n' +
  '2026-11-25T17:04:05.000Z,"Doe, John",,User invited,user_invited,Users,"Bob\r\nLi",,,,failure,01JD7Z8Y6X5W4V3T2S1R0Q9P8M\r\n';

function manifestFor(
  csv: string,
  privateKey: KeyObject,
  publicKey: KeyObject,
  over: {
    rowCount?: number;
    seqRange?: { first: number; last: number } | null;
    truncated?: boolean;
  } = {},
) {
  return signExportManifest(
    {
      v: 1,
      type: 'auditkit-export-manifest',
      org: 'acme',
      exportId: '01JD7Z8Y6X5W4V3T2S1R0Q9P8Z',
      filters: { category: 'groups' },
      rowCount: over.rowCount ?? 2,
      truncated: over.truncated ?? false,
      seqRange: over.seqRange === undefined ? { first: 7, last: 9 } : over.seqRange,
      sha256: hash('sha256', Buffer.from(csv), 'hex'),
      chainHead: { seq: 12, hash: 'd'.repeat(64) },
      createdAt: Date.UTC(2026, 10, 25, 17, 5),
      keyId: keyIdOf(publicKey),
    },
    privateKey,
  );
}

describe('auditkit verify-export, offline', () => {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const retired = generateKeyPairSync('ed25519');
  const dirs: string[] = [];

  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  /** A directory with only these files; the CLI runs there with no configuration. */
  function within(files: Record<string, string>) {
    const dir = mkdtempSync(join(tmpdir(), 'auditkit-verify-'));
    dirs.push(dir);
    for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
    const run = (args: string[], env: Record<string, string> = {}) => {
      const r = spawnSync(process.execPath, [CLI, 'verify-export', ...args], {
        cwd: dir,
        env: { PATH: process.env.PATH, ...env },
        encoding: 'utf8',
        timeout: 60_000,
      });
      return { code: r.status, out: r.stdout, err: r.stderr };
    };
    return { dir, run };
  }

  const pem = (key: KeyObject) => key.export({ type: 'spki', format: 'pem' }) as string;
  const csv = HEADER + ROWS;

  it('needs no database or configuration, even where the admin app would refuse to start', () => {
    const { dir, run } = within({
      'a.csv': csv,
      'a.json': JSON.stringify(manifestFor(csv, privateKey, publicKey)),
      'key.pem': pem(publicKey),
    });
    // In production without AUDITKIT_JWT_SECRET the app's configuration is an error (exit 2).
    const r = run(['a.csv', 'a.json', '--public-key', 'key.pem'], { NODE_ENV: 'production' });
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toBe(
      `intact: 2 rows, seq 7..9, sha256 ${hash('sha256', Buffer.from(csv), 'hex')}, signed by key ${keyIdOf(publicKey)}\n` +
        `export 01JD7Z8Y6X5W4V3T2S1R0Q9P8Z of org acme, filters {"category":"groups"}, chain head seq 12 (hash ${'d'.repeat(64)}), signed at 2026-11-25T17:05:00.000Z\n`,
    );
    // No data directory, no secret file: the directory holds what it held.
    expect(readdirSync(dir).sort()).toEqual(['a.csv', 'a.json', 'key.pem']);
  });

  it('reads the key as PEM, as a JWK, or from the key set the key endpoint publishes', () => {
    const jwk = (key: KeyObject, current: boolean) => ({
      ...key.export({ format: 'jwk' }),
      kid: keyIdOf(key),
      current,
    });
    const { run } = within({
      'a.csv': csv,
      'a.json': JSON.stringify(manifestFor(csv, privateKey, publicKey)),
      'key.jwk': JSON.stringify(publicKey.export({ format: 'jwk' })),
      'keys.json': JSON.stringify({ keys: [jwk(retired.publicKey, true), jwk(publicKey, false)] }),
      'other.json': JSON.stringify({ keys: [jwk(retired.publicKey, true)] }),
    });
    expect(run(['a.csv', 'a.json', '--public-key', 'key.jwk']).code).toBe(0);
    // The manifest's key is picked from the set by the id computed from each key.
    expect(run(['a.csv', 'a.json', '--public-key', 'keys.json']).code).toBe(0);
    const other = run(['a.csv', 'a.json', '--public-key', 'other.json']);
    expect(other.code).toBe(3);
    expect(other.err).toContain(`signed with key ${keyIdOf(publicKey)}, not with`);
  });

  it('says so for an empty or truncated export', () => {
    const { run } = within({
      'empty.csv': HEADER,
      'empty.json': JSON.stringify(
        manifestFor(HEADER, privateKey, publicKey, { rowCount: 0, seqRange: null }),
      ),
      'cut.csv': csv,
      'cut.json': JSON.stringify(manifestFor(csv, privateKey, publicKey, { truncated: true })),
      'key.pem': pem(publicKey),
    });
    const empty = run(['empty.csv', 'empty.json', '--public-key', 'key.pem']);
    expect(empty.code).toBe(0);
    expect(empty.out).toMatch(/^intact: 0 rows, seq none, sha256 /);
    const cut = run(['cut.csv', 'cut.json', '--public-key', 'key.pem']);
    expect(cut.code).toBe(0);
    expect(cut.out).toContain('truncated: more events matched the filters than the file holds');
  });

  it('refuses a manifest that is not one, exit 3', () => {
    const { run } = within({
      'a.csv': csv,
      'broken.json': '{"v":1,',
      'other.json': JSON.stringify({ hello: 'world' }),
      'key.pem': pem(publicKey),
    });
    const broken = run(['a.csv', 'broken.json', '--public-key', 'key.pem']);
    expect(broken.code).toBe(3);
    expect(broken.err).toContain('- the manifest is not JSON');
    const other = run(['a.csv', 'other.json', '--public-key', 'key.pem']);
    expect(other.code).toBe(3);
    expect(other.err).toContain('- the manifest is not an AuditKit export manifest (v1)');
  });

  it('answers usage errors with exit 2 and the usage', () => {
    const { run } = within({
      'a.csv': csv,
      'a.json': JSON.stringify(manifestFor(csv, privateKey, publicKey)),
      'key.pem': pem(publicKey),
      'junk.pem': 'not a key',
    });
    const cases: [string[], string][] = [
      [[], 'verify-export needs the CSV file and its manifest'],
      [['a.csv', '--public-key', 'key.pem'], 'verify-export needs the CSV file and its manifest'],
      [['a.csv', 'a.json'], '--public-key is required'],
      [
        ['a.csv', 'a.json', '--public-key', 'missing.pem'],
        'cannot read the public key missing.pem',
      ],
      [['nope.csv', 'a.json', '--public-key', 'key.pem'], 'cannot read the export file nope.csv'],
      [['a.csv', 'a.json', '--public-key', 'junk.pem'], '--public-key: not a public key'],
      [['a.csv', 'a.json', '--public-key', 'key.pem', '--bogus'], "Unknown option '--bogus'"],
    ];
    for (const [args, message] of cases) {
      const r = run(args);
      expect({ args, code: r.code }).toEqual({ args, code: 2 });
      expect(r.err).toContain(message);
      expect(r.err).toContain('verify-export FILE.csv MANIFEST.json --public-key KEY');
    }
  });
});
