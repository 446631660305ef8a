/**
 * A registry tree held in memory, behind the storage seam (storage.ts): the
 * second backend, which proves that the pipeline knows only the seam. Tests
 * run whole collections on it (worker threads and the concurrent sweep
 * included) and compare them with runs on disk; tool authors can use it to
 * test what they build on the library without a disk.
 *
 * - Built from a real folder (`fromDirectory`) or from nothing; `files()`
 *   lists what it holds, for comparisons.
 * - Worker threads get a copy of the tree (`workerAccess`): they only read,
 *   and only during the scan, before anything is changed.
 * - `faults` make a call fail with a Node-style code, on this thread and in
 *   workers alike: `{ op: 'read', path: '/r/…/link', code: 'EIO' }`.
 * - Asynchronous calls answer on a later turn of the event loop, so
 *   concurrent callers really overlap; `maxChangesInFlight` tells how many did.
 * - `latencyMs` makes every call wait, as a slower backend's would.
 */
import path from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { isMainThread } from 'node:worker_threads';
import { codedError } from './errno.js';
import { copyOfDirectory, MemoryTree, memoryDir, type MemoryDir } from './memory-tree.js';
import { answerEach, type DirEntry, type EntryInfo, type Storage, type TreeReader, type WorkerAccess } from './storage.js';

/** A MemoryStorage call that a fault can target. */
export type MemoryOperation = 'list' | 'read' | 'entry' | 'remove' | 'removeEmptyDir' | 'rename' | 'createExclusive' | 'append' | 'makeDir';

/** Makes every call `op` on `path` fail with the Node-style error `code`. */
export interface MemoryFault {
  readonly op: MemoryOperation;
  /** The absolute path the call names. */
  readonly path: string;
  readonly code: string;
}

interface MemoryTreeData {
  readonly root: MemoryDir;
  readonly faults: readonly MemoryFault[];
  readonly now: number;
  /** One counter shared by every thread's copy: reader calls made on worker threads. */
  readonly callsOnWorkers: SharedArrayBuffer;
  /** Milliseconds each call waits, as a slower backend's would. */
  readonly latencyMs: number;
}

/** A registry tree in memory behind the storage seam: for tests, with injectable faults and latency. */
export class MemoryStorage implements Storage {
  readonly reader: TreeReader;
  private readonly tree: MemoryTree;
  private readonly faults: MemoryFault[];
  private changesInFlight = 0;
  /** The most removals and renames that were in flight at once. */
  maxChangesInFlight = 0;

  private readonly callsOnWorkers: Int32Array;
  private readonly shared: SharedArrayBuffer;

  private readonly latencyMs: number;
  /** Waited on (never woken) for the latency: a sleep that blocks no other thread. */
  private readonly sleeper = new Int32Array(new SharedArrayBuffer(4));

  /** @internal A tree's own data: use MemoryStorage.fromDirectory (and worker threads, openStorage). */
  constructor(data: MemoryTreeData = { root: memoryDir(0), faults: [], now: 0, callsOnWorkers: new SharedArrayBuffer(4), latencyMs: 0 }) {
    this.latencyMs = data.latencyMs;
    this.tree = new MemoryTree(data.root, data.now);
    this.shared = data.callsOnWorkers;
    this.callsOnWorkers = new Int32Array(data.callsOnWorkers);
    this.faults = [...data.faults];
    this.reader = { list: (d) => this.listNow(d), read: (f, max) => this.readNow(f, max), entry: (t) => this.entryNow(t) };
  }

  /**
   * A copy of the folder `source` (files, folders, symbolic links with their
   * mtimes), at the same path. `latencyMs`: what each call waits.
   */
  static fromDirectory(source: string, { latencyMs = 0 }: { latencyMs?: number } = {}): MemoryStorage {
    const storage = new MemoryStorage({ root: memoryDir(0), faults: [], now: 0, callsOnWorkers: new SharedArrayBuffer(4), latencyMs });
    const absolute = path.resolve(source);
    storage.tree.ensureDir(path.dirname(absolute)).children.set(path.basename(absolute), copyOfDirectory(absolute));
    return storage;
  }

  get workerAccess(): WorkerAccess {
    const data: MemoryTreeData = { root: this.tree.root, faults: this.faults, now: this.tree.now, callsOnWorkers: this.shared, latencyMs: this.latencyMs };
    return { module: import.meta.url, data };
  }

  /** Reader calls made on worker threads so far (a scan that ran there). */
  get readerCallsOnWorkers(): number {
    return Atomics.load(this.callsOnWorkers, 0);
  }

  /** Every file below `top` (absolute), with its bytes, sorted: for comparing trees. */
  files(top: string): Map<string, Buffer> {
    return this.tree.files(top);
  }

  /** Writes a file (and the folders above it), as a registry would. */
  write(file: string, data: string | Uint8Array): void {
    this.tree.write(file, data);
  }

  /** Makes every later call `op` on `target` fail with `code`. */
  inject(fault: MemoryFault): void {
    this.faults.push(fault);
  }

  /** Takes every injected fault away (the cause is fixed). */
  clearFaults(): void {
    this.faults.length = 0;
  }



  // The reader ------------------------------------------------------------------

  private listNow(d: string): DirEntry[] {
    this.fault('list', d);
    const node = this.tree.need(d);
    if (node.type !== 'dir') throw codedError('ENOTDIR', `${d} is not a directory`);
    return [...node.children].map(([name, child]) => ({ name, type: child.type }));
  }

  private readNow(file: string, maxBytes: number): Buffer {
    this.fault('read', file);
    const node = this.tree.need(file);
    if (node.type === 'symlink') throw codedError('ELOOP', `${file} is a symbolic link`);
    if (node.type === 'dir') throw codedError('EISDIR', `${file} is a directory`);
    if (node.data.length > maxBytes) throw codedError('EFBIG', `${file} is ${node.data.length} bytes, over the limit of ${maxBytes}`);
    return Buffer.from(node.data);
  }

  private entryNow(target: string): EntryInfo {
    this.fault('entry', target);
    const node = this.tree.need(target);
    return { type: node.type, size: node.type === 'file' ? node.data.length : node.type === 'symlink' ? node.target.length : 4096, mtimeMs: node.mtimeMs };
  }

  // The asynchronous operations ---------------------------------------------------

  async readFiles(files: readonly string[], maxBytes: number) {
    await nextTurn();
    return answerEach(files, (file) => this.readNow(file, maxBytes));
  }

  async inspect(targets: readonly string[]) {
    await nextTurn();
    return answerEach(targets, (target) => this.entryNow(target));
  }

  async list(d: string) {
    await nextTurn();
    return this.listNow(d);
  }

  async remove(target: string): Promise<void> {
    this.changesInFlight++;
    this.maxChangesInFlight = Math.max(this.maxChangesInFlight, this.changesInFlight);
    try {
      await nextTurn();
      this.fault('remove', target);
      this.tree.need(target);
      this.tree.detach(target);
    } finally {
      this.changesInFlight--;
    }
  }

  async removeEmptyDir(d: string): Promise<void> {
    await nextTurn();
    this.fault('removeEmptyDir', d);
    const node = this.tree.need(d);
    if (node.type !== 'dir') throw codedError('ENOTDIR', `${d} is not a directory`);
    if (node.children.size > 0) throw codedError('ENOTEMPTY', `${d} is not empty`);
    this.tree.detach(d);
  }

  async rename(from: string, to: string): Promise<void> {
    this.changesInFlight++;
    this.maxChangesInFlight = Math.max(this.maxChangesInFlight, this.changesInFlight);
    try {
      await this.renameNow(from, to);
    } finally {
      this.changesInFlight--;
    }
  }

  private async renameNow(from: string, to: string): Promise<void> {
    await nextTurn();
    this.fault('rename', from);
    const node = this.tree.need(from);
    const parent = this.tree.find(path.dirname(to));
    if (!parent || parent.type !== 'dir') throw codedError('ENOENT', `${path.dirname(to)} does not exist`);
    // As rename(2): a file replaces a file, a folder only an empty folder.
    const there = parent.children.get(path.basename(to));
    if (there?.type === 'dir' && node.type !== 'dir') throw codedError('EISDIR', `${to} is a directory`);
    if (there !== undefined && there.type !== 'dir' && node.type === 'dir') throw codedError('ENOTDIR', `${to} is not a directory`);
    if (there?.type === 'dir' && there.children.size > 0) throw codedError('ENOTEMPTY', `${to} is not empty`);
    this.tree.detach(from);
    parent.children.set(path.basename(to), node);
    parent.mtimeMs = this.tree.now;
  }

  readonly ownFiles = {
    /** Creates `file` holding `data`: EEXIST when it exists, ENOENT when its folder does not. */
    create: async (file: string, data: string): Promise<void> => {
      this.fault('createExclusive', file);
      const parent = this.tree.find(path.dirname(file));
      if (!parent || parent.type !== 'dir') throw codedError('ENOENT', `${path.dirname(file)} does not exist`);
      if (parent.children.has(path.basename(file))) throw codedError('EEXIST', `${file} exists`);
      this.tree.write(file, data);
    },
    /** Reads `file` whole, as UTF-8. */
    read: async (file: string): Promise<string> => this.readNow(file, 1 << 30).toString('utf8'),
    /** Opens `file` to append to, creating it empty when it is not there. */
    openAppend: async (file: string) => {
      if (this.tree.find(file) === undefined) this.tree.write(file, '');
      return {
        /** Appends `data` to the file. */
        append: async (data: string): Promise<void> => {
          this.fault('append', file);
          const existing = this.tree.find(file);
          const before = existing?.type === 'file' ? existing.data : new Uint8Array();
          this.tree.write(file, Buffer.concat([before, Buffer.from(data)]));
        },
        /** Nothing to make durable in memory. */
        sync: async (): Promise<void> => {},
        /** Nothing to release in memory. */
        close: async (): Promise<void> => {},
      };
    },
    /** Creates a folder and the folders above it. */
    makeDir: async (dir: string): Promise<void> => {
      this.fault('makeDir', dir);
      this.tree.ensureDir(dir);
    },
    /** Moves `from` to `to`, as the storage's own rename (counted in maxChangesInFlight). */
    rename: (from: string, to: string): Promise<void> => this.rename(from, to),
    /** Removes a file; one that is not there is fine. */
    remove: async (file: string): Promise<void> => {
      if (this.tree.find(file)) this.tree.detach(file);
    },
  };

  // The tree ----------------------------------------------------------------------

  private fault(op: MemoryOperation, target: string): void {
    if (!isMainThread) Atomics.add(this.callsOnWorkers, 0, 1);
    if (this.latencyMs > 0) Atomics.wait(this.sleeper, 0, 0, this.latencyMs);
    const hit = this.faults.find((f) => f.op === op && f.path === target);
    if (hit) throw codedError(hit.code, `${op} ${target} (injected)`);
  }
}

/** Worker-thread entry of workerAccess. */
export function openStorage(data: MemoryTreeData): Storage {
  return new MemoryStorage(data);
}
