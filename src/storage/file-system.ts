/**
 * The synchronous FileSystem of the public API: the few calls a custom file
 * system must answer (tests inject faults through it, EACCES and EIO that
 * root cannot produce with chmod). A run given one wraps it into the storage
 * seam (storage.ts) with `storageOfFileSystem`: its reads and removals go
 * through it, on the calling thread (it cannot cross a thread boundary), and
 * so do its moves into the trash when it has `rename`; the collector's own
 * files (the lock, the trash's journal) stay on node:fs.
 */
import { nodeStorage } from './node-storage.js';
import { answerEach, type Storage, type TreeReader } from './storage.js';

export type { DirEntry, EntryType } from './storage.js';
export { nodeFileSystem } from './node-file-system.js';

export interface FileSystem extends TreeReader {
  /**
   * Removes a file or a directory tree, not following symbolic links.
   * `onlyFile`: the one file the registry keeps in this folder (`data`,
   * `link`), a hint; the result must be the same with or without it.
   */
  remove(target: string, onlyFile?: string): void;
  /** Removes an empty directory; fails with ENOTEMPTY otherwise. */
  removeEmptyDir(dir: string): void;
  /** Moves `from` to `to` atomically, as rename(2). Without it, a run given this file system deletes in place. */
  rename?(from: string, to: string): void;
}

export function storageOfFileSystem(fileSystem: FileSystem): Storage {
  return {
    reader: fileSystem,
    workerAccess: undefined,
    readFiles: async (files, maxBytes) => answerEach(files, (file) => fileSystem.read(file, maxBytes)),
    inspect: async (targets) => answerEach(targets, (target) => fileSystem.entry(target)),
    list: async (dir) => fileSystem.list(dir),
    remove: async (target, onlyFile) => fileSystem.remove(target, onlyFile),
    removeEmptyDir: async (dir) => fileSystem.removeEmptyDir(dir),
    rename: fileSystem.rename === undefined ? undefined : async (from, to) => fileSystem.rename!(from, to),
    ownFiles: nodeStorage.ownFiles,
  };
}

/** The storage a run uses: the one given, else the FileSystem given, else node:fs. */
export function chooseStorage(storage: Storage | undefined, fileSystem: FileSystem | undefined): Storage {
  return storage ?? (fileSystem === undefined ? nodeStorage : storageOfFileSystem(fileSystem));
}
