import {
  appendFileSync,
  chmodSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  FileTransport,
  FileTransportLine,
} from '../../libs/audit-log/src/destinations/transports/file-transport';
import { DeliveryError } from '../../libs/audit-log/src/destinations/transports/transport';
import { batchesOf, batchOf, hashOf, seqRange } from '../support/rsyslog-batches';

const ORG = 'acme';

describe('FileTransport (rotating NDJSON for shipping agents)', () => {
  let dir: string;
  let path: string;
  const transports: FileTransport[] = [];

  const transport = (options: { maxBytes?: number; maxFiles?: number; mode?: number } = {}) => {
    const t = new FileTransport({ path, ...options });
    transports.push(t);
    return t;
  };

  /** Every line of the file and its rotated ones, oldest first. */
  const linesOf = (file = path): FileTransportLine[] => {
    const rotated = readdirSync(dir)
      .filter((f) => /\.\d+$/.test(f))
      .map((f) => Number(f.slice(f.lastIndexOf('.') + 1)))
      .sort((a, b) => b - a)
      .map((n) => `${file}.${n}`);
    return [...rotated, file]
      .filter((f) => existsSync(f))
      .flatMap((f) => readFileSync(f, 'utf8').split('\n'))
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as FileTransportLine);
  };
  const seqsOf = (lines: FileTransportLine[]) => lines.map((l) => l.seq);

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'auditkit-file-'));
    path = join(dir, 'audit.ndjson');
  });

  afterEach(async () => {
    await Promise.all(transports.splice(0).map((t) => t.close()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('appends a line per event carrying its seq and its batch, in a 0600 file', async () => {
    const t = transport();
    await t.deliver(batchOf(ORG, 1, 3));
    await t.deliver(batchOf(ORG, 4, 5));
    const lines = linesOf();
    expect(seqsOf(lines)).toEqual([1, 2, 3, 4, 5]);
    expect(lines[0]).toEqual({
      org: ORG,
      destination: 'dest-1',
      seq: 1,
      batch: { first: 1, last: 3, lastHash: hashOf(ORG, 3) },
      event: batchOf(ORG, 1, 3).events[0],
    });
    expect(lines[4].batch).toEqual({ first: 4, last: 5, lastHash: hashOf(ORG, 5) });
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it('sets the mode of a file that existed with another one', async () => {
    writeFileSync(path, '');
    chmodSync(path, 0o644);
    await transport().deliver(batchOf(ORG, 1, 1));
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it('rotates by size, keeping every seq exactly once and in order across the files', async () => {
    const t = transport({ maxBytes: 8 * 1024, maxFiles: 50 });
    for (const batch of batchesOf(ORG, 200, 7)) await t.deliver(batch);
    const files = readdirSync(dir);
    expect(files.length).toBeGreaterThan(3);
    for (const f of files) {
      expect(statSync(join(dir, f)).size).toBeLessThanOrEqual(8 * 1024);
      expect(statSync(join(dir, f)).mode & 0o777).toBe(0o600);
    }
    expect(seqsOf(linesOf())).toEqual(seqRange(1, 200));
  });

  it('keeps maxFiles rotated files, the newest ones', async () => {
    const t = transport({ maxBytes: 4 * 1024, maxFiles: 2 });
    for (const batch of batchesOf(ORG, 200, 5)) await t.deliver(batch);
    expect(readdirSync(dir).sort()).toEqual(['audit.ndjson', 'audit.ndjson.1', 'audit.ndjson.2']);
    const seqs = seqsOf(linesOf());
    // What is left is the end of the sequence, without a gap.
    expect(seqs).toEqual(seqRange(seqs[0], 200));
  });

  it('does not write a re-offered batch twice, in this process or after a restart', async () => {
    await transport().deliver(batchOf(ORG, 1, 10));
    await transport().deliver(batchOf(ORG, 11, 20));
    // The dispatcher crashed before recording 11..20 and offers it again, then 11..25.
    const restarted = transport();
    await restarted.deliver(batchOf(ORG, 11, 20));
    await restarted.deliver(batchOf(ORG, 11, 25));
    await restarted.deliver(batchOf(ORG, 21, 25));
    expect(seqsOf(linesOf())).toEqual(seqRange(1, 25));
    // The lines of 21..25 name the batch they came in.
    expect(linesOf()[24].batch).toEqual({ first: 11, last: 25, lastHash: hashOf(ORG, 25) });
  });

  it('remembers the last seq across a rotation that no write followed', async () => {
    await transport().deliver(batchOf(ORG, 1, 12));
    // A crash right after a rotation: the rotated file holds the last line, no current file.
    renameSync(path, `${path}.1`);
    const restarted = transport();
    await restarted.deliver(batchOf(ORG, 10, 12));
    expect(existsSync(path)).toBe(false);
    await restarted.deliver(batchOf(ORG, 13, 15));
    expect(seqsOf(linesOf())).toEqual(seqRange(1, 15));
  });

  it('cuts a torn last line and writes its batch again whole', async () => {
    await transport().deliver(batchOf(ORG, 1, 5));
    // A crash in the middle of appending 6..8: half a line, never acknowledged.
    appendFileSync(path, JSON.stringify({ org: ORG, destination: 'dest-1', seq: 6 }).slice(0, 20));
    await transport().deliver(batchOf(ORG, 6, 8));
    const text = readFileSync(path, 'utf8');
    expect(text.endsWith('\n')).toBe(true);
    expect(seqsOf(linesOf())).toEqual(seqRange(1, 8));
  });

  it('keeps destinations apart: each one has its own last seq', async () => {
    const t = transport();
    await t.deliver(batchOf(ORG, 1, 3, 'dest-1'));
    await t.deliver(batchOf(ORG, 1, 2, 'dest-2'));
    await t.deliver(batchOf(ORG, 1, 3, 'dest-1'));
    expect(linesOf().map((l) => `${l.destination}:${l.seq}`)).toEqual([
      'dest-1:1',
      'dest-1:2',
      'dest-1:3',
      'dest-2:1',
      'dest-2:2',
    ]);
  });

  it('fails permanently on a missing directory, a directory path, or a file that is not its own', async () => {
    const cases = [
      new FileTransport({ path: join(dir, 'missing', 'audit.ndjson') }),
      new FileTransport({ path: dir }),
    ];
    writeFileSync(join(dir, 'other.log'), 'a line of something else\n');
    cases.push(new FileTransport({ path: join(dir, 'other.log') }));
    for (const t of cases) {
      const error = await t.deliver(batchOf(ORG, 1, 1)).then(
        () => null,
        (err: unknown) => err,
      );
      expect(error).toBeInstanceOf(DeliveryError);
      expect((error as DeliveryError).permanent).toBe(true);
      await t.close();
    }
    expect(readFileSync(join(dir, 'other.log'), 'utf8')).toBe('a line of something else\n');
  });

  it('opens the file for a test batch (no event), writing nothing; fails where it cannot write', async () => {
    const probe = { ...batchOf(ORG, 1, 0), events: [], test: true };
    const ok = new FileTransport({ path: join(dir, 'probe.ndjson') });
    await ok.deliver(probe);
    expect(readFileSync(join(dir, 'probe.ndjson'), 'utf8')).toBe('');
    await ok.close();
    const missing = new FileTransport({ path: join(dir, 'missing', 'probe.ndjson') });
    const error = await missing.deliver(probe).then(
      () => null,
      (err: unknown) => err,
    );
    expect(error).toBeInstanceOf(DeliveryError);
    expect((error as DeliveryError).permanent).toBe(true);
    await missing.close();
  });

  it('rejects options it cannot work with', () => {
    expect(() => new FileTransport({ path: '' })).toThrow(/path/);
    expect(() => new FileTransport({ path, maxBytes: 10 })).toThrow(/maxBytes/);
    expect(() => new FileTransport({ path, maxFiles: 0 })).toThrow(/maxFiles/);
  });
});
