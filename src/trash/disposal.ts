/**
 * How the sweep takes an item out of the registry (sweep/context.ts calls
 * it right after the containment check): deleted in place, or — in a real
 * run, by default — moved into the trash of the run with one atomic rename.
 * A move frees no blocks and is one call where deleting a folder takes
 * three; the registry can serve again as soon as the last move is done,
 * and the trash is freed after (purge.ts), or put back (restore.ts).
 */
import path from 'node:path';
import type { RegistryLayout } from '../registry/layout.js';
import type { Findings } from '../report/findings.js';
import { errorCode } from '../storage/errno.js';
import type { AppendHandle, Storage } from '../storage/storage.js';
import { journalLine, TRASH_FORMAT, TRASH_VERSION, type JournalRecord } from './journal.js';
import { assertRealTrash } from './runs.js';

/** An item a phase will take out of the registry: its path, and the one file the registry keeps in it. */
export interface Intent {
  readonly target: string;
  readonly onlyFile?: string | undefined;
}

export interface Disposal {
  /**
   * Says which items the next deletions will take (a batch of a phase), so
   * that their journal lines are written in one call before any of them goes.
   */
  intend(items: readonly Intent[]): Promise<void>;
  /** Takes `target` (a folder or file) out of the registry; `onlyFile` as for Storage.remove. */
  dispose(target: string, onlyFile?: string): Promise<void>;
  /** Removes an emptied folder (ENOTEMPTY when it is not empty). */
  disposeEmptyDir(dir: string): Promise<void>;
  /**
   * Where the items go to another thread together (Storage.renames): how
   * many to ask for at once. The sweep then starts a whole batch and
   * prepares the next while that one moves. Undefined: a few at a time.
   */
  readonly overlapBatch?: number | undefined;
}

export function deleteInPlace(storage: Storage): Disposal {
  return {
    intend: async () => {},
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
  /** The journal cannot grow (a full disk): the rest is deleted in place. */
  private full = false;
  /** The shard folders made (or being made) so far, by path; one that failed is tried again. Moves made on another thread make their own (Storage.renames). */
  private readonly shards = new Map<string, Promise<void>>();
  /** Items whose move line is written already (intend), by path. */
  private readonly intended = new Map<string, number>();

  /** While the journal can grow and the storage moves on another thread (a full disk deletes in place). */
  get overlapBatch(): number | undefined {
    return this.full ? undefined : this.storage.renames?.batch;
  }

  private constructor(
    readonly run: string,
    private readonly layout: RegistryLayout,
    private readonly storage: Storage,
    private readonly rename: (from: string, to: string) => Promise<void>,
    private readonly findings: Findings,
    private readonly journal: AppendHandle,
    private readonly mayDeleteInPlace: boolean,
  ) {}

  /**
   * Opens the trash of run `run`: its folders and journal. Undefined where
   * the storage cannot move. Throws where the trash cannot be made (a root
   * that cannot be written, a trash folder that is a link or a file): the
   * caller decides whether the run may delete in place instead.
   * `mayDeleteInPlace`: the trash is freed at the end of the run anyway, so
   * when the disk fills up and the journal cannot grow, the rest is deleted
   * in place rather than left.
   */
  static async open(layout: RegistryLayout, storage: Storage, findings: Findings, run: string, startedAt: Date, mayDeleteInPlace: boolean): Promise<TrashRun | undefined> {
    if (storage.rename === undefined) return undefined;
    const rename = (from: string, to: string) => storage.rename!(from, to);
    await assertRealTrash(layout, storage);
    await storage.ownFiles.makeDir(layout.trashEntriesDir(run));
    const journal = await storage.ownFiles.openAppend(layout.trashJournal(run));
    const header: JournalRecord = { op: 'run', format: TRASH_FORMAT, version: TRASH_VERSION, run, root: layout.root, startedAt: startedAt.toISOString() };
    await journal.append(journalLine(header));
    return new TrashRun(run, layout, storage, rename, findings, journal, mayDeleteInPlace);
  }

  /**
   * Appends a line; false when the disk is full and the rest of the run is
   * to be deleted in place (said once). Any other failure is thrown: the
   * item it was for stays where it is.
   */
  private async record(...records: JournalRecord[]): Promise<boolean> {
    if (this.full) return false;
    try {
      await this.journal.append(records.map(journalLine).join(''));
      return true;
    } catch (error) {
      const code = errorCode(error);
      if (!this.mayDeleteInPlace || (code !== 'ENOSPC' && code !== 'EDQUOT')) throw error;
      this.full = true;
      this.findings.warn('trash_full', this.layout.trashJournal(this.run), 'the disk is full: the journal cannot grow, so the rest of this run deletes in place (its trash is freed at the end anyway)');
      return false;
    }
  }

  /**
   * Writes the move lines of a batch in one call (150,000 lines one by one
   * took 0.7 s of a 8 s window). A line whose item then stays (a re-check
   * keeps it) names a move that never happened: its origin is still in place.
   */
  async intend(items: readonly Intent[]): Promise<void> {
    const records = items.map(({ target, onlyFile }): JournalRecord => {
      const seq = this.next++;
      this.intended.set(target, seq);
      return this.moveRecord(seq, target, onlyFile);
    });
    if (records.length === 0) return;
    // Only this batch's: the batch before may still be moving, with its lines written.
    const forget = () => items.forEach(({ target }) => this.intended.delete(target));
    try {
      if (!(await this.record(...records))) forget();
    } catch {
      // The batch's lines are not written: each item writes its own, and a failure then is that item's alone.
      forget();
    }
  }

  private moveRecord(seq: number, target: string, onlyFile: string | undefined): JournalRecord {
    return { op: 'move', seq, from: this.layout.relative(target), file: onlyFile && path.basename(onlyFile) };
  }

  async dispose(target: string, onlyFile?: string): Promise<void> {
    let seq = this.intended.get(target);
    this.intended.delete(target);
    // The line first: a moved entry always has its line (journal.ts), written with its batch or now.
    if (seq === undefined && !this.full) {
      seq = this.next++;
      if (!(await this.record(this.moveRecord(seq, target, onlyFile)))) seq = undefined;
    }
    if (seq === undefined) {
      await this.storage.remove(target, onlyFile);
      this.deletedInPlace++;
      return;
    }
    try {
      await this.moveInto(this.layout.trashShardDir(this.run, seq), target, this.layout.trashEntry(this.run, seq));
      this.moved++;
    } catch (error) {
      const code = errorCode(error);
      // Already gone (a folder the registry never made): nothing was moved, and the journal says so.
      if (code === 'ENOENT') await this.record({ op: 'gone', seq });
      if (code !== 'EXDEV') throw error;
      await this.record({ op: 'in-place', seq });
      await this.storage.remove(target, onlyFile);
      this.deletedInPlace++;
      if (!this.warnedCrossDevice) {
        this.warnedCrossDevice = true;
        this.findings.warn('trash_cross_device', target, 'on another file system than the trash: deleted in place (such items cannot be restored); the count is in the report');
      }
    }
  }

  /** Renames `target` to `entry` in `shard`, made first where it is not there. */
  private async moveInto(shard: string, target: string, entry: string): Promise<void> {
    // Moves made on another thread make their shard there too (Storage.renames).
    const offThread = this.storage.renames;
    if (offThread !== undefined) return offThread.rename(target, entry);
    // The promise is kept, not a flag set once made: the lanes of a phase arrive together, and each
    // made the shard again (4,395 failing mkdir and their lstat in a 150,540-move run).
    let made = this.shards.get(shard);
    if (made === undefined) {
      made = this.storage.ownFiles.makeDir(shard);
      this.shards.set(shard, made);
      made.catch(() => this.shards.get(shard) === made && this.shards.delete(shard));
    }
    await made;
    await this.rename(target, entry);
  }

  async disposeEmptyDir(dir: string): Promise<void> {
    const seq = this.next++;
    const recorded = await this.record({ op: 'rmdir', seq, from: this.layout.relative(dir) });
    try {
      await this.storage.removeEmptyDir(dir);
    } catch (error) {
      // Not removed (not empty, or not there): a restore must not make a folder that was never taken.
      if (recorded) await this.record({ op: 'gone', seq });
      throw error;
    }
  }

  /** Every move is done: says so in the journal and makes it durable. The moves stand even if that fails (said). */
  async finish(at: Date): Promise<void> {
    try {
      await this.record({ op: 'done', moved: this.moved, at: at.toISOString() });
      await this.close();
    } catch (error) {
      this.findings.warn('trash_journal', this.layout.trashJournal(this.run), `cannot finish the journal (${(error as Error).message}): the moves are done; a restore of this run may not find them all`);
    }
  }

  /** Makes the journal durable and closes it (an aborted run: its trash stays, without `done`). Once. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.journal.sync();
    await this.journal.close();
  }
}
