/** Node-style error codes, as every storage reports them. */

/** Narrows an unknown thrown value to its `code`, if any. */
export function errorCode(error: unknown): string | undefined {
  if (typeof error === 'object' && error !== null && 'code' in error) {
    const code = (error as { code: unknown }).code;
    return typeof code === 'string' ? code : undefined;
  }
  return undefined;
}

/** ENOENT only: "already gone". Every other error is a real failure. */
export function isNotFound(error: unknown): boolean {
  return errorCode(error) === 'ENOENT';
}

/** An error with a Node-style code, for storages that are not the file system. */
export function codedError(code: string, message: string): Error {
  return Object.assign(new Error(`${code}: ${message}`), { code });
}

/**
 * A removal that half-happened: the folder's one file is gone (its space
 * freed), the folder itself could not be removed. Storage.remove throws it so
 * that the caller counts what really happened.
 */
export function partialRemoval(error: unknown): Error {
  return Object.assign(error instanceof Error ? error : new Error(String(error)), { partialRemoval: true });
}

export function isPartialRemoval(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { partialRemoval?: unknown }).partialRemoval === true;
}
