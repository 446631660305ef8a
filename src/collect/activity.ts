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
import path from 'node:path';
import type { FileSystem } from '../storage/file-system.js';
import type { RegistryLayout } from '../registry/layout.js';
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
    private readonly fs: FileSystem,
    private readonly layout: RegistryLayout,
    repositories: readonly string[],
  ) {
    for (let i = 0; i < 256; i++) this.remember(layout.blobPrefixDir('sha256', i.toString(16).padStart(2, '0')));
    this.remember(layout.blobAlgorithmDir('sha256'));
    this.remember(layout.repositoriesDir);
    for (const name of repositories) this.remember(layout.repositoryDir(name));
  }

  /** After a clean scan: the folders inside each repository the registry writes into. */
  watchRepositories(repositories: readonly string[]): void {
    for (const name of repositories) {
      this.remember(this.layout.tagsDir(name));
      this.remember(this.layout.uploadsDir(name));
      this.remember(path.join(this.layout.revisionsDir(name), 'sha256'));
      this.remember(path.join(this.layout.layersDir(name), 'sha256'));
    }
  }

  private mtime(dir: string): number {
    try {
      return this.fs.entry(dir).mtimeMs;
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

/** Uploads started less than RECENT_UPLOAD_MS before `now`. */
export function recentUploads(fs: FileSystem, layout: RegistryLayout, scans: readonly RepositoryScan[], now: Date): ActivitySign[] {
  const signs: ActivitySign[] = [];
  for (const scan of scans) {
    for (const id of scan.uploads) {
      let started: number;
      try {
        started = Date.parse(fs.read(layout.uploadStartedAt(scan.name, id), 64).toString('utf8').trim());
      } catch {
        continue; // the upload sweep reports unreadable startedat
      }
      if (now.getTime() - started < RECENT_UPLOAD_MS) {
        signs.push({ path: layout.uploadDir(scan.name, id), message: `upload started ${new Date(started).toISOString()}, minutes ago: is the registry still running?` });
      }
    }
  }
  return signs;
}
