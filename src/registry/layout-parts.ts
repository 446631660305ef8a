/**
 * The names and path helpers the layout (layout.ts) builds its paths from:
 * the fixed folder and file names of the registry's tree and of the
 * collector's own files, and the checks on what may be joined. Part of the
 * layout module: nothing outside registry/layout*.ts spells these.
 */
import path from 'node:path';
import type { Algorithm } from './digest.js';

/**
 * Joins path parts that are already clean (an absolute, resolved root and
 * validated names): plain concatenation, because path.join's normalisation
 * showed up in profiles at a few hundred thousand paths a run.
 */
export function join(...parts: string[]): string {
  return parts.join(path.sep);
}

/** What a clean absolute POSIX path never holds: a `.` or `..` component, an empty one, a NUL. */
export const NOT_CLEAN = /\/\.\.?(?:\/|$)|\/\/|\/$|\0/;

/** Folder names inside a repository that make it a repository. */
export const REPOSITORY_MARKERS = ['_manifests', '_layers', '_uploads'] as const;
export type RepositoryMarker = (typeof REPOSITORY_MARKERS)[number];

/** The folders of `_manifests`. */
export const MANIFEST_PARTS = ['revisions', 'tags'] as const;

/** The folders of `v2` that are walked through (a link there stops the run at once). */
export const V2_FOLDERS = ['blobs', 'repositories'] as const;

/**
 * The algorithm the registry writes its own folders under: a tag's history
 * (`index/sha256`), and the revision and layer-link folders a push changes.
 */
export const REGISTRY_ALGORITHM: Algorithm = 'sha256';

/** The file in an upload folder that says when it started; it goes last. */
export const UPLOAD_STARTED_AT = 'startedat';

/** The trash folder's name, below the root. */
export const TRASH_FOLDER = 'registry-gc-trash';
/**
 * Entries per shard folder of a run's trash, numbered in order: a rename into
 * a folder of at most 64 entries took 15.7 us here, into 256 shards of ~560
 * each 23-24 us, into one folder 26 us (140,000 folder moves, ext4).
 */
export const TRASH_SHARD_SIZE = 64;

/** True when `target`, resolved, lies strictly inside `dir` (and holds no NUL). */
export function strictlyInside(dir: string, target: string): boolean {
  const resolved = path.resolve(target);
  const rel = path.relative(dir, resolved);
  return rel !== '' && rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel) && !resolved.includes('\0');
}

/** A single path component from a listing: no separators, no dot names, no NUL. */
export function assertPlainComponent(value: string): void {
  if (value === '' || value === '.' || value === '..' || /[/\\\0]/.test(value)) {
    throw new TypeError(`not a plain path component: ${JSON.stringify(value)}`);
  }
}
