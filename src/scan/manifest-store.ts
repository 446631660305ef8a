/**
 * The manifests of a run, each read at most once: the same manifest often
 * serves many repositories, tags and indexes. The scan reads every revision
 * and tag target (on its thread, through the synchronous reader) and hands
 * the reads over; then `readReachable` reads, in batches through the storage
 * seam, every child manifest those name that is not read yet, until none is
 * left. Marking then finds every manifest it can walk to in memory, and
 * reads nothing.
 *
 * A store holds every manifest of the registry until marking is done
 * (200,000 on the `large` benchmark tree): what it keeps of each is its
 * references only, as ids of the run's DigestIds, not as strings.
 */
import type { Digest } from '../registry/digest.js';
import type { DigestId, DigestIds } from '../registry/digest-ids.js';
import type { Storage, TreeReader } from '../storage/storage.js';
import type { RegistryLayout } from '../registry/layout.js';
import { interpretManifest, readManifest, type BadRead, type ManifestRead } from './manifest-read.js';

/** A manifest as the store keeps it. */
export type StoredManifest =
  | { readonly state: 'ok'; readonly blobs: readonly DigestId[]; readonly children: readonly DigestId[]; readonly subject: DigestId | undefined }
  | { readonly state: 'missing' }
  | BadRead;

/** One empty list for every manifest without children (most of them). */
const NONE: readonly DigestId[] = Object.freeze([]);
const MISSING: StoredManifest = Object.freeze({ state: 'missing' });
const UNREAD: StoredManifest = Object.freeze({ state: 'bad', code: 'manifest_unread', message: 'manifest was not read before marking', subject: 'unknown' });

/** Child manifests read per storage call. */
const READ_BATCH = 256;

export class ManifestStore {
  private readonly cache = new Map<DigestId, StoredManifest>();

  constructor(
    private readonly layout: RegistryLayout,
    private readonly maxBytes: number,
    /** The run's ids: every digest this store holds is one of them. */
    readonly ids: DigestIds,
  ) {}

  /** Reads the manifest now through `reader`, unless it was read before. */
  read(reader: TreeReader, digest: Digest): void {
    const id = this.ids.id(digest);
    if (!this.cache.has(id)) this.cache.set(id, this.stored(readManifest(reader, this.layout, digest, this.maxBytes)));
  }

  /**
   * What was read of the manifest. One never read (which readReachable rules
   * out for anything marking walks to) is uncertain, as a manifest that
   * cannot be read is: marking must not guess.
   */
  get(id: DigestId): StoredManifest {
    return this.cache.get(id) ?? UNREAD;
  }

  /** Reads every child manifest of a manifest read so far, to the end of the chains, in batches. */
  async readReachable(storage: Storage, signal?: AbortSignal): Promise<void> {
    let wanted = this.unreadChildren(this.cache.values());
    while (wanted.length > 0) {
      signal?.throwIfAborted();
      const batch = wanted.splice(0, READ_BATCH);
      const outcomes = await storage.readFiles(
        batch.map((id) => this.layout.blobData(this.ids.digest(id))),
        this.maxBytes,
      );
      const reads = outcomes.map((outcome, i) => {
        const read = this.stored(interpretManifest(outcome, this.maxBytes));
        this.cache.set(batch[i]!, read);
        return read;
      });
      wanted.push(...this.unreadChildren(reads));
    }
  }

  private unreadChildren(reads: Iterable<StoredManifest>): DigestId[] {
    const wanted = new Set<DigestId>();
    for (const read of reads) {
      if (read.state !== 'ok') continue;
      for (const child of read.children) if (!this.cache.has(child)) wanted.add(child);
    }
    return [...wanted];
  }

  /** Takes reads made by a scan chunk (on this thread or a worker) as if made here. */
  add(entries: Iterable<readonly [Digest, ManifestRead]>): void {
    for (const [digest, read] of entries) {
      const id = this.ids.id(digest);
      if (!this.cache.has(id)) this.cache.set(id, this.stored(read));
    }
  }

  /** Forgets every read (memory), once marking is done. */
  clear(): void {
    this.cache.clear();
  }

  /** Path of the manifest's blob, for messages. */
  pathOf(id: DigestId): string {
    return this.layout.blobData(this.ids.digest(id));
  }

  /** The read as ids of the run. */
  private stored(read: ManifestRead): StoredManifest {
    if (read.state === 'missing') return MISSING;
    if (read.state !== 'ok') return read;
    const { blobs, children, subject } = read;
    return {
      state: 'ok',
      blobs: blobs.map((d) => this.ids.id(d)),
      children: children.length === 0 ? NONE : children.map((d) => this.ids.id(d)),
      subject: subject === undefined ? undefined : this.ids.id(subject),
    };
  }
}
