/**
 * The irreducible reads of a default-mode collection (spec §6, §7), shared by
 * the main thread and the worker threads of benchmarks/floor.ts:
 *
 * - list `blobs/<alg>/` and every prefix folder in it (what a sweep must know);
 * - find the repositories (folders holding `_manifests`, `_layers` or `_uploads`);
 * - per repository, list `_manifests/revisions/<alg>/` and `_manifests/tags/`,
 *   read each tag's `current/link`, and read each revision's manifest blob
 *   once (from `blobs/`).
 *
 * Nothing is parsed (beyond validating a folder name as hex before it
 * becomes a path) and nothing is deleted. All I/O is synchronous, and files
 * are read into one reused buffer (open, read, close: no fstat, no
 * allocation), the cheapest read Node offers on a warm page cache.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ALGORITHMS, digestOf, isValidHex, type Algorithm } from '../../src/registry/digest.js';
import { REPOSITORY_MARKERS, type RegistryLayout } from '../../src/registry/layout.js';

export const COUNTERS = ['items', 'blobs', 'repositories', 'revisions', 'manifestBytes', 'tags', 'tagLinks', 'revisionLinks', 'missing'] as const;
export type Counter = (typeof COUNTERS)[number];
export type Counts = Record<Counter, number>;

export function zeroCounts(): Counts {
  return Object.fromEntries(COUNTERS.map((c) => [c, 0])) as Counts;
}

export interface WalkOptions {
  /** Also read every revision's `link` file (a careful collector checks it names its folder). */
  revisionLinks: boolean;
}

/** A unit of work: a blob prefix folder to list, or a repository to scan. */
export type Item = { kind: 'prefix'; dir: string } | { kind: 'repository'; name: string };

function readdirOrEmpty(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

const isAlgorithm = (name: string): name is Algorithm => (ALGORITHMS as readonly string[]).includes(name);

/** The blob prefix folders, `blobs/<alg>/<xx>`. */
export function prefixItems(layout: RegistryLayout): Item[] {
  const items: Item[] = [];
  for (const alg of readdirOrEmpty(layout.blobsDir).filter(isAlgorithm)) {
    for (const prefix of readdirOrEmpty(layout.blobAlgorithmDir(alg))) items.push({ kind: 'prefix', dir: layout.blobPrefixDir(alg, prefix) });
  }
  return items;
}

/** Repository names, found by walking `repositories/` without entering `_` folders. */
export function discoverRepositories(layout: RegistryLayout): string[] {
  const names: string[] = [];
  const markers = new Set<string>(REPOSITORY_MARKERS);
  const walk = (dir: string, name: string): void => {
    let isRepository = false;
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      if (!entry.isDirectory()) continue;
      if (markers.has(entry.name)) isRepository = true;
      else if (!entry.name.startsWith('_')) walk(path.join(dir, entry.name), name === '' ? entry.name : `${name}/${entry.name}`);
    }
    if (isRepository) names.push(name);
  };
  walk(layout.repositoriesDir, '');
  return names;
}

export class Walker {
  private readonly buffer = Buffer.allocUnsafe(4 * 1024 * 1024 + 1);

  constructor(
    private readonly layout: RegistryLayout,
    private readonly options: WalkOptions,
  ) {}

  /** Reads a whole (small) file into the shared buffer; returns its length, or -1 when it is missing. */
  read(file: string): number {
    let fd: number;
    try {
      fd = fs.openSync(file, 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return -1;
      throw err;
    }
    try {
      let total = 0;
      for (;;) {
        const n = fs.readSync(fd, this.buffer, total, this.buffer.length - total, null);
        total += n;
        if (n === 0 || total === this.buffer.length) return total;
      }
    } finally {
      fs.closeSync(fd);
    }
  }

  run(item: Item, counts: Counts): void {
    counts.items++;
    if (item.kind === 'prefix') counts.blobs += fs.readdirSync(item.dir).length;
    else this.repository(item.name, counts);
  }

  private repository(name: string, counts: Counts): void {
    counts.repositories++;
    const revisions = this.layout.revisionsDir(name);
    for (const alg of readdirOrEmpty(revisions).filter(isAlgorithm)) {
      for (const hex of readdirOrEmpty(path.join(revisions, alg))) {
        if (!isValidHex(alg, hex)) continue;
        const digest = digestOf(alg, hex);
        counts.revisions++;
        if (this.options.revisionLinks) {
          this.read(this.layout.revisionLink(name, digest));
          counts.revisionLinks++;
        }
        const size = this.read(this.layout.blobData(digest));
        if (size < 0) counts.missing++;
        else counts.manifestBytes += size;
      }
    }
    for (const tag of readdirOrEmpty(this.layout.tagsDir(name))) {
      counts.tags++;
      if (this.read(this.layout.tagCurrentLink(name, tag)) >= 0) counts.tagLinks++;
    }
  }
}
