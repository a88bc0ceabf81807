import { constants } from 'node:fs';
import { FileHandle, open, rename, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { DeliveredEvent, DeliveryBatch, DeliveryError, DestinationTransport } from './transport';

/** Options of {@link FileTransport}. */
export interface FileTransportOptions {
  /** The NDJSON file to append to; its directory must exist. Rotated files sit beside it. */
  path: string;
  /**
   * Rotate before a batch would take the file past this size, in bytes (a single batch bigger
   * than this gets a file of its own). @default 104857600 (100 MiB)
   */
  maxBytes?: number;
  /** Rotated files kept (`<path>.1`, the newest, to `<path>.<maxFiles>`). @default 5 */
  maxFiles?: number;
  /** Mode of the files; an existing file is set to it too. @default 0o600 */
  mode?: number;
}

/** One line of the file: the event with where it sits in the org's sequence and its batch. */
export interface FileTransportLine {
  org: string;
  destination: string;
  seq: number;
  batch: { first: number; last: number; lastHash: string | null };
  event: DeliveredEvent;
}

// Errors a retry cannot fix: the path itself is wrong or forbidden.
const PERMANENT = new Set(['EACCES', 'EPERM', 'ENOENT', 'ENOTDIR', 'EISDIR', 'EROFS', 'ELOOP']);
// Enough of a file's end to hold its last line; a longer last line is read whole anyway.
const TAIL_CHUNK = 64 * 1024;

function check(ok: boolean, option: string, rule: string): void {
  if (!ok) throw new TypeError(`FileTransport: option "${option}" ${rule}`);
}

const keyOf = (org: string, destination: string) => JSON.stringify([org, destination]);

/**
 * Appends each batch to a rotating NDJSON file for a shipping agent (Filebeat, Vector, Fluent Bit)
 * to tail. A line per event ({@link FileTransportLine}); `deliver` resolves once the lines are
 * fsync'd. Rotation renames (`<path>` → `<path>.1` → ... → `<path>.<maxFiles>`), which agents
 * tailing `<path>*` follow by inode.
 *
 * A batch offered again after a lost acknowledgement (a crash between fsync and the dispatcher's
 * cursor update) is not written twice: the transport learns from the file's last line the highest
 * seq written for the org and destination, and skips events at or below it. A torn last line
 * (a crash mid-write) is cut off first: its batch was never acknowledged and comes again.
 */
export class FileTransport implements DestinationTransport {
  private readonly path: string;
  private readonly maxBytes: number;
  private readonly maxFiles: number;
  private readonly mode: number;
  /** The highest seq on disk per org and destination; null until read from the file. */
  private written: Map<string, number> | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(options: FileTransportOptions) {
    const { path, maxBytes = 100 * 1024 * 1024, maxFiles = 5, mode = 0o600 } = options;
    check(typeof path === 'string' && path.trim() !== '', 'path', 'is required');
    check(Number.isInteger(maxBytes) && maxBytes >= 1024, 'maxBytes', 'must be at least 1024');
    check(Number.isInteger(maxFiles) && maxFiles >= 1, 'maxFiles', 'must be at least 1');
    check(Number.isInteger(mode) && mode >= 0 && mode <= 0o777, 'mode', 'must be 0 to 0o777');
    this.path = path;
    this.maxBytes = maxBytes;
    this.maxFiles = maxFiles;
    this.mode = mode;
  }

  /** Appends the batch's events not yet in the file and fsyncs them. Calls run one at a time. */
  deliver(batch: DeliveryBatch, signal?: AbortSignal): Promise<void> {
    const run = this.queue.then(() => this.append(batch, signal));
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Waits for a delivery in progress; later deliveries reject. */
  async close(): Promise<void> {
    this.closed = true;
    await this.queue;
  }

  private async append(batch: DeliveryBatch, signal?: AbortSignal): Promise<void> {
    if (this.closed) throw new DeliveryError('file transport is closed');
    if (signal?.aborted) throw new DeliveryError('file delivery aborted');
    // Skipping what is written relies on seq; an event without one is never silently dropped.
    if (!batch.events.every((e) => Number.isInteger(seqOf(e))))
      throw new DeliveryError('file delivery: an event has no integer attributes.seq', true);
    try {
      // A test batch holds no event: opening the file for appending says whether it can be written.
      if (batch.test && batch.events.length === 0) return await (await this.openCurrent()).close();
      this.written ??= await this.recover();
      const key = keyOf(batch.orgId, batch.destinationId);
      const done = this.written.get(key) ?? 0;
      const fresh = batch.events.filter((e) => seqOf(e) > done);
      if (fresh.length === 0) return;
      const text = fresh.map((event) => `${JSON.stringify(lineOf(batch, event))}\n`).join('');
      await this.write(Buffer.from(text, 'utf8'));
      this.written.set(key, seqOf(fresh[fresh.length - 1]));
    } catch (err) {
      // The next attempt reads the file again: a failed write may have left a torn tail.
      this.written = null;
      if (err instanceof DeliveryError) throw err;
      const { code = '', message } = err as NodeJS.ErrnoException;
      throw new DeliveryError(`audit file ${this.path}: ${message}`, PERMANENT.has(code));
    }
  }

  /** Appends `data` whole or not at all, rotating first when it would overflow the file. */
  private async write(data: Buffer): Promise<void> {
    let file = await this.openCurrent();
    try {
      let { size } = await file.stat();
      if (size > 0 && size + data.length > this.maxBytes) {
        await file.close();
        await this.rotate();
        file = await this.openCurrent();
        size = 0;
      }
      try {
        await file.appendFile(data);
        await file.sync();
      } catch (err) {
        // A partial append (a full disk) is cut off, so the retry starts on a whole line.
        await file.truncate(size).catch(() => undefined);
        throw err;
      }
    } finally {
      await file.close().catch(() => undefined);
    }
  }

  private async openCurrent(): Promise<FileHandle> {
    const created = !(await exists(this.path));
    const file = await open(
      this.path,
      constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT,
      this.mode,
    );
    try {
      // The process umask may have taken bits away; an existing file may have had other ones.
      if (((await file.stat()).mode & 0o777) !== this.mode) await file.chmod(this.mode);
      if (created) await syncDir(dirname(this.path));
    } catch (err) {
      await file.close();
      throw err;
    }
    return file;
  }

  private async rotate(): Promise<void> {
    for (let i = this.maxFiles - 1; i >= 1; i--) {
      const from = `${this.path}.${i}`;
      if (await exists(from)) await rename(from, `${this.path}.${i + 1}`);
    }
    await rename(this.path, `${this.path}.1`);
    await syncDir(dirname(this.path));
  }

  /**
   * The highest seq on disk per org and destination, from the last line of the current file, or
   * of `<path>.1` when a crash came between a rotation and the next write.
   */
  private async recover(): Promise<Map<string, number>> {
    const written = new Map<string, number>();
    for (const path of [this.path, `${this.path}.1`]) {
      const last = await lastLine(path, path === this.path);
      if (last === null) continue;
      const line = parseLine(last);
      // Appending to a file that is not ours could corrupt someone else's data.
      if (!line)
        throw new DeliveryError(`audit file ${path} does not end with an AuditKit line`, true);
      written.set(keyOf(line.org, line.destination), line.seq);
      break;
    }
    return written;
  }
}

function count(buf: Buffer, byte: number): number {
  let n = 0;
  for (let at = buf.indexOf(byte); at !== -1; at = buf.indexOf(byte, at + 1)) n++;
  return n;
}

function seqOf(event: DeliveredEvent): number {
  const seq = (event.attributes as { seq?: unknown } | undefined)?.seq;
  return typeof seq === 'number' ? seq : Number(seq);
}

function parseLine(text: string): FileTransportLine | null {
  try {
    const line = JSON.parse(text) as Partial<FileTransportLine> | null;
    const ok =
      typeof line?.org === 'string' &&
      typeof line.destination === 'string' &&
      Number.isInteger(line.seq);
    return ok ? (line as FileTransportLine) : null;
  } catch {
    return null;
  }
}

function lineOf(batch: DeliveryBatch, event: DeliveredEvent): FileTransportLine {
  return {
    org: batch.orgId,
    destination: batch.destinationId,
    seq: seqOf(event),
    batch: { first: batch.firstSeq, last: batch.lastSeq, lastHash: batch.lastHash },
    event,
  };
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return false;
      throw err;
    },
  );
}

/** Makes a rename or a new file in `dir` durable (POSIX needs the directory fsync'd too). */
async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, constants.O_RDONLY);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * The last complete line of `path`, or null if it has none or does not exist. With `repair`, a
 * torn tail (bytes after the last newline) is cut off and the file fsync'd.
 */
async function lastLine(path: string, repair: boolean): Promise<string | null> {
  let file: FileHandle;
  try {
    file = await open(path, repair ? constants.O_RDWR : constants.O_RDONLY);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  try {
    const { size } = await file.stat();
    // Read backwards until the tail holds the last line's start (two newlines) or the file's.
    let tail = Buffer.alloc(0);
    let from = size;
    while (from > 0 && count(tail, 0x0a) < 2) {
      const chunk = Buffer.alloc(Math.min(TAIL_CHUNK, from));
      from -= chunk.length;
      await file.read(chunk, 0, chunk.length, from);
      tail = Buffer.concat([chunk, tail]);
    }
    const lastNl = tail.lastIndexOf(0x0a);
    const whole = from + lastNl + 1;
    if (repair && whole < size) {
      await file.truncate(whole);
      await file.sync();
    }
    if (lastNl === -1) return null;
    const start = lastNl > 0 ? tail.lastIndexOf(0x0a, lastNl - 1) + 1 : 0;
    const line = tail.subarray(start, lastNl).toString('utf8');
    return line === '' ? null : line;
  } finally {
    await file.close();
  }
}
