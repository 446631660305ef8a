/**
 * The few synchronous file-system operations the collector makes, behind a
 * seam so tests can inject faults (EACCES, EIO) that root cannot produce with
 * chmod. Synchronous on purpose: on the machines this runs on, the thread-pool
 * hand-off of fs.promises costs several times more than the small reads and
 * listings a collection is made of (spec §7).
 */
import fs from 'node:fs';

export type EntryType = 'dir' | 'file' | 'symlink' | 'other';

export interface DirEntry {
  readonly name: string;
  readonly type: EntryType;
}

export interface FileSystem {
  /** Lists a directory without following symbolic links in it. */
  list(dir: string): DirEntry[];
  /**
   * Reads a regular file, refusing a symbolic link as the last component
   * (ELOOP), a directory (EISDIR) or any other kind of file (ENOTREG); throws
   * EFBIG past `maxBytes`.
   */
  read(file: string, maxBytes: number): Buffer;
  /** lstat: the type, size and modification time of the entry itself. */
  entry(target: string): { type: EntryType; size: number; mtimeMs: number };
  /**
   * Removes a file or a directory tree, not following symbolic links.
   * `onlyFile`: the one file the registry keeps in this folder (`data`,
   * `link`), a hint that lets the common case be three calls instead of a
   * tree walk; the result must be the same with or without it.
   */
  remove(target: string, onlyFile?: string): void;
  /** Removes an empty directory; fails with ENOTEMPTY otherwise. */
  removeEmptyDir(dir: string): void;
}

function typeOf(entry: { isDirectory(): boolean; isFile(): boolean; isSymbolicLink(): boolean }): EntryType {
  if (entry.isSymbolicLink()) return 'symlink';
  if (entry.isDirectory()) return 'dir';
  if (entry.isFile()) return 'file';
  return 'other';
}

// O_NONBLOCK: opening a FIFO planted where a link or manifest should be must not hang the run.
const OPEN_FLAGS = fs.constants.O_RDONLY | (fs.constants.O_NOFOLLOW ?? 0) | (fs.constants.O_NONBLOCK ?? 0);

/** Per thread (each worker has its own module instance): reads never overlap. */
const scratch = Buffer.allocUnsafe(64 * 1024);

export const nodeFileSystem: FileSystem = {
  list(dir) {
    return fs.readdirSync(dir, { withFileTypes: true }).map((dirent) => {
      let type = typeOf(dirent);
      // Some file systems report no type in readdir (DT_UNKNOWN): ask lstat.
      if (type === 'other' && !dirent.isBlockDevice() && !dirent.isCharacterDevice() && !dirent.isFIFO() && !dirent.isSocket()) {
        type = typeOf(fs.lstatSync(`${dir}/${dirent.name}`));
      }
      return { name: dirent.name, type };
    });
  },
  read(file, maxBytes) {
    const fd = fs.openSync(file, OPEN_FLAGS);
    try {
      // Most reads are links and manifests of a few hundred bytes: one read into a
      // reused buffer, and an fstat only when that read says nothing or fills it.
      let first = 0;
      let readError: unknown;
      try {
        first = fs.readSync(fd, scratch, 0, scratch.length, 0);
      } catch (error) {
        readError = error; // a directory (EISDIR) or a FIFO (EAGAIN): fstat says which
      }
      if (first > 0 && first < scratch.length && first <= maxBytes) return Buffer.from(scratch.subarray(0, first));
      const stats = fs.fstatSync(fd);
      if (stats.isDirectory()) throw Object.assign(new Error(`${file} is a directory`), { code: 'EISDIR' });
      if (!stats.isFile()) throw Object.assign(new Error(`${file} is not a regular file`), { code: 'ENOTREG' });
      if (readError) throw readError;
      const { size } = stats;
      if (size > maxBytes) {
        throw Object.assign(new Error(`${file} is ${size} bytes, over the limit of ${maxBytes}`), { code: 'EFBIG' });
      }
      const buffer = Buffer.allocUnsafe(size);
      let offset = 0;
      while (offset < size) {
        const n = fs.readSync(fd, buffer, offset, size - offset, offset);
        if (n === 0) break;
        offset += n;
      }
      return offset === size ? buffer : buffer.subarray(0, offset);
    } finally {
      fs.closeSync(fd);
    }
  },
  entry(target) {
    const stats = fs.lstatSync(target);
    return { type: typeOf(stats), size: stats.size, mtimeMs: stats.mtimeMs };
  },
  remove(target, onlyFile) {
    if (onlyFile !== undefined && removeFolderOfOneFile(target, onlyFile)) return;
    fs.rmSync(target, { recursive: true, force: false });
  },
  removeEmptyDir(dir) {
    fs.rmdirSync(dir);
  },
};

/**
 * lstat, unlink, rmdir: what removing a registry folder of one file takes.
 * fs.rmSync makes about eight calls for the same folder (two stats, a
 * failing rmdir, a listing, a stat of the file), and on a volume where each
 * directory change is slow (ext4 with `discard`) deletion is most of a real
 * run. True when the folder is gone; false when it is not what the hint
 * said (a link, a file, other content): then the general removal decides.
 */
function removeFolderOfOneFile(target: string, onlyFile: string): boolean {
  // lstat first: through a link in place of the folder, unlink would delete the file it leads to.
  if (!fs.lstatSync(target).isDirectory()) return false;
  try {
    fs.unlinkSync(onlyFile);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT') return false;
  }
  try {
    fs.rmdirSync(target);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOTEMPTY' || code === 'EEXIST') return false;
    throw error;
  }
}

/**
 * nodeFileSystem.remove on libuv's thread pool, for a few deletions at once:
 * where each directory change waits on the disk, they overlap. Only for the
 * real file system: a custom FileSystem (fault injection) sees its own
 * remove() called, one deletion at a time.
 */
export async function removeInBackground(target: string, onlyFile?: string): Promise<void> {
  if (onlyFile !== undefined && (await removeFolderOfOneFileAsync(target, onlyFile))) return;
  await fs.promises.rm(target, { recursive: true, force: false });
}

/** removeFolderOfOneFile, the same three calls off this thread. */
async function removeFolderOfOneFileAsync(target: string, onlyFile: string): Promise<boolean> {
  if (!(await fs.promises.lstat(target)).isDirectory()) return false;
  try {
    await fs.promises.unlink(onlyFile);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') return false;
  }
  try {
    await fs.promises.rmdir(target);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOTEMPTY' || code === 'EEXIST') return false;
    throw error;
  }
}
