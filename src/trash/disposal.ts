/**
 * How the sweep takes an item out of the registry (sweep/context.ts calls
 * it right after the containment check): deleted in place, or — in a real
 * run, by default — moved into the trash of the run with one atomic rename.
 * A move frees no blocks and is one call where deleting a folder takes
 * three; the registry can serve again as soon as the last move is done,
 * and the trash is freed after (purge.ts), or put back (restore.ts).
 */
import path from 'node:path';
import { TRASH_SHARDS, type RegistryLayout } from '../registry/layout.js';
import type { Findings } from '../report/findings.js';
import { errorCode } from '../storage/errno.js';
import type { AppendHandle, Storage } from '../storage/storage.js';
import { journalLine, TRASH_FORMAT, TRASH_VERSION, type JournalRecord } from './journal.js';
import { assertRealTrash } from './runs.js';

export interface Disposal {
  /** Takes `target` (a folder or file) out of the registry; `onlyFile` as for Storage.remove. */
  dispose(target: string, onlyFile?: string): Promise<void>;
  /** Removes an emptied folder (ENOTEMPTY when it is not empty). */
  disposeEmptyDir(dir: string): Promise<void>;
}

export function deleteInPlace(storage: Storage): Disposal {
  return {
    dispose: (target, onlyFile) => storage.remove(target, onlyFile),
    disposeEmptyDir: (dir) => storage.removeEmptyDir(dir),
  };
}

/** The trash of one run, being filled. */
export class TrashRun implements Disposal {
  /** Entries moved into the trash. */
  moved = 0;
  /** Entries that could not be moved (another file system) and were deleted in place. */
  deletedInPlace = 0;
  private next = 0;
  private warnedCrossDevice = false;
  private closed = false;
  private readonly shards = new Set<number>();

  private constructor(
    readonly run: string,
    private readonly layout: RegistryLayout,
    private readonly storage: Storage,
    private readonly rename: (from: string, to: string) => Promise<void>,
    private readonly findings: Findings,
    private readonly journal: AppendHandle,
  ) {}

  /**
   * Opens the trash of run `run`: its folders and journal. Undefined, with a
   * warning, where there can be none (a storage that cannot move, a root
   * that cannot be written): then the run deletes in place.
   */
  static async open(layout: RegistryLayout, storage: Storage, findings: Findings, run: string, startedAt: Date): Promise<TrashRun | undefined> {
    if (storage.rename === undefined) return undefined;
    const rename = (from: string, to: string) => storage.rename!(from, to);
    let journal: AppendHandle;
    try {
      await assertRealTrash(layout, storage);
      await storage.ownFiles.makeDir(layout.trashEntriesDir(run));
      journal = await storage.ownFiles.openAppend(layout.trashJournal(run));
      const header: JournalRecord = { op: 'run', format: TRASH_FORMAT, version: TRASH_VERSION, run, root: layout.root, startedAt: startedAt.toISOString() };
      await journal.append(journalLine(header));
    } catch (error) {
      findings.warn('trash_unavailable', layout.trashDir, `cannot make the trash (${(error as Error).message}): this run deletes in place, and what it deletes cannot be restored`);
      return undefined;
    }
    return new TrashRun(run, layout, storage, rename, findings, journal);
  }

  async dispose(target: string, onlyFile?: string): Promise<void> {
    const seq = this.next++;
    // The line first: a moved entry always has its line (journal.ts).
    await this.journal.append(journalLine({ op: 'move', seq, from: this.layout.relative(target), file: onlyFile && path.basename(onlyFile) }));
    try {
      const shard = seq % TRASH_SHARDS;
      if (!this.shards.has(shard)) {
        await this.storage.ownFiles.makeDir(this.layout.trashShardDir(this.run, seq));
        this.shards.add(shard);
      }
      await this.rename(target, this.layout.trashEntry(this.run, seq));
      this.moved++;
    } catch (error) {
      const code = errorCode(error);
      // Already gone (a folder the registry never made): nothing was moved, and the journal says so.
      if (code === 'ENOENT') await this.journal.append(journalLine({ op: 'gone', seq }));
      if (code !== 'EXDEV') throw error;
      await this.journal.append(journalLine({ op: 'in-place', seq }));
      await this.storage.remove(target, onlyFile);
      this.deletedInPlace++;
      if (!this.warnedCrossDevice) {
        this.warnedCrossDevice = true;
        this.findings.warn('trash_cross_device', target, 'on another file system than the trash: deleted in place (such items cannot be restored); the count is in the report');
      }
    }
  }

  async disposeEmptyDir(dir: string): Promise<void> {
    await this.journal.append(journalLine({ op: 'rmdir', seq: this.next++, from: this.layout.relative(dir) }));
    await this.storage.removeEmptyDir(dir);
  }

  /** Every move is done: says so in the journal and makes it durable. */
  async finish(at: Date): Promise<void> {
    await this.journal.append(journalLine({ op: 'done', moved: this.moved, at: at.toISOString() }));
    await this.close();
  }

  /** Makes the journal durable and closes it (an aborted run: its trash stays, without `done`). Once. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.journal.sync();
    await this.journal.close();
  }
}
