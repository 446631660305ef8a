/**
 * The synchronous file system on node:fs: the reader of `nodeStorage`
 * (node-storage.ts), the default FileSystem, and what the reader threads
 * (reader-threads.ts) answer with. No thread, no state but one scratch
 * buffer per thread: it loads anywhere.
 */
import fs from 'node:fs';
import type { FileSystem } from './file-system.js';
import type { EntryType } from './storage.js';

export function typeOf(entry: { isDirectory(): boolean; isFile(): boolean; isSymbolicLink(): boolean }): EntryType {
  if (entry.isSymbolicLink()) return 'symlink';
  if (entry.isDirectory()) return 'dir';
  if (entry.isFile()) return 'file';
  return 'other';
}

// O_NONBLOCK: opening a FIFO planted where a link or manifest should be must not hang the run.
const OPEN_FLAGS = fs.constants.O_RDONLY | (fs.constants.O_NOFOLLOW ?? 0) | (fs.constants.O_NONBLOCK ?? 0);

/** Per thread (each worker has its own module instance): reads never overlap. */
const scratch = Buffer.allocUnsafe(64 * 1024);

/** The synchronous FileSystem on node:fs: the reader of `nodeStorage`, and the default FileSystem. */
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
  // The hint is for the thread-pool removal of nodeStorage; one at a time, the general removal is as good.
  remove(target) {
    fs.rmSync(target, { recursive: true, force: false });
  },
  removeEmptyDir(dir) {
    fs.rmdirSync(dir);
  },
};

