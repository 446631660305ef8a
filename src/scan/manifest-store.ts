/**
 * Reads manifests from the blob store, each digest at most once per run: the
 * same manifest often serves many repositories, tags and indexes.
 */
import type { Digest } from '../registry/digest.js';
import type { DigestInterner } from '../registry/digest-interner.js';
import { errorCode } from '../report/errors.js';
import type { FileSystem } from '../storage/file-system.js';
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
  | { readonly state: 'bad'; readonly code: string; readonly message: string; readonly subject: LooseSubject };

/** One empty list for every manifest without children (most of them). */
const NONE: readonly Digest[] = Object.freeze([]);

export class ManifestStore {
  private readonly cache = new Map<Digest, ManifestRead>();

  constructor(
    private readonly layout: RegistryLayout,
    private readonly fs: FileSystem,
    private readonly maxBytes: number,
    private readonly digests: DigestInterner,
  ) {}

  get(digest: Digest): ManifestRead {
    let result = this.cache.get(digest);
    if (!result) {
      result = this.load(digest);
      this.cache.set(digest, result);
    }
    return result;
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

  private load(digest: Digest): ManifestRead {
    let data: Buffer;
    try {
      data = this.fs.read(this.layout.blobData(digest), this.maxBytes);
    } catch (error) {
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
      const { blobs, children, subject } = parseManifest(data);
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
