/**
 * What a read of a manifest's blob says, as plain data with digest strings:
 * the form a scan chunk returns (it may cross a thread boundary) before the
 * run's ManifestStore keeps it as ids.
 */
import type { ProblemCode } from '../report/report.js';
import type { Digest } from '../registry/digest.js';
import { errorCode } from '../storage/errno.js';
import { outcomeOf, type Outcome, type TreeReader } from '../storage/storage.js';
import type { RegistryLayout } from '../registry/layout.js';
import { ManifestError, parseManifest, type LooseSubject } from '../registry/manifest.js';

/** A manifest that cannot be read or understood: marking through it would be a guess. */
export interface BadRead {
  readonly state: 'bad';
  readonly code: ProblemCode;
  readonly message: string;
  readonly subject: LooseSubject;
}

/** What marking needs of a manifest that was read: its references, and only them. */
export type ManifestRead =
  | { readonly state: 'ok'; readonly blobs: readonly Digest[]; readonly children: readonly Digest[]; readonly subject: Digest | undefined }
  | { readonly state: 'missing' }
  | BadRead;

/** Reads and interprets the manifest `digest` now, through the synchronous reader. */
export function readManifest(reader: TreeReader, layout: RegistryLayout, digest: Digest, maxBytes: number): ManifestRead {
  return interpretManifest(outcomeOf(() => reader.read(layout.blobData(digest), maxBytes)), maxBytes);
}

/** What a read of a manifest's blob says: its references, or why it cannot be trusted. */
export function interpretManifest(outcome: Outcome<Buffer>, maxBytes: number): ManifestRead {
  if (!outcome.ok) {
    const { error } = outcome;
    const code = errorCode(error);
    if (code === 'ENOENT') return { state: 'missing' };
    // Unread bytes could say anything, a subject included.
    const subject = 'unknown';
    if (code === 'ELOOP') return { state: 'bad', code: 'symlink', message: 'manifest blob is a symbolic link', subject };
    if (code === 'EFBIG') return { state: 'bad', code: 'manifest_too_large', message: `manifest is larger than the limit of ${maxBytes} bytes`, subject };
    return { state: 'bad', code: 'manifest_unreadable', message: `cannot read manifest: ${(error as Error).message}`, subject };
  }
  try {
    const { blobs, children, subject } = parseManifest(outcome.value);
    return { state: 'ok', blobs, children, subject };
  } catch (error) {
    if (error instanceof ManifestError) {
      const code = error.reason === 'unknown_media_type' ? 'manifest_unknown_type' : 'manifest_unparsable';
      return { state: 'bad', code, message: error.message, subject: error.subject };
    }
    throw error;
  }
}
