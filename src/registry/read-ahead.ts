/**
 * What a scan of an object store reads before it starts (storage/s3): the
 * files the scan reads one by one on a file system, which on S3 are one
 * request each and so are fetched together, many in flight, right after the
 * listing. Part of the layout module: it says which paths those are.
 *
 *   repositories/…/_manifests/revisions/<alg>/<hex>/link
 *   repositories/…/_manifests/tags/<tag>/current/link
 *   repositories/…/_uploads/<id>/startedat
 *
 * A revision folder also names a manifest, whatever it holds, and each
 * link's content names one; those manifests are read ahead too (revisionOf).
 */
import { isAlgorithm, isValidHex, type Digest } from './digest.js';
import type { RegistryLayout } from './layout.js';
import { UPLOAD_STARTED_AT } from './layout-parts.js';

/**
 * True for a file below `repositories/` that the scan reads: a revision
 * link, a tag's current link, an upload's `startedat`. (A tag's history
 * links are read only by the sweep, for the entries it deletes.)
 */
export function isReadAhead(layout: RegistryLayout, file: string): boolean {
  if (!file.startsWith(`${layout.repositoriesDir}/`)) return false;
  const parts = file.slice(layout.repositoriesDir.length + 1).split('/');
  const n = parts.length;
  const last = parts[n - 1];
  if (last === UPLOAD_STARTED_AT) return parts[n - 3] === '_uploads';
  if (last !== 'link') return false;
  // A repository name cannot hold `_manifests`: the first one is its own.
  const at = parts.indexOf('_manifests');
  if (at < 0) return false;
  if (parts[at + 1] === 'revisions') return n === at + 5;
  return parts[at + 1] === 'tags' && n === at + 5 && parts[at + 3] === 'current';
}

/** The manifest a revision folder names (`…/_manifests/revisions/<alg>/<hex>/…`), if `file` lies in one. */
export function revisionOf(layout: RegistryLayout, file: string): Digest | undefined {
  if (!file.startsWith(`${layout.repositoriesDir}/`)) return undefined;
  const parts = file.slice(layout.repositoriesDir.length + 1).split('/');
  // A repository name cannot hold `_manifests`: the first one is where its revisions are.
  const at = parts.indexOf('_manifests');
  if (at < 0 || parts[at + 1] !== 'revisions' || parts.length < at + 5) return undefined;
  const [algorithm, hex] = [parts[at + 2]!, parts[at + 3]!];
  return isAlgorithm(algorithm) && isValidHex(algorithm, hex) ? (`${algorithm}:${hex}` as Digest) : undefined;
}
