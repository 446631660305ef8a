/**
 * The manifests of a run, each read at most once: the same manifest often
 * serves many repositories, tags and indexes. The scan reads every revision
 * and tag target (on its thread, through the synchronous reader); then
 * `readReachable` reads, in batches through the storage seam, every child
 * manifest those name that is not read yet, until none is left. Marking then
 * finds every manifest it can walk to in memory, and reads nothing.
 */
import type { ProblemCode } from '../report/report.js';
import type { Digest } from '../registry/digest.js';
import type { DigestInterner } from '../registry/digest-interner.js';
import { errorCode } from '../storage/errno.js';
import { outcomeOf, type Outcome, type Storage, type TreeReader } from '../storage/storage.js';
import type { RegistryLayout } from '../registry/layout.js';
import { ManifestError, parseManifest, type LooseSubject } from '../registry/manifest.js';

/**
 * What marking needs of a manifest that was read: its references, and only
 * them (a store holds every manifest of the registry until marking is done:
 * 200,000 on the `large` benchmark tree).
 */
export type ManifestRead =
  | { readonly state: 'ok'; readonly blobs: readonly Digest[]; readonly children: readonly Digest[]; readonly subject: Digest | undefined }
  | { readonly state: 'missing' }
  /** Cannot be read or understood: marking through it would be a guess. */
  | { readonly state: 'bad'; readonly code: ProblemCode; readonly message: string; readonly subject: LooseSubject };

/** One empty list for every manifest without children (most of them). */
const NONE: readonly Digest[] = Object.freeze([]);

/** Child manifests read per storage call. */
const READ_BATCH = 256;

export class ManifestStore {
  private readonly cache = new Map<Digest, ManifestRead>();

  constructor(
    private readonly layout: RegistryLayout,
    private readonly maxBytes: number,
    private readonly digests: DigestInterner,
  ) {}

  /** The manifest, read now through `reader` unless it was read before (the scan). */
  read(reader: TreeReader, digest: Digest): ManifestRead {
    let result = this.cache.get(digest);
    if (!result) {
      result = this.interpret(outcomeOf(() => reader.read(this.layout.blobData(digest), this.maxBytes)));
      this.cache.set(digest, result);
    }
    return result;
  }

  /**
   * What was read of the manifest. One never read (which readReachable rules
   * out for anything marking walks to) is uncertain, as a manifest that
   * cannot be read is: marking must not guess.
   */
  get(digest: Digest): ManifestRead {
    return this.cache.get(digest) ?? { state: 'bad', code: 'manifest_unread', message: 'manifest was not read before marking', subject: 'unknown' };
  }

  /** Reads every child manifest of a manifest read so far, to the end of the chains, in batches. */
  async readReachable(storage: Storage, signal?: AbortSignal): Promise<void> {
    let wanted = this.unreadChildren(this.cache.values());
    while (wanted.length > 0) {
      signal?.throwIfAborted();
      const batch = wanted.splice(0, READ_BATCH);
      const outcomes = await storage.readFiles(batch.map((digest) => this.layout.blobData(digest)), this.maxBytes);
      const reads = outcomes.map((outcome, i) => {
        const read = this.interpret(outcome);
        this.cache.set(this.digests.intern(batch[i]!), read);
        return read;
      });
      wanted.push(...this.unreadChildren(reads));
    }
  }

  private unreadChildren(reads: Iterable<ManifestRead>): Digest[] {
    const wanted = new Set<Digest>();
    for (const read of reads) {
      if (read.state !== 'ok') continue;
      for (const child of read.children) if (!this.cache.has(child)) wanted.add(child);
    }
    return [...wanted];
  }

  /** Everything read so far, to hand to another store. */
  entries(): Array<[Digest, ManifestRead]> {
    return [...this.cache];
  }

  /**
   * Takes reads made elsewhere as if made here: by another store on this
   * thread (`sameThread`: their strings are this run's already) or a scan worker.
   */
  add(entries: Iterable<[Digest, ManifestRead]>, sameThread = false): void {
    for (const [digest, read] of entries) {
      if (this.cache.has(digest)) continue;
      if (sameThread) this.cache.set(digest, read);
      else this.cache.set(this.digests.intern(digest), this.interned(read));
    }
  }

  /** Forgets every read (memory), once marking is done. */
  clear(): void {
    this.cache.clear();
  }

  /** Path of the manifest's blob, for messages. */
  pathOf(digest: Digest): string {
    return this.layout.blobData(digest);
  }

  /**
   * The read with the run's one string per digest (see DigestInterner). In
   * place: the read is fresh (just parsed, or a worker's copy) and no one else holds it.
   */
  private interned(read: ManifestRead): ManifestRead {
    if (read.state !== 'ok') return read;
    const { blobs, children, subject } = read;
    return {
      state: 'ok',
      blobs: blobs.length === 0 ? NONE : this.digests.internAll(blobs as Digest[]),
      children: children.length === 0 ? NONE : this.digests.internAll(children as Digest[]),
      subject: subject === undefined ? undefined : this.digests.intern(subject),
    };
  }

  /** What a read of a manifest's blob says: its references, or why it cannot be trusted. */
  private interpret(outcome: Outcome<Buffer>): ManifestRead {
    if (!outcome.ok) {
      const { error } = outcome;
      const code = errorCode(error);
      if (code === 'ENOENT') return { state: 'missing' };
      // Unread bytes could say anything, a subject included.
      const subject = 'unknown';
      if (code === 'ELOOP') return { state: 'bad', code: 'symlink', message: 'manifest blob is a symbolic link', subject };
      if (code === 'EFBIG') {
        return { state: 'bad', code: 'manifest_too_large', message: `manifest is larger than the limit of ${this.maxBytes} bytes`, subject };
      }
      return { state: 'bad', code: 'manifest_unreadable', message: `cannot read manifest: ${(error as Error).message}`, subject };
    }
    try {
      const { blobs, children, subject } = parseManifest(outcome.value);
      return this.interned({ state: 'ok', blobs, children, subject });
    } catch (error) {
      if (error instanceof ManifestError) {
        const code = error.reason === 'unknown_media_type' ? 'manifest_unknown_type' : 'manifest_unparsable';
        return { state: 'bad', code, message: error.message, subject: error.subject };
      }
      throw error;
    }
  }
}
