/**
 * Writes a registry tree exactly as the filesystem driver lays it out, every
 * path taken from `src/registry/layout.ts`. It records every blob it writes (digest →
 * size) so that the generator can compute what a collector must keep.
 *
 * Speed: a standard tree is ~100k blob folders and ~200k small files. Parent
 * folders are created once and remembered; the leaf folder of a blob or a
 * link is new by construction (blobs are de-duplicated here, links by the
 * caller), so it costs one mkdir. Large layer bodies are slices of one
 * pre-filled random buffer and are written without copying.
 */
import fs from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { digestOf, type Digest } from '../../src/registry/digest.js';
import { RegistryLayout } from '../../src/registry/layout.js';
import type { Prng } from './prng.js';

/** Go's `sha256.digest.MarshalBinary()` of a fresh hash: what `hashstates/sha256/0` holds. */
function initialSha256State(): Buffer {
  const state = Buffer.alloc(4 + 8 * 4 + 64 + 8);
  state.write('sha\x03', 0, 'latin1');
  const h = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];
  h.forEach((word, i) => state.writeUInt32BE(word, 4 + 4 * i));
  return state;
}

export class TreeWriter {
  readonly layout: RegistryLayout;
  /** Every blob written: digest → size in bytes. */
  readonly blobs = new Map<Digest, number>();
  bytesWritten = 0;
  filesWritten = 0;
  private readonly madeDirs = new Set<string>();
  private readonly header = Buffer.alloc(32);
  private blobCounter = 0;

  constructor(
    root: string,
    private readonly rng: Prng,
    /** Random bytes that large bodies are cut from. */
    private readonly pool: Buffer,
  ) {
    this.layout = new RegistryLayout(root);
    for (const dir of [this.layout.blobsDir, this.layout.repositoriesDir]) fs.mkdirSync(dir, { recursive: true });
    this.madeDirs.add(this.layout.blobsDir);
    this.madeDirs.add(this.layout.repositoriesDir);
  }

  /** mkdir -p with memory; for folders that many entries share. */
  ensureDir(dir: string): void {
    if (this.madeDirs.has(dir)) return;
    const parent = path.dirname(dir);
    if (parent !== dir) this.ensureDir(parent);
    try {
      fs.mkdirSync(dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    this.madeDirs.add(dir);
  }

  /** Creates `file`'s folder (new: not remembered) and writes the parts. */
  private writeLeaf(file: string, parts: readonly Uint8Array[]): void {
    const dir = path.dirname(file);
    this.ensureDir(path.dirname(dir));
    fs.mkdirSync(dir);
    this.writeParts(file, parts);
  }

  private writeParts(file: string, parts: readonly Uint8Array[]): void {
    const fd = fs.openSync(file, 'w');
    try {
      for (const part of parts) {
        let offset = 0;
        while (offset < part.byteLength) offset += fs.writeSync(fd, part, offset, part.byteLength - offset);
        this.bytesWritten += part.byteLength;
      }
    } finally {
      fs.closeSync(fd);
    }
    this.filesWritten++;
  }

  /** Writes a blob unless it exists; returns its digest. */
  blob(parts: readonly Uint8Array[]): { digest: Digest; size: number; created: boolean } {
    const hash = createHash('sha256');
    let size = 0;
    for (const part of parts) {
      hash.update(part);
      size += part.byteLength;
    }
    const digest = digestOf('sha256', hash.digest('hex'));
    if (this.blobs.has(digest)) return { digest, size, created: false };
    this.writeLeaf(this.layout.blobData(digest), parts);
    this.blobs.set(digest, size);
    return { digest, size, created: true };
  }

  /** A blob of `size` pseudo-random bytes, unique through a 32-byte header. */
  randomBlob(size: number): { digest: Digest; size: number; created: boolean } {
    const headerLength = Math.min(this.header.length, size);
    const header = Buffer.alloc(headerLength);
    this.rng.fill(this.header);
    this.header.writeUInt32LE(this.blobCounter++ >>> 0, 0);
    this.header.copy(header, 0, 0, headerLength);
    const bodyLength = size - headerLength;
    const offset = this.rng.int(0, this.pool.length - bodyLength);
    return this.blob([header, this.pool.subarray(offset, offset + bodyLength)]);
  }

  jsonBlob(text: string): { digest: Digest; size: number } {
    const bytes = Buffer.from(text, 'utf8');
    const { digest } = this.blob([bytes]);
    return { digest, size: bytes.byteLength };
  }

  /** A link file: the digest, no newline. The caller guarantees it is new. */
  link(file: string, digest: Digest): void {
    this.writeLeaf(file, [Buffer.from(digest, 'latin1')]);
  }

  /** A link whose folder may already exist (a tag's `current`). */
  linkInto(file: string, digest: Digest): void {
    this.ensureDir(path.dirname(file));
    this.writeParts(file, [Buffer.from(digest, 'latin1')]);
  }

  /** An upload in progress: `data` (what arrived so far), `startedat`, `hashstates/sha256/0`. */
  upload(repository: string, id: string, startedAt: string, size: number): void {
    const dir = this.layout.uploadDir(repository, id);
    this.ensureDir(path.join(dir, 'hashstates', 'sha256'));
    const offset = this.rng.int(0, this.pool.length - size);
    this.writeParts(path.join(dir, 'data'), [this.pool.subarray(offset, offset + size)]);
    this.writeParts(this.layout.uploadStartedAt(repository, id), [Buffer.from(startedAt, 'latin1')]);
    this.writeParts(path.join(dir, 'hashstates', 'sha256', '0'), [initialSha256State()]);
  }

  /** Empty folders the registry leaves behind (e.g. after deleting every manifest). */
  emptyDir(dir: string): void {
    this.ensureDir(dir);
  }
}
