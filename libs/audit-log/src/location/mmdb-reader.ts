import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

// A reader of MaxMind DB files (the open MMDB format that DB-IP and others publish), written
// here rather than taken from a package so that the core stays free of dependencies and the
// file need not sit in memory: it reads the pages a lookup walks, through a bounded cache.
// Format: a binary search tree over the address bits, 16 zero bytes, a data section of typed
// values, and a metadata map at the end after the marker below.

const METADATA_MARKER = Buffer.from('\xab\xcd\xefMaxMind.com', 'latin1');
const PAGE = 4096;

/** What an MMDB file says about itself. */
export interface MmdbMetadata {
  nodeCount: number;
  recordSize: 24 | 28 | 32;
  ipVersion: 4 | 6;
  databaseType: string;
  /** When the file was built, seconds since the epoch. */
  buildEpoch: number;
}

/** A value of the data section: maps, arrays, strings, numbers, booleans and bytes. */
export type MmdbValue =
  string | number | bigint | boolean | Buffer | MmdbValue[] | { [key: string]: MmdbValue };

/**
 * Fixed-size pages of a file, at most `maxPages` kept (the oldest read dropped first: cheaper
 * than least-recently-used, and the hot pages at the top of the tree are soon read again).
 */
class PagedFile {
  private readonly pages = new Map<number, Buffer>();

  constructor(
    private readonly fd: number,
    readonly size: number,
    private readonly maxPages: number,
  ) {}

  private page(n: number): Buffer {
    let page = this.pages.get(n);
    if (page) return page;
    const length = Math.min(PAGE, this.size - n * PAGE);
    page = Buffer.allocUnsafe(length);
    readSync(this.fd, page, 0, length, n * PAGE);
    this.pages.set(n, page);
    if (this.pages.size > this.maxPages) this.pages.delete(this.pages.keys().next().value!);
    return page;
  }

  byte(offset: number): number {
    if (offset >= this.size) throw new RangeError(`MMDB: offset ${offset} is past the end`);
    return this.page(Math.floor(offset / PAGE))[offset % PAGE];
  }

  bytes(offset: number, length: number): Buffer {
    if (offset + length > this.size) throw new RangeError(`MMDB: offset ${offset} is past the end`);
    const first = Math.floor(offset / PAGE);
    if (Math.floor((offset + length - 1) / PAGE) === first) {
      const start = offset % PAGE;
      return Buffer.from(this.page(first).subarray(start, start + length));
    }
    const out = Buffer.allocUnsafe(length);
    for (let i = 0; i < length; i++) out[i] = this.byte(offset + i);
    return out;
  }

  uint(offset: number, length: number): number {
    let v = 0;
    for (let i = 0; i < length; i++) v = v * 256 + this.byte(offset + i);
    return v;
  }
}

/**
 * Looks addresses up in one MMDB file. Synchronous: a lookup walks at most one tree node per
 * address bit, each a read from the page cache (a `pread` on a miss).
 */
export class MmdbReader {
  readonly metadata: MmdbMetadata;
  private readonly file: PagedFile;
  private readonly fd: number;
  private readonly treeSize: number;
  private readonly dataStart: number;
  private readonly ipv4Start: number;
  // Decoded records by offset: many addresses share one record, and decoding is most of a
  // lookup's cost. Bounded like the pages; the oldest dropped first.
  private readonly records = new Map<number, MmdbValue>();
  private readonly maxRecords: number;

  /**
   * `cachePages`: most 4 KiB pages kept in memory; `cacheRecords`: most decoded records kept.
   */
  constructor(path: string, cachePages = 4096, cacheRecords = 10_000) {
    this.maxRecords = Math.max(1, cacheRecords);
    this.fd = openSync(path, 'r');
    try {
      this.file = new PagedFile(this.fd, fstatSync(this.fd).size, Math.max(16, cachePages));
      const meta = this.readMetadata();
      this.metadata = meta;
      this.treeSize = (meta.nodeCount * meta.recordSize * 2) / 8;
      this.dataStart = this.treeSize + 16;
      // In an IPv6 tree, IPv4 addresses live under ::/96: walk 96 zero bits once.
      let node = 0;
      if (meta.ipVersion === 6) {
        for (let i = 0; i < 96 && node < meta.nodeCount; i++) node = this.record(node, 0);
      }
      this.ipv4Start = node;
    } catch (err) {
      closeSync(this.fd);
      throw err;
    }
  }

  /** Releases the file. */
  close(): void {
    closeSync(this.fd);
  }

  /**
   * The record of an address: 4 bytes (IPv4) or 16 (IPv6), network order. Undefined when the
   * file has none, or for an IPv6 address in an IPv4-only file.
   */
  lookup(address: Uint8Array): MmdbValue | undefined {
    const { nodeCount, ipVersion } = this.metadata;
    if (address.length === 16 && ipVersion === 4) return undefined;
    let node = address.length === 4 ? this.ipv4Start : 0;
    const bits = address.length * 8;
    for (let i = 0; i < bits && node < nodeCount; i++) {
      const bit = (address[i >> 3] >> (7 - (i & 7))) & 1;
      node = this.record(node, bit);
    }
    if (node === nodeCount) return undefined;
    if (node < nodeCount) throw new Error('MMDB: the search tree is deeper than the address');
    const offset = this.dataStart + (node - nodeCount - 16);
    let record = this.records.get(offset);
    if (record === undefined) {
      record = this.decodeAt(offset, this.dataStart).value;
      this.records.set(offset, record);
      if (this.records.size > this.maxRecords)
        this.records.delete(this.records.keys().next().value!);
    }
    return record;
  }

  private record(node: number, bit: number): number {
    const f = this.file;
    const size = this.metadata.recordSize;
    const base = (node * size * 2) / 8;
    if (size === 24) return f.uint(base + bit * 3, 3);
    if (size === 32) return f.uint(base + bit * 4, 4);
    // 28 bits: the middle byte's high nibble belongs to the left record, its low to the right.
    const middle = f.byte(base + 3);
    return bit === 0
      ? (middle >> 4) * 2 ** 24 + f.uint(base, 3)
      : (middle & 0x0f) * 2 ** 24 + f.uint(base + 4, 3);
  }

  private readMetadata(): MmdbMetadata {
    const size = this.file.size;
    const tailLength = Math.min(size, 128 * 1024);
    const tail = this.file.bytes(size - tailLength, tailLength);
    const at = tail.lastIndexOf(METADATA_MARKER);
    if (at < 0) throw new Error('MMDB: no metadata marker (not a MaxMind DB file?)');
    const start = size - tailLength + at + METADATA_MARKER.length;
    const m = this.decodeAt(start, start).value as Record<string, MmdbValue>;
    const recordSize = Number(m.record_size);
    const ipVersion = Number(m.ip_version);
    if (![24, 28, 32].includes(recordSize)) throw new Error(`MMDB: record size ${recordSize}`);
    if (ipVersion !== 4 && ipVersion !== 6) throw new Error(`MMDB: IP version ${ipVersion}`);
    return {
      nodeCount: Number(m.node_count),
      recordSize: recordSize as MmdbMetadata['recordSize'],
      ipVersion,
      databaseType: String(m.database_type ?? ''),
      buildEpoch: Number(m.build_epoch ?? 0),
    };
  }

  /** Decodes the value at `offset`; pointers are relative to `base` (the data section). */
  private decodeAt(offset: number, base: number): { value: MmdbValue; next: number } {
    const f = this.file;
    const control = f.byte(offset++);
    let type = control >> 5;
    if (type === 1) {
      // A pointer: its size bits say how many bytes follow; the value pointed at is read in place.
      const ss = (control >> 3) & 3;
      const vvv = control & 7;
      let p: number;
      if (ss === 0) p = vvv * 256 + f.byte(offset);
      else if (ss === 1) p = vvv * 65536 + f.uint(offset, 2) + 2048;
      else if (ss === 2) p = vvv * 16777216 + f.uint(offset, 3) + 526336;
      else p = f.uint(offset, 4);
      return { value: this.decodeAt(base + p, base).value, next: offset + ss + 1 };
    }
    if (type === 0) type = 7 + f.byte(offset++);
    let size = control & 0x1f;
    if (size === 29) size = 29 + f.byte(offset++);
    else if (size === 30) {
      size = 285 + f.uint(offset, 2);
      offset += 2;
    } else if (size === 31) {
      size = 65821 + f.uint(offset, 3);
      offset += 3;
    }
    switch (type) {
      case 2:
        return { value: f.bytes(offset, size).toString('utf8'), next: offset + size };
      case 3:
        return { value: f.bytes(offset, 8).readDoubleBE(0), next: offset + 8 };
      case 4:
        return { value: f.bytes(offset, size), next: offset + size };
      case 5:
      case 6:
        return { value: f.uint(offset, size), next: offset + size };
      case 7: {
        const map: Record<string, MmdbValue> = {};
        for (let i = 0; i < size; i++) {
          const key = this.decodeAt(offset, base);
          const value = this.decodeAt(key.next, base);
          map[String(key.value)] = value.value;
          offset = value.next;
        }
        return { value: map, next: offset };
      }
      case 8: {
        const raw = f.uint(offset, size);
        return { value: size === 4 ? raw | 0 : raw, next: offset + size };
      }
      case 9:
      case 10: {
        let v = 0n;
        for (let i = 0; i < size; i++) v = v * 256n + BigInt(f.byte(offset + i));
        return { value: v, next: offset + size };
      }
      case 11: {
        const list: MmdbValue[] = [];
        for (let i = 0; i < size; i++) {
          const item = this.decodeAt(offset, base);
          list.push(item.value);
          offset = item.next;
        }
        return { value: list, next: offset };
      }
      case 14:
        return { value: size !== 0, next: offset };
      case 15:
        return { value: f.bytes(offset, 4).readFloatBE(0), next: offset + 4 };
      default:
        throw new Error(`MMDB: data type ${type} at offset ${offset - 1} is not readable`);
    }
  }
}
