import { mkdir, open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { SignedCheckpoint } from '../checkpoint';
import type { CheckpointWitness } from './checkpoint-witness.interface';

/**
 * An append-only directory: one NDJSON file per org, opened for appending and synced after each
 * line. Point it at storage the database's owner cannot rewrite (another host's mount, a volume
 * with object lock, a directory only this process may append to).
 */
export class FileCheckpointWitness implements CheckpointWitness {
  readonly name: string;

  constructor(private readonly directory: string) {
    this.name = `file:${directory}`;
  }

  async publish(checkpoint: SignedCheckpoint): Promise<void> {
    await mkdir(this.directory, { recursive: true });
    const file = await open(this.fileOf(checkpoint.org), 'a', 0o640);
    try {
      await file.appendFile(`${JSON.stringify(checkpoint)}\n`);
      await file.sync();
    } finally {
      await file.close();
    }
  }

  async read(orgId: string): Promise<SignedCheckpoint[]> {
    let text: string;
    try {
      text = await readFile(this.fileOf(orgId), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    const out: SignedCheckpoint[] = [];
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      // A torn last line (a crash mid-append) is not a checkpoint; everything before it is.
      try {
        out.push(JSON.parse(line) as SignedCheckpoint);
      } catch {
        continue;
      }
    }
    return out;
  }

  private fileOf(orgId: string): string {
    // Org ids are the host's; encoding keeps any of them a single plain file name.
    return join(this.directory, `${encodeURIComponent(orgId).replace(/\./g, '%2E')}.ndjson`);
  }
}
