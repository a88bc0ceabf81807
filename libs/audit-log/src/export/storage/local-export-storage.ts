import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, open, readdir, rename, stat, unlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  assertExportStorageKey,
  type ExportStorage,
  type ExportStorageSource,
} from './export-storage.interface';

/** Options of {@link LocalExportStorage}. */
export interface LocalExportStorageOptions {
  /** The directory export files are kept in; created on the first write. */
  directory: string;
}

const TEMP_FILE = /^\.[A-Za-z0-9_-][A-Za-z0-9._-]{0,199}\.[0-9a-f]{16}\.tmp$/;

function isNotFound(err: unknown): boolean {
  return (err as NodeJS.ErrnoException)?.code === 'ENOENT';
}

/**
 * Keeps export files in one local directory. Each write goes to a hidden temporary file that is
 * renamed over the key only when complete, so a download never serves a partial file. Files are
 * created readable by the owner only, as they hold an org's audit trail.
 */
export class LocalExportStorage implements ExportStorage {
  private readonly directory: string;

  constructor(options: LocalExportStorageOptions) {
    if (!options?.directory) {
      throw new TypeError('LocalExportStorage needs a directory');
    }
    this.directory = resolve(options.directory);
  }

  async write(key: string, source: ExportStorageSource): Promise<number> {
    const target = this.pathOf(key);
    await mkdir(this.directory, { recursive: true });
    // Keys never start with a dot, so a temporary file can never be read or overwritten as a key.
    const temp = join(this.directory, `.${key}.${randomBytes(8).toString('hex')}.tmp`);
    const file = createWriteStream(temp, { flags: 'wx', mode: 0o600, flush: true });
    try {
      await pipeline(source, file);
      await rename(temp, target);
    } catch (err) {
      await unlink(temp).catch(() => undefined);
      throw err;
    }
    return file.bytesWritten;
  }

  async createReadStream(key: string): Promise<Readable | null> {
    const path = this.pathOf(key);
    try {
      // Opening first makes a missing file a null rather than a stream that errors later, and
      // keeps serving the opened file even if it is deleted or replaced meanwhile.
      const handle = await open(path, 'r');
      return handle.createReadStream();
    } catch (err) {
      if (isNotFound(err)) {
        return null;
      }
      throw err;
    }
  }

  async exists(key: string): Promise<boolean> {
    return (await this.size(key)) !== null;
  }

  async size(key: string): Promise<number | null> {
    try {
      const stats = await stat(this.pathOf(key));
      return stats.isFile() ? stats.size : null;
    } catch (err) {
      if (isNotFound(err)) {
        return null;
      }
      throw err;
    }
  }

  async delete(key: string): Promise<void> {
    try {
      await unlink(this.pathOf(key));
    } catch (err) {
      if (!isNotFound(err)) {
        throw err;
      }
    }
  }

  async removeIncomplete(olderThan: Date): Promise<number> {
    let names: string[];
    try {
      names = await readdir(this.directory);
    } catch (err) {
      if (isNotFound(err)) {
        return 0;
      }
      throw err;
    }
    let removed = 0;
    for (const name of names) {
      // Only our own temporary files: a dot, a key, a random suffix, `.tmp`.
      if (!TEMP_FILE.test(name)) {
        continue;
      }
      const path = join(this.directory, name);
      try {
        const stats = await stat(path);
        // A write in progress keeps touching its file; an old one belongs to a dead process.
        if (stats.isFile() && stats.mtimeMs < olderThan.getTime()) {
          await unlink(path);
          removed += 1;
        }
      } catch (err) {
        if (!isNotFound(err)) {
          throw err;
        }
      }
    }
    return removed;
  }

  private pathOf(key: string): string {
    assertExportStorageKey(key);
    return join(this.directory, key);
  }
}
