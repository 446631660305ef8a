/**
 * The file-system backend of the storage seam (storage.ts): the registry's
 * `filesystem` driver, on node:fs.
 *
 * Reads are synchronous: a link or a manifest of a few hundred bytes is
 * read faster than the thread pool can hand a request over (spec §7). Only
 * while the disk is slow (a cold cache) do batches of them (`readFiles`,
 * `inspect`: what the sweep re-reads and inspects) go to reader threads,
 * several requests in flight (reader-threads.ts). Removals go to libuv's thread pool, where
 * several overlap: on a volume where each directory change waits on the disk
 * (ext4 with `discard`), that is where a run deleting in place spends its
 * time. The sweep's moves into the trash go to a thread of their own
 * (rename-thread.ts), in batches, while this one prepares the next batch.
 * Worker threads open the same backend (`openStorage`) and scan with the
 * synchronous reader.
 */
import fs from 'node:fs';
import { codedError, partialRemoval } from './errno.js';
import { makeDir } from './make-dir.js';
import { nodeFileSystem, typeOf } from './node-file-system.js';
import { ReaderThreads } from './reader-threads.js';
import { RenameThread } from './rename-thread.js';
import { answerEach, type Storage } from './storage.js';

export { nodeFileSystem } from './node-file-system.js';

/** Moves asked for together go to the rename thread as one message: a sweep batch's worth. */
const RENAME_BATCH = 256;
const renameThread = new RenameThread(new URL('./rename-worker.js', import.meta.url));
const sweepRenames = { batch: RENAME_BATCH, rename: (from: string, to: string) => renameThread.rename(from, to) };
/** The sweep's batches of reads and lstats: on other threads where the compiled worker is there. */
const readerThreads = new ReaderThreads(new URL('./reader-worker.js', import.meta.url));

/**
 * lstat, unlink, rmdir: what removing a registry folder of one file takes.
 * fs.rm makes about eight calls for the same folder (two stats, a failing
 * rmdir, a listing, a stat of the file). True when the folder is gone; false
 * when it is not what the hint said (a link, a file, other content): then
 * the general removal decides.
 */
async function removeFolderOfOneFile(target: string, onlyFile: string): Promise<boolean> {
  // lstat first: through a link in place of the folder, unlink would delete the file it leads to.
  if (!(await fs.promises.lstat(target)).isDirectory()) return false;
  let unlinked = false;
  try {
    await fs.promises.unlink(onlyFile);
    unlinked = true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') return false;
  }
  try {
    await fs.promises.rmdir(target);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOTEMPTY' || code === 'EEXIST') return false;
    // The file went, its folder cannot (a folder above that cannot be written): say so, as it is.
    throw unlinked ? partialRemoval(error) : error;
  }
}

/**
 * Writes the whole buffer. write(2) may write less than asked (a disk
 * filling up) and fs.writeSync does not retry: a journal line cut short
 * without an error would lose the move it records. `write` returns the
 * bytes it wrote from `offset`; none at all is a full disk.
 */
export function writeAll(write: (buffer: Buffer, offset: number) => number, buffer: Buffer): void {
  for (let offset = 0; offset < buffer.length; ) {
    const written = write(buffer, offset);
    if (!(written > 0)) throw codedError('ENOSPC', `no byte of the ${buffer.length - offset} left could be written`);
    offset += written;
  }
}

/** True when the open file is not empty and its last byte is not a newline. */
function endsMidLine(fd: number): boolean {
  const { size } = fs.fstatSync(fd);
  if (size === 0) return false;
  const last = Buffer.alloc(1);
  return fs.readSync(fd, last, 0, 1, size - 1) === 1 && last[0] !== 0x0a;
}

export const nodeStorage: Storage = {
  reader: nodeFileSystem,
  workerAccess: { module: import.meta.url, data: null },
  readFiles: (files, maxBytes) => readerThreads.readFiles(files, maxBytes),
  inspect: (targets, options) => readerThreads.inspect(targets, options),
  async list(dir) {
    return nodeFileSystem.list(dir);
  },
  // Device, inode, ctime and mtime to the nanosecond, size: a rewrite in place changes the times,
  // a replacement the inode, a new or removed entry a folder's times.
  async versions(targets) {
    return answerEach(targets, (target) => {
      const s = fs.lstatSync(target, { bigint: true });
      const version = [s.dev, s.ino, s.ctimeNs, s.mtimeNs, s.size].map((n) => n.toString(36)).join('.');
      return { type: typeOf(s), version, changedMs: Number(s.ctimeNs > s.mtimeNs ? s.ctimeNs : s.mtimeNs) / 1e6 };
    });
  },
  async remove(target, onlyFile) {
    if (onlyFile !== undefined && (await removeFolderOfOneFile(target, onlyFile))) return;
    await fs.promises.rm(target, { recursive: true, force: false });
  },
  async removeEmptyDir(dir) {
    fs.rmdirSync(dir);
  },
  // On this thread, one at a time: cross-directory renames of folders serialize in the kernel anyway.
  // Measured (ext4 with discard, 100,000 one-file folders): 24.7 us a rename here, 27.7 us from two
  // threads, 33.7 us through the thread pool four at a time.
  async rename(from, to) {
    fs.renameSync(from, to);
  },
  // The sweep's moves: on one thread of their own, in order, while this one prepares the next batch.
  get renames() {
    return renameThread.available ? sweepRenames : undefined;
  },
  ownFiles: {
    // Written beside it, then linked in place (link(2) fails with EEXIST like an exclusive open):
    // a process killed half-way never leaves `file` empty, only, at worst, the `.new-<pid>` beside it.
    create: async (file, data) => {
      const temp = `${file}.new-${process.pid}`;
      await fs.promises.writeFile(temp, data);
      try {
        await fs.promises.link(temp, file);
      } finally {
        await fs.promises.rm(temp, { force: true });
      }
    },
    read: (file) => fs.promises.readFile(file, 'utf8'),
    // Synchronous writes to an open file: a line of the journal before each move costs one call.
    openAppend: async (file) => {
      const fd = fs.openSync(file, 'a+');
      // An append that failed part-way, or a process killed in one, left a torn line: the next one
      // starts on a line of its own, so that the torn one is skipped alone (trash/journal.ts) and
      // takes no whole line with it (a purge's line after a killed run's torn last one).
      let torn = endsMidLine(fd);
      return {
        append: async (data) => {
          const buffer = Buffer.from(torn ? `\n${data}` : data);
          torn = true;
          writeAll((chunk, offset) => fs.writeSync(fd, chunk, offset), buffer);
          torn = false;
        },
        sync: async () => fs.fsyncSync(fd),
        close: async () => fs.closeSync(fd),
      };
    },
    makeDir: async (dir) => makeDir(dir),
    rename: (from, to) => fs.promises.rename(from, to),
    remove: (file) => fs.promises.rm(file, { force: true }),
  },
};

/** Worker-thread entry of workerAccess. */
export function openStorage(): Storage {
  return nodeStorage;
}
