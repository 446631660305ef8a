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

export function isRepositoryName(value: string): boolean {
  if (value.length === 0 || value.length > MAX_REPOSITORY_NAME_LENGTH) return false;
  return value.split('/').every(isRepositoryComponent);
}

export function isTagName(value: string): boolean {
  return TAG.test(value);
}
