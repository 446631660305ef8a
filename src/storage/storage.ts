/**
 * The storage seam: every operation the collector makes on a registry's
 * storage goes through a Storage, so that the pipeline (scan, mark, sweep)
 * never knows which backend holds the tree.
 *
 * Two shapes, for two kinds of work:
 *
 *  - `reader`: synchronous listings and reads, for the scan. A scan is
 *    hundreds of thousands of small calls; on a file system, synchronous
 *    calls on worker threads beat any asynchronous hand-off several times
 *    over (spec §7). A backend that can run the scan on other threads says
 *    how to open itself there (`workerAccess`).
 *  - asynchronous, batch-shaped operations for everything after the scan:
 *    reading manifests and links, inspecting candidates, removing, renaming.
 *    A backend whose calls take milliseconds (an object store) answers a
 *    batch with many requests in flight; the file system answers small reads
 *    synchronously inside the promise and removals on its thread pool.
 *
 * Paths are absolute and built by the layout (registry/layout.ts). Errors are
 * Node-style: an error with `code` (`ENOENT` means "not there").
 */

export type EntryType = 'dir' | 'file' | 'symlink' | 'other';

/** One entry of a directory listing: its name, and what it is itself (a symbolic link is not followed). */
export interface DirEntry {
  readonly name: string;
  readonly type: EntryType;
}

/** What lstat tells of an entry itself (a symbolic link is not followed). */
export interface EntryInfo {
  readonly type: EntryType;
  readonly size: number;
  readonly mtimeMs: number;
}

/** How a caller of `Storage.inspect` will wait for the answer; a backend may ignore it. */
export interface InspectOptions {
  /**
   * The caller has other work to do meanwhile (it asks early and awaits
   * later): a backend with threads answers on another one even while its
   * calls are fast, so the two overlap on a second core.
   */
  readonly aside?: boolean;
}

/**
 * What says whether an entry changed between two looks (apply's re-check,
 * docs/recheck.md): `version` differs whenever the entry was written (a file)
 * or its entries changed (a folder); `changedMs` is when it last changed, on
 * the storage's clock.
 */
export interface EntryVersion {
  readonly type: EntryType;
  readonly version: string;
  readonly changedMs: number;
}

/** Synchronous reads of a tree: what the scan walks, on whichever thread runs it. */
export interface TreeReader {
  /** Lists a directory without following symbolic links in it. */
  list(dir: string): DirEntry[];
  /**
   * Reads a regular file, refusing a symbolic link as the last component
   * (ELOOP), a directory (EISDIR) or any other kind of file (ENOTREG); throws
   * EFBIG past `maxBytes`.
   */
  read(file: string, maxBytes: number): Buffer;
  /** The entry itself: type, size and modification time. */
  entry(target: string): EntryInfo;
}

/** An entry a backend cannot show as part of the tree (Storage.oddEntries). */
export interface OddEntry {
  /** Its name in the backend (an object key), exactly. */
  readonly key: string;
  readonly blocking: boolean;
}

/** A file written line by line (the trash's journal). */
export interface AppendHandle {
  /** Appends `data`; once this resolves, a crash of this process cannot lose it. */
  append(data: string): Promise<void>;
  /** Makes what was appended durable (fsync). */
  sync(): Promise<void>;
  /** Closes the file. */
  close(): Promise<void>;
}

/** One answer of a batch: each item succeeds or fails on its own. */
export type Outcome<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: unknown };

/**
 * How a worker thread opens the same storage: `module` (a URL) exports
 * `openStorage(data)`, and `data` survives a structured clone.
 */
export interface WorkerAccess {
  readonly module: string;
  readonly data: unknown;
}

/** A registry's storage: synchronous reads for the scan, batched asynchronous calls for the rest. */
export interface Storage {
  readonly reader: TreeReader;
  /** Undefined: this storage is scanned on the calling thread only. */
  readonly workerAccess: WorkerAccess | undefined;
  /** Reads each file as `reader.read` does; answers in the order asked. */
  readFiles(files: readonly string[], maxBytes: number): Promise<Outcome<Buffer>[]>;
  /** Inspects each target as `reader.entry` does; answers in the order asked. */
  inspect(targets: readonly string[], options?: InspectOptions): Promise<Outcome<EntryInfo>[]>;
  /** Lists a directory as `reader.list` does. */
  list(dir: string): Promise<DirEntry[]>;
  /**
   * The version of each entry itself (not following a link); answers in the
   * order asked. Absent where the backend cannot tell: apply re-checks a plan
   * in full there.
   */
  readonly versions?: (targets: readonly string[]) => Promise<Outcome<EntryVersion>[]>;
  /**
   * Removes a file or a folder tree, never following symbolic links.
   * `onlyFile`: the one file the registry keeps in this folder (`data`,
   * `link`), a hint that lets the common case take fewer calls; the result
   * must be the same with or without it.
   */
  remove(target: string, onlyFile?: string): Promise<void>;
  /** Removes an empty folder; ENOTEMPTY (or EEXIST) when it is not. */
  removeEmptyDir(dir: string): Promise<void>;
  /**
   * Moves `from` to `to` in one atomic step (as rename(2): a file at `to` is
   * replaced): how a real run moves garbage into the trash. Absent where the
   * storage cannot move (a custom FileSystem without `rename`): runs delete in place.
   */
  readonly rename?: (from: string, to: string) => Promise<void>;
  /** The collector's own files, which are no registry data: its lock, and the trash's folders and journal. */
  readonly ownFiles: OwnFiles;
  /**
   * Called once at the start of every run, before the first read: where the
   * backend reads ahead what the scan's synchronous reader answers (an object
   * store lists its bucket here).
   */
  readonly prepare?: (request: { readonly root: string; readonly maxManifestBytes: number; readonly signal?: AbortSignal | undefined }) => Promise<void>;
  /**
   * Entries the backend holds but cannot show as a tree (an object key no
   * file system could have): never deleted; warned about, or, where
   * `blocking` (the tree would hide what the registry reads), the run stops
   * before any deletion. Asked after `prepare`.
   */
  readonly oddEntries?: () => readonly OddEntry[];
  /**
   * How this backend wants removals: `batch` items asked for at once, all
   * in flight together (an object store sends them in one request). Absent:
   * a few at a time, as a file system wants.
   */
  readonly removals?: { readonly batch: number };
  /** The sweep's moves into the trash, made on another thread. Absent: the sweep moves through `rename`. */
  readonly renames?: OffThreadRenames | undefined;
}

/**
 * Moves made on another thread (Storage.renames). Those asked for in one
 * turn of the event loop go together; the sweep asks for `batch` at once
 * and prepares its next batch while one moves.
 */
export interface OffThreadRenames {
  /** Moves the sweep asks for at once. */
  readonly batch: number;
  /** As Storage.rename, except that `to`'s folder is made first where it is not there (a trash shard). */
  readonly rename: (from: string, to: string) => Promise<void>;
}

/** Operations on the collector's own files (its lock, the trash), apart from those on registry data. */
export interface OwnFiles {
  /** Creates `file` holding `data`, whole or not at all (a crash never leaves it empty); EEXIST when it exists. */
  create(file: string, data: string): Promise<void>;
  /** Reads `file` whole, as UTF-8. */
  read(file: string): Promise<string>;
  /** Opens `file` to append to, creating it. */
  openAppend(file: string): Promise<AppendHandle>;
  /** Creates a folder and the folders above it; a folder that exists is fine. */
  makeDir(dir: string): Promise<void>;
  /** Moves a stale lock aside (and back), as rename(2). */
  rename(from: string, to: string): Promise<void>;
  /** Removes a file; one that is not there is fine. */
  remove(file: string): Promise<void>;
  /**
   * False when `create` was found not to be exclusive (an object store that
   * ignores a conditional write): the lock is then only a best effort.
   * Asked after a `create` succeeded; absent: always exclusive.
   */
  readonly createIsExclusive?: () => boolean;
}

/** The outcome of one synchronous call. */
export function outcomeOf<T>(call: () => T): Outcome<T> {
  try {
    return { ok: true, value: call() };
  } catch (error) {
    return { ok: false, error };
  }
}

/** A batch answered by calling `one` on each item, on this thread. */
export function answerEach<I, T>(items: readonly I[], one: (item: I) => T): Outcome<T>[] {
  return items.map((item) => outcomeOf(() => one(item)));
}
