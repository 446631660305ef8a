/**
 * mkdir -p for the collector's own folders (a trash run, its shards), on
 * whichever thread asks: one call where the parent exists (a shard: its
 * run's folder is made first); the recursive form took 60 us a folder here,
 * most of it walking up the path. A link where the folder should be is
 * refused (ENOTDIR), never followed.
 */
import fs from 'node:fs';

export function makeDir(dir: string): void {
  try {
    fs.mkdirSync(dir);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') {
      if (fs.lstatSync(dir).isDirectory()) return;
      throw Object.assign(new Error(`ENOTDIR: not a folder: ${dir}`), { code: 'ENOTDIR' });
    }
    if (code !== 'ENOENT') throw error;
    fs.mkdirSync(dir, { recursive: true });
  }
}
