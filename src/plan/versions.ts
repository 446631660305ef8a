/**
 * Versions of entries, as apply's re-check compares them (docs/recheck.md):
 * one string per entry, equal between two looks only when the entry was not
 * written in between. The folders of a repository that any write into it
 * changes are named here, from the layout.
 */
import { errorCode } from '../storage/errno.js';
import type { Storage } from '../storage/storage.js';
import type { RegistryLayout } from '../registry/layout.js';

/** Unknown: never equal to anything. */
export const UNKNOWN = '';
/**
 * Prefix of a version recorded while it may have been written during the
 * plan: it proves nothing about what the dry run read (so the repository is
 * scanned again), but a different version now still means "written since".
 */
export const RACY = '?';
/** Not there. */
export const ABSENT = '-';

/**
 * An entry changed less than this before the plan began may have been
 * written in the same timestamp tick as the plan read it: its version proves
 * nothing, and is recorded as unknown.
 */
export const RACY_MS = 2000;

/** The version of each target now; with `racyFrom`, one changed at or after it is unknown. */
export async function versionsOf(storage: Storage, targets: readonly string[], racyFrom?: number): Promise<string[]> {
  if (targets.length === 0) return [];
  const outcomes = await storage.versions!(targets);
  return outcomes.map((outcome) => {
    if (outcome.ok) {
      const version = `${outcome.value.type}:${outcome.value.version}`;
      return racyFrom !== undefined && outcome.value.changedMs >= racyFrom ? `${RACY}${version}` : version;
    }
    const code = errorCode(outcome.error);
    return code === 'ENOENT' || code === 'ENOTDIR' ? ABSENT : UNKNOWN;
  });
}

/** Whether a version recorded by the plan proves that the entry is as the plan saw it. */
export function unchanged(recorded: string | undefined, now: string): boolean {
  return recorded !== undefined && recorded !== UNKNOWN && recorded === now;
}

/** Whether the entry was written after the plan recorded it (unknown counts as written). */
export function writtenAfter(recorded: string | undefined, now: string): boolean {
  if (recorded === undefined || recorded === UNKNOWN) return true;
  return (recorded.startsWith(RACY) ? recorded.slice(RACY.length) : recorded) !== now;
}

/**
 * The folders that a registry write into `repository` changes (a new upload,
 * layer link, revision or tag is a new entry in one of them), each algorithm
 * folder found by listing its parent. A listing that fails names its folder
 * with no algorithm folders: its own version then decides.
 */
export async function watchedFolders(storage: Storage, layout: RegistryLayout, repository: string): Promise<string[]> {
  const folders = [
    layout.repositoryDir(repository),
    layout.manifestsDir(repository),
    layout.revisionsDir(repository),
    layout.tagsDir(repository),
    layout.layersDir(repository),
    layout.uploadsDir(repository),
  ];
  const below = async (dir: string) => {
    try {
      return (await storage.list(dir)).filter((e) => e.type === 'dir').map((e) => `${dir}/${e.name}`);
    } catch {
      return [];
    }
  };
  folders.push(...(await below(layout.revisionsDir(repository))), ...(await below(layout.layersDir(repository))));
  return folders;
}

/** The versions of a repository's watched folders, by path relative to the root. */
export async function repositoryVersions(storage: Storage, layout: RegistryLayout, repository: string, racyFrom?: number): Promise<Record<string, string>> {
  const folders = await watchedFolders(storage, layout, repository);
  const versions = await versionsOf(storage, folders, racyFrom);
  return Object.fromEntries(folders.map((folder, i) => [layout.relative(folder), versions[i]!]));
}

/** Whether two records of a repository's folders are the same, folder for folder, and known. */
export function sameFolders(recorded: { readonly [folder: string]: string } | undefined, now: Record<string, string>): boolean {
  if (recorded === undefined) return false;
  const keys = Object.keys(now);
  return keys.length === Object.keys(recorded).length && keys.every((key) => unchanged(recorded[key], now[key]!));
}
