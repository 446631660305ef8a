/**
 * Repository and tag names, validated before they become path components.
 * The grammar is the registry's own (distribution/reference).
 */

/** One path component of a repository name. */
const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
export const MAX_REPOSITORY_NAME_LENGTH = 255;

export function isRepositoryComponent(value: string): boolean {
  return COMPONENT.test(value);
}

/** True when `value` is a repository name the registry accepts: `/`-separated components, at most 255 characters. */
export function isRepositoryName(value: string): boolean {
  if (value.length === 0 || value.length > MAX_REPOSITORY_NAME_LENGTH) return false;
  return value.split('/').every(isRepositoryComponent);
}

/** True when `value` is a valid tag name: 1 to 128 of `[A-Za-z0-9_.-]`, not starting with `.` or `-`. */
export function isTagName(value: string): boolean {
  return TAG.test(value);
}

/** A run's name in the trash: its start time (UTC, sortable) and pid, e.g. `20261201T110503.123Z-4242`. */
const TRASH_RUN = /^\d{8}T\d{6}\.\d{3}Z-\d+$/;

export function isTrashRun(name: string): boolean {
  return TRASH_RUN.test(name);
}

export function trashRunName(startedAt: Date, pid: number): string {
  return `${startedAt.toISOString().replace(/[-:]/g, '')}-${pid}`;
}
