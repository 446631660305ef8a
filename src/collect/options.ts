/**
 * Options of `collectGarbage`, normalised once at the door. Bad input throws
 * a RegistryGcError with code E_INVALID_OPTION before any work.
 */
import os from 'node:os';
import type { AllowDeletion } from '../report/candidate.js';
import { parseDuration } from '../registry/duration.js';
import { RegistryGcError } from '../report/errors.js';
import { chooseStorage, type FileSystem } from '../storage/file-system.js';
import type { Storage } from '../storage/storage.js';
import { S3Storage } from '../storage/s3/s3-storage.js';
import type { S3Settings } from '../storage/s3/settings.js';
import type { Phase } from '../report/report.js';
import { checkRetention, type CheckedRetention, type RetentionPolicy } from '../retention/policy.js';

/** What `onProgress` is told as a phase of a run (or of an apply) advances. */
export interface ProgressEvent {
  readonly phase: Phase;
  /** Items done in this phase so far. */
  readonly done: number;
  /** Items in this phase, when known. */
  readonly total: number | undefined;
  /**
   * Set on one event of a real run, the first of phase `purge`: every item is
   * out of the registry (moved into the trash, or deleted in place), which
   * may be restarted now. Milliseconds since the run started: how long the
   * registry had to stay stopped.
   */
  readonly offlineMs?: number;
  /** On that event: what the run moved stays in the trash (kept for purge or restore). */
  readonly trashKept?: boolean;
}

/** Options of `collectGarbage`; all optional, and an unknown key is refused (E_INVALID_OPTION). */
export interface CollectOptions {
  /**
   * Report what would be deleted, delete nothing. The same code path runs.
   * @default false
   */
  dryRun?: boolean;
  /**
   * Collect manifests that no tag reaches (the reference's `-m`). Index
   * children and referrers of kept manifests are always kept.
   * @default false
   */
  deleteUntagged?: boolean;
  /**
   * Threads that scan repositories and read their manifests: the calling
   * thread plus `concurrency - 1` workers (1: all on the calling thread).
   * Each does synchronous I/O, the fast kind on small files. When not given,
   * the scan starts with one thread per core and adds threads, up to 4,
   * while they mostly wait on the disk (cold caches); when given, exactly this many.
   * @default the number of CPU cores, growing on a waiting disk
   */
  concurrency?: number;
  /** Stops the run between two units of work. */
  signal?: AbortSignal;
  /** Called as each phase makes progress; also once at the start and end of each phase. */
  onProgress?: (event: ProgressEvent) => void;
  /**
   * Largest manifest read, in bytes; a larger one fails marking (the
   * registry's own limit is 4 MiB).
   * @default 4194304
   */
  maxManifestBytes?: number;
  /**
   * Also remove, per repository, layer links that no kept manifest of that
   * repository references, so a deleted image's layers can no longer be
   * fetched through it even when another repository still keeps them.
   * @default false
   */
  pruneLayerLinks?: boolean;
  /**
   * Uploads whose `startedat` is older than this are removed: a Go-style
   * duration ("168h", "30m", "7d") or milliseconds.
   * @default "168h", the registry's own uploadpurging age
   */
  uploadAge?: string | number;
  /** Leave every upload alone. @default false */
  keepUploads?: boolean;
  /**
   * Remove a repository that, after the run, has no tag, no revision and no
   * upload left (with parent folders it empties).
   * @default false
   */
  removeEmptyRepositories?: boolean;
  /**
   * Keep blobs, untagged manifests and uploads written less than this long
   * ago, whatever else holds: a Go-style duration or milliseconds. They are
   * reported as kept for age.
   * @default 0 (off)
   */
  minAge?: string | number;
  /**
   * Refuse to delete anything when the registry looks like it is running
   * (uploads started minutes ago, or the tree changing during the run).
   * Without it, those signs are warnings.
   * @default false
   */
  strict?: boolean;
  /** The time uploads are aged against. @default the current time */
  now?: Date;
  /**
   * What a real run does with what it collects. `purge`: moves it all into a
   * trash of the run (one rename each; the registry may restart as soon as
   * the last move is done, see ProgressEvent.offlineMs), then frees the
   * trash. `keep`: moves, and leaves the trash for `purgeTrash` or
   * `restoreTrash`. `off`: deletes in place, as the reference does.
   * @default "purge"
   */
  trash?: 'purge' | 'keep' | 'off';
  /**
   * A synchronous file system to read and remove through, for fault
   * injection in tests; it scans on the calling thread. @default node:fs
   */
  fileSystem?: FileSystem;
  /**
   * The storage seam itself (experimental: its shape may change when an
   * object-store backend lands). Takes precedence over `fileSystem`.
   * @default the registry's filesystem driver on node:fs
   */
  storage?: Storage;
  /**
   * A registry on S3 (the registry's `storage.s3` settings; docs/s3.md):
   * the run lists the bucket and deletes in DeleteObjects batches. `root` is
   * then the rootdirectory as a path (`/` when none), as resolveTarget gives
   * it. There is no trash on S3: `trash: "keep"` is refused.
   */
  s3?: S3Settings;
  /**
   * Consulted for each candidate right before it would go; false keeps it.
   * A kept untagged manifest is kept during marking, with all it needs.
   * May be called for a manifest that marking keeps anyway, and more than
   * once for one candidate (retention's trial marks ask about manifests
   * while deciding orphaned tags): it must answer the same each time and
   * have no side effects. (applyPlan.)
   * @default every candidate may go
   */
  allow?: AllowDeletion;
  /**
   * Tag retention (README, Retention): which tags go by age, count and name,
   * per repository, and whether orphaned referrer tags go. Deleting tags
   * needs `deleteUntagged` (what only a deleted tag kept then goes too).
   * @default no tag is deleted
   */
  retention?: RetentionPolicy;
}

export interface NormalizedOptions {
  readonly dryRun: boolean;
  readonly deleteUntagged: boolean;
  readonly concurrency: number;
  /** Threads the scan may grow to while it waits on the disk: `concurrency` when that was given. */
  readonly maxConcurrency: number;
  readonly signal: AbortSignal | undefined;
  readonly onProgress: (event: ProgressEvent) => void;
  readonly maxManifestBytes: number;
  readonly pruneLayerLinks: boolean;
  /** Milliseconds. */
  readonly uploadAge: number;
  readonly keepUploads: boolean;
  readonly removeEmptyRepositories: boolean;
  /** Milliseconds. */
  readonly minAge: number;
  readonly strict: boolean;
  readonly now: Date;
  readonly trash: 'purge' | 'keep' | 'off';
  readonly storage: Storage;
  readonly allow: AllowDeletion | undefined;
  /** Undefined: no tag is deleted and no digest protected. */
  readonly retention: CheckedRetention | undefined;
}

export const DEFAULT_MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
/**
 * Threads a scan may grow to, when `concurrency` is not given, while its
 * threads wait on the disk (scan/disk-wait.ts). Cold caches, `large` dry
 * run: 2 threads 66.7 s (228 MB), 4 threads 46.1 s (289 MB), growing to 6
 * 44.2 s (357 MB); `standard`: 6.8-7.1 s, 5.7 s, 5.2 s. Four keep nearly all
 * of the time for much less memory.
 */
const AUTO_MAX_THREADS = 4;
export const DEFAULT_UPLOAD_AGE = '168h';

function durationMs(value: string | number | undefined, name: string, fallback: string): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0) throw invalid(`${name} must be a non-negative number of milliseconds, got ${value}`);
    return value;
  }
  const text = value ?? fallback;
  const ms = typeof text === 'string' ? parseDuration(text) : undefined;
  if (ms === undefined) throw invalid(`${name} must be a duration like "168h", "30m" or "7d", got ${JSON.stringify(text)}`);
  return ms;
}

function invalid(message: string): RegistryGcError {
  return new RegistryGcError('E_INVALID_OPTION', message);
}

function validDate(value: Date | undefined): Date {
  if (value === undefined) return new Date();
  if (!(value instanceof Date) || Number.isNaN(value.getTime())) throw invalid('now must be a valid Date');
  return value;
}

function positiveInteger(value: number | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1) throw invalid(`${name} must be a positive integer, got ${String(value)}`);
  return value;
}

function trashMode(value: CollectOptions['trash']): NormalizedOptions['trash'] {
  if (value === undefined) return 'purge';
  if (value !== 'purge' && value !== 'keep' && value !== 'off') throw invalid(`trash must be "purge", "keep" or "off", got ${JSON.stringify(value)}`);
  return value;
}

/** Every key of CollectOptions: any other is refused (a misspelt option must not run a different collection). */
const COLLECT_KEYS: ReadonlyArray<keyof CollectOptions> = [
  'dryRun', 'deleteUntagged', 'concurrency', 'signal', 'onProgress', 'maxManifestBytes', 'pruneLayerLinks', 'uploadAge',
  'keepUploads', 'removeEmptyRepositories', 'minAge', 'strict', 'now', 'trash', 'fileSystem', 'storage', 's3', 'allow', 'retention',
];

/** Throws E_INVALID_OPTION naming the first key of `options` that is not in `known` (and the nearest known one). */
export function refuseUnknownKeys(options: object, known: readonly string[], what: string): void {
  for (const key of Object.keys(options)) {
    if (known.includes(key)) continue;
    const near = known.find((k) => k.toLowerCase() === key.toLowerCase()) ?? known.find((k) => similar(k, key));
    throw invalid(`${what}: unknown option ${JSON.stringify(key)}${near === undefined ? '' : ` (did you mean ${near}?)`}`);
  }
}

/** Two names that differ by one insertion, deletion or substitution (a typo). */
function similar(a: string, b: string): boolean {
  if (Math.abs(a.length - b.length) > 1) return false;
  let i = 0;
  while (i < a.length && a[i] === b[i]) i++;
  return a.slice(i + 1) === b.slice(i + 1) || a.slice(i) === b.slice(i + 1) || a.slice(i + 1) === b.slice(i);
}

/** The storage a run goes through: S3 when `s3` is given, else as chooseStorage. */
function storageOf(options: CollectOptions): Storage {
  if (options.s3 === undefined) return chooseStorage(options.storage, options.fileSystem);
  if (options.storage !== undefined || options.fileSystem !== undefined) throw invalid('s3 does not mix with storage or fileSystem');
  return openS3Storage(options.s3, options.trash);
}

/** The S3 storage of `settings` for a run with `trash`: refused, naming why, where it cannot be (no trash on S3, no credentials). */
export function openS3Storage(settings: S3Settings, trash: CollectOptions['trash']): Storage {
  if (trash === 'keep') throw invalid('there is no trash on S3 (no rename): trash "keep" cannot be used; enable bucket versioning to keep deleted objects restorable');
  try {
    return new S3Storage(settings);
  } catch (error) {
    throw invalid(`s3: ${(error as Error).message}`);
  }
}

export function normalizeOptions(options: CollectOptions = {}): NormalizedOptions {
  if (typeof options !== 'object' || options === null) throw invalid('options must be an object');
  refuseUnknownKeys(options, COLLECT_KEYS, 'collectGarbage');
  if (options.allow !== undefined && typeof options.allow !== 'function') throw invalid('allow must be a function');
  const retention = checkRetention(options.retention);
  if (retention !== undefined && (retention.selects || retention.orphansAnywhere === true) && options.deleteUntagged !== true) {
    // A deleted tag frees nothing unless its untagged manifest goes too.
    throw invalid('retention needs deleteUntagged: deleting a tag frees nothing unless its untagged manifest goes too');
  }
  const concurrency = positiveInteger(options.concurrency, 'concurrency', Math.max(1, os.availableParallelism()));
  return {
    dryRun: options.dryRun ?? false,
    deleteUntagged: options.deleteUntagged ?? false,
    concurrency,
    maxConcurrency: options.concurrency === undefined ? Math.max(concurrency, AUTO_MAX_THREADS) : concurrency,
    signal: options.signal,
    onProgress: options.onProgress ?? (() => {}),
    maxManifestBytes: positiveInteger(options.maxManifestBytes, 'maxManifestBytes', DEFAULT_MAX_MANIFEST_BYTES),
    pruneLayerLinks: options.pruneLayerLinks ?? false,
    uploadAge: durationMs(options.uploadAge, 'uploadAge', DEFAULT_UPLOAD_AGE),
    minAge: durationMs(options.minAge, 'minAge', '0'),
    strict: options.strict ?? false,
    keepUploads: options.keepUploads ?? false,
    removeEmptyRepositories: options.removeEmptyRepositories ?? false,
    now: validDate(options.now),
    trash: trashMode(options.trash),
    storage: storageOf(options),
    allow: options.allow,
    retention,
  };
}
