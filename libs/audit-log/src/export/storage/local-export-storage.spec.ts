import { mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { InvalidExportStorageKeyException } from '../exceptions/invalid-export-storage-key.exception';
import { LocalExportStorage } from './local-export-storage';

async function readAll(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) {
    chunks.push(Buffer.from(chunk));
  }
  return Buffer.concat(chunks).toString('utf8');
}

describe('LocalExportStorage', () => {
  let root: string;
  let dir: string;
  let storage: LocalExportStorage;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'auditkit-storage-'));
    dir = join(root, 'exports', 'nested');
    storage = new LocalExportStorage({ directory: dir });
  });

  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('writes, reads, sizes and deletes a file', async () => {
    const content = 'Date,Actor\r\n2026-11-25T17:04:05.123Z,Zoë 😀\r\n';
    await expect(storage.write('exp-1.csv', Readable.from([content]))).resolves.toBe(
      Buffer.byteLength(content),
    );
    expect(await storage.exists('exp-1.csv')).toBe(true);
    expect(await storage.size('exp-1.csv')).toBe(Buffer.byteLength(content));
    expect(await readAll((await storage.createReadStream('exp-1.csv'))!)).toBe(content);
    expect(await readdir(dir)).toEqual(['exp-1.csv']);

    await storage.delete('exp-1.csv');
    expect(await storage.exists('exp-1.csv')).toBe(false);
    expect(await storage.size('exp-1.csv')).toBeNull();
    expect(await storage.createReadStream('exp-1.csv')).toBeNull();
    await expect(storage.delete('exp-1.csv')).resolves.toBeUndefined();
  });

  it('answers a missing key before anything was written', async () => {
    expect(await storage.exists('nope')).toBe(false);
    expect(await storage.size('nope')).toBeNull();
    expect(await storage.createReadStream('nope')).toBeNull();
    await expect(storage.delete('nope')).resolves.toBeUndefined();
  });

  it('accepts async iterables and replaces an existing file', async () => {
    await storage.write('a', Readable.from(['old content']));
    async function* parts(): AsyncGenerator<Uint8Array | string> {
      yield 'new ';
      yield Buffer.from('content');
    }
    await storage.write('a', parts());
    expect(await readFile(join(dir, 'a'), 'utf8')).toBe('new content');
  });

  it('never exposes a half-written file and cleans up after a failed source', async () => {
    const source = new PassThrough();
    const writing = storage.write('exp-2.csv', source);
    source.write('first half,');
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await storage.exists('exp-2.csv')).toBe(false);
    expect(await storage.createReadStream('exp-2.csv')).toBeNull();

    source.destroy(new Error('worker crashed'));
    await expect(writing).rejects.toThrow('worker crashed');
    expect(await storage.exists('exp-2.csv')).toBe(false);
    expect(await readdir(dir)).toEqual([]);
  });

  it('keeps the previous file when a replacement fails', async () => {
    await storage.write('exp-3.csv', Readable.from(['complete']));
    async function* broken(): AsyncGenerator<string> {
      yield 'partial';
      throw new Error('boom');
    }
    await expect(storage.write('exp-3.csv', broken())).rejects.toThrow('boom');
    expect(await readFile(join(dir, 'exp-3.csv'), 'utf8')).toBe('complete');
  });

  it.each([
    '../escape',
    '..',
    '.',
    '.hidden',
    'a/b',
    'a\\b',
    '/etc/passwd',
    '',
    'a\u0000b',
    'spaces not ok',
    'ünïcode',
    'x'.repeat(201),
  ])('rejects the key %j in every method', async (key) => {
    await expect(storage.write(key, Readable.from(['x']))).rejects.toBeInstanceOf(
      InvalidExportStorageKeyException,
    );
    for (const call of [
      () => storage.createReadStream(key),
      () => storage.exists(key),
      () => storage.size(key),
      () => storage.delete(key),
    ]) {
      await expect(call()).rejects.toBeInstanceOf(InvalidExportStorageKeyException);
    }
  });

  it('does not touch files outside its directory', async () => {
    await writeFile(join(root, 'secret.txt'), 'top secret');
    await storage.write('ok', Readable.from(['x']));
    await expect(storage.delete('../../secret.txt')).rejects.toThrow(
      InvalidExportStorageKeyException,
    );
    expect(await readFile(join(root, 'secret.txt'), 'utf8')).toBe('top secret');
  });

  it('accepts the full key alphabet', async () => {
    const key = 'Az09._-'.padEnd(200, 'x');
    await storage.write(key, Readable.from(['ok']));
    expect(await storage.size(key)).toBe(2);
  });

  it('removes temporary files a dead writer left, and only old ones', async () => {
    const source = new PassThrough();
    const writing = storage.write('live.csv', source);
    source.write('in progress');
    await new Promise((resolve) => setTimeout(resolve, 20));
    await storage.write('done.csv', Readable.from(['ok']));
    await writeFile(join(dir, '.dead.csv.0123456789abcdef.tmp'), 'half');
    await writeFile(join(dir, '.notours'), 'keep');
    const old = new Date(Date.now() - 2 * 3600_000);
    await utimes(join(dir, '.dead.csv.0123456789abcdef.tmp'), old, old);
    await utimes(join(dir, '.notours'), old, old);

    expect(await storage.removeIncomplete(new Date(Date.now() - 3600_000))).toBe(1);
    const left = (await readdir(dir)).sort();
    expect(left.filter((n) => n.startsWith('.live.csv.'))).toHaveLength(1);
    expect(left.filter((n) => !n.startsWith('.live.csv.'))).toEqual(['.notours', 'done.csv']);

    source.end();
    await writing;
    expect(await storage.removeIncomplete(new Date(Date.now() + 3600_000))).toBe(0);
    expect(
      await new LocalExportStorage({ directory: join(root, 'missing') }).removeIncomplete(
        new Date(),
      ),
    ).toBe(0);
  });
});
