/**
 * One string per distinct digest within a run, for the digests a run keeps
 * as strings: revisions, tag targets and tag history (the blob listing,
 * layer links and manifests' references are ids: digest-ids.ts).
 *
 * The same revision digest turns up several times: in its repository's
 * revisions, in the tags that name it, in their history, in copies of the
 * image in other repositories. Each occurrence built from a directory entry
 * or read from a link is its own ~90-byte string (a concatenated one,
 * holding the entry's name, when built from a listing): sharing one keeps
 * them proportional to the manifests, not to the references.
 *
 * Per thread and per run: a worker's strings reach the main thread as copies,
 * which the merge passes through the main thread's interner.
 */
import type { Digest } from './digest.js';

/** Longest digest: "sha512:" and 128 hex. */
const MAX_DIGEST_LENGTH = 7 + 128;

export class DigestInterner {
  private readonly strings = new Map<string, Digest>();
  private readonly scratch = Buffer.allocUnsafe(MAX_DIGEST_LENGTH);

  /** The run's string for this digest (the first one seen, as a compact copy). */
  intern(digest: Digest): Digest {
    const known = this.strings.get(digest);
    if (known !== undefined) return known;
    const compact = this.compact(digest);
    this.strings.set(compact, compact);
    return compact;
  }

  /**
   * Forgets the table (the strings handed out stay valid): once nothing new is
   * read, it only costs memory. Later calls start a new table.
   */
  clear(): void {
    this.strings.clear();
  }

  /**
   * A string built by concatenation ("sha256:" + an entry's name) stays a
   * pair of strings plus a wrapper even once flattened (~120 bytes instead of
   * ~90): copy it through a buffer into one flat string.
   */
  private compact(digest: Digest): Digest {
    if (digest.length > MAX_DIGEST_LENGTH) return digest;
    const length = this.scratch.write(digest, 'latin1');
    return this.scratch.toString('latin1', 0, length) as Digest;
  }

  /** Interns every element of `digests` in place; returns it. */
  internAll<T extends Digest[]>(digests: T): T {
    for (let i = 0; i < digests.length; i++) digests[i] = this.intern(digests[i]!);
    return digests;
  }

  get size(): number {
    return this.strings.size;
  }
}
