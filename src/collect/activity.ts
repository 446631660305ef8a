/**
 * Signs that the registry is still running. Offline collection means a
 * stopped registry, but people forget, and a push racing the sweep can lose
 * a layer. Two signs, both cheap:
 *
 *  - an upload whose `startedat` is only minutes old;
 *  - a folder the registry writes into whose mtime changed before the sweep
 *    (creating or removing an entry changes its folder's mtime): the blob
 *    prefix folders and repository folders from before the scan, a
 *    repository's tags, revisions, layer links and uploads folders from
 *    after it.
 *
 * The caller turns them into warnings, or with `strict` into a refusal.
 */
import { REGISTRY_ALGORITHM, type RegistryLayout } from '../registry/layout.js';
import { MAX_STARTED_AT_BYTES, startedAtOf } from '../registry/startedat.js';
import { outcomeOf, type TreeReader } from '../storage/storage.js';
import type { RepositoryScan } from '../scan/repository.js';

/** An upload this fresh is most likely a push in progress. */
export const RECENT_UPLOAD_MS = 10 * 60_000;

export interface ActivitySign {
  readonly path: string;
  readonly message: string;
}

export class ActivityWatch {
  private readonly mtimes = new Map<string, number>();

  /**
   * Begins watching before the scan, where it is safe: the blob prefix
   * folders (every push writes a blob first) and the folders discovery
   * already saw to be real. Folders inside repositories are added by
   * `watchRepositories` once the scan has checked them for links.
   */
  constructor(
    private readonly reader: TreeReader,
    private readonly layout: RegistryLayout,
    repositories: readonly string[],
  ) {
    for (const dir of layout.blobPrefixDirs(REGISTRY_ALGORITHM)) this.remember(dir);
    this.remember(layout.blobAlgorithmDir(REGISTRY_ALGORITHM));
    this.remember(layout.repositoriesDir);
    for (const name of repositories) this.remember(layout.repositoryDir(name));
  }

  /** After a clean scan: the folders inside each repository the registry writes into. */
  watchRepositories(repositories: readonly string[]): void {
    for (const name of repositories) {
      this.remember(this.layout.tagsDir(name));
      this.remember(this.layout.uploadsDir(name));
      this.remember(this.layout.revisionAlgorithmDir(name, REGISTRY_ALGORITHM));
      this.remember(this.layout.layerAlgorithmDir(name, REGISTRY_ALGORITHM));
    }
  }

  private mtime(dir: string): number {
    try {
      return this.reader.entry(dir).mtimeMs;
    } catch {
      return -1; // absent (or unreadable): a folder that appears later is a change too
    }
  }

  private remember(dir: string): void {
    this.mtimes.set(dir, this.mtime(dir));
  }

  /** Folders whose mtime changed since the watch began. */
  changes(): ActivitySign[] {
    const signs: ActivitySign[] = [];
    for (const [dir, before] of this.mtimes) {
      if (this.mtime(dir) !== before) signs.push({ path: dir, message: 'changed during the run: is the registry still running?' });
    }
    return signs;
  }
}

/** How long ago, in the words of a message: "40 seconds", "3 minutes". */
function ago(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 60) return `${seconds} second${seconds === 1 ? '' : 's'}`;
  const minutes = Math.round(seconds / 60);
  return `${minutes} minute${minutes === 1 ? '' : 's'}`;
}

/**
 * Uploads started less than RECENT_UPLOAD_MS before `now`, except those the
 * run was told about: one it deletes anyway (`staleBefore`: started before
 * it), one it keeps for its age (younger than `minAgeMs`), and with
 * `keepUploads` (undefined `staleBefore`) none, since it keeps them all.
 */
export function recentUploads(reader: TreeReader, layout: RegistryLayout, scans: readonly RepositoryScan<unknown>[], now: Date, staleBefore: number | undefined, minAgeMs: number): ActivitySign[] {
  const signs: ActivitySign[] = [];
  if (staleBefore === undefined) return signs;
  for (const scan of scans) {
    for (const id of scan.uploads) {
      // One that says no time is the upload sweep's to report (and keep).
      const started = startedAtOf(outcomeOf(() => reader.read(layout.uploadStartedAt(scan.name, id), MAX_STARTED_AT_BYTES)));
      if (!('time' in started) || started.time < staleBefore) continue;
      const age = now.getTime() - started.time;
      if (age < RECENT_UPLOAD_MS && age >= minAgeMs) {
        signs.push({ path: layout.uploadDir(scan.name, id), message: `upload started ${ago(age)} ago (${new Date(started.time).toISOString()}): is the registry still running?` });
      }
    }
  }
  return signs;
}
