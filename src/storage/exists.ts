/** Whether an entry is there, as every layer asks it through the storage seam. */
import { errorCode } from './errno.js';
import type { Storage } from './storage.js';

/** Whether `target` is there: one that cannot be inspected is not known to be gone. */
export async function exists(storage: Storage, target: string): Promise<boolean> {
  const [outcome] = await storage.inspect([target]);
  if (outcome!.ok) return true;
  const code = errorCode(outcome!.error);
  return code !== 'ENOENT' && code !== 'ENOTDIR';
}
