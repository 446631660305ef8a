/**
 * Link files: a digest and nothing else (no newline), as the registry writes
 * them. Content that is not exactly a digest is bad input: it is reported and
 * never turned into a path.
 */
import { isDigest, type Digest } from './digest.js';
import { errorCode } from '../storage/errno.js';
import type { Storage, TreeReader } from '../storage/storage.js';

/** Longest valid link: "sha512:" and 128 hex. Anything longer is not a digest. */
const MAX_LINK_BYTES = 7 + 128;

export type LinkRead =
  | { readonly state: 'ok'; readonly digest: Digest }
  | { readonly state: 'missing' }
  | { readonly state: 'invalid'; readonly content: string }
  | { readonly state: 'symlink' }
  | { readonly state: 'unreadable'; readonly message: string };

export function readLink(reader: TreeReader, file: string): LinkRead {
  try {
    return linkOf(reader.read(file, MAX_LINK_BYTES));
  } catch (error) {
    return linkError(error);
  }
}

/** readLink of each file through the storage seam, in one call: the sweep's re-check right before deleting. */
export async function readLinksFrom(storage: Storage, files: readonly string[]): Promise<LinkRead[]> {
  const outcomes = await storage.readFiles(files, MAX_LINK_BYTES);
  return outcomes.map((outcome) => (outcome.ok ? linkOf(outcome.value) : linkError(outcome.error)));
}

function linkOf(data: Buffer): LinkRead {
  const content = data.toString('latin1');
  return isDigest(content) ? { state: 'ok', digest: content } : { state: 'invalid', content };
}

function linkError(error: unknown): LinkRead {
  const code = errorCode(error);
  if (code === 'ENOENT') return { state: 'missing' };
  if (code === 'ELOOP') return { state: 'symlink' };
  if (code === 'EFBIG') return { state: 'invalid', content: '(longer than any digest)' };
  if (code === 'EISDIR') return { state: 'invalid', content: '(a directory)' };
  if (code === 'ENOTREG') return { state: 'invalid', content: '(not a regular file)' };
  return { state: 'unreadable', message: (error as Error).message };
}
