/**
 * Reads manifests from the blob store, each digest at most once per run: the
 * same manifest often serves many repositories, tags and indexes.
 */
import type { Digest } from './digest.js';
import { errorCode } from './errors.js';
import type { FileSystem } from './file-system.js';
import type { RegistryLayout } from './layout.js';
import { ManifestError, parseManifest, type LooseSubject, type ManifestReferences } from './manifest.js';

export type ManifestRead =
  | { readonly state: 'ok'; readonly manifest: ManifestReferences }
  | { readonly state: 'missing' }
  /** Cannot be read or understood: marking through it would be a guess. */
  | { readonly state: 'bad'; readonly code: string; readonly message: string; readonly subject: LooseSubject };

export class ManifestStore {
  private readonly cache = new Map<Digest, ManifestRead>();

  constructor(
    private readonly layout: RegistryLayout,
    private readonly fs: FileSystem,
    private readonly maxBytes: number,
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

  /** Takes reads made elsewhere (a scan worker) as if made here. */
  add(entries: Iterable<[Digest, ManifestRead]>): void {
    for (const [digest, read] of entries) if (!this.cache.has(digest)) this.cache.set(digest, read);
  }

  /** Path of the manifest's blob, for messages. */
  pathOf(digest: Digest): string {
    return this.layout.blobData(digest);
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
      return { state: 'ok', manifest: parseManifest(data) };
    } catch (error) {
      if (error instanceof ManifestError) {
        const code = error.reason === 'unknown_media_type' ? 'manifest_unknown_type' : 'manifest_unparsable';
        return { state: 'bad', code, message: error.message, subject: error.subject };
      }
      throw error;
    }
  }
}
