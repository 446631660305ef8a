/**
 * Freeing the trash: the entries of a run, then its journal, then its
 * folders. It touches nothing but the trash (every target is checked to lie
 * inside it right before it goes), so it may run while the registry serves.
 * The journal goes last: a purge killed half-way leaves a run that still
 * says what is left of it, and a second purge finishes it.
 *
 * Freeing a folder takes many calls, and a purge killed among them leaves a
 * part of the entry; a restore must never take that part for the whole (an
 * upload's folder emptied of its startedat, put back with its hashstates in
 * it: an upload no run collects again). So every entry is, for a restore,
 * either whole or freed, told by one atomic step:
 *   - a folder of one file (a blob's `data`, a link; the journal's `file`)
 *     loses that file first (Storage.remove): whatever else is left, it is
 *     whole while its file is there, and freed once it is not;
 *   - any other entry (an upload, its hashstates, a repository's folders)
 *     is renamed aside first (runs.ts freeingEntry) and freed there: one
 *     call, made only for these few, not for the hundreds of thousands of
 *     blobs and links.
 */
import type { RegistryLayout } from '../registry/layout.js';
import type { Findings } from '../report/findings.js';
import { isNotFound } from '../storage/errno.js';
import type { Storage } from '../storage/storage.js';
import { journalLine, type Journal } from './journal.js';
import { assertRealTrash, entryNamed, freeingEntry, removeIfEmpty, shardIsReal } from './runs.js';

/** Removals in flight at once: as the sweep's lanes (sweep/context.ts). */
const LANES = 4;

export interface PurgeContext {
  readonly layout: RegistryLayout;
  readonly storage: Storage;
  /** Removals that failed: the run is left for the next purge. */
  readonly errors: Findings;
  readonly signal: AbortSignal | undefined;
  /** Entries freed so far, every so often. */
  readonly onEntries?: (done: number, total: number) => void;
}

/** Frees one run of the trash; returns the number of entries freed. */
export async function purgeRun(ctx: PurgeContext, run: string, journal: Journal): Promise<number> {
  const { layout, storage } = ctx;
  await assertRealTrash(layout, storage, run);
  // Said before anything goes: from here on, what is not in the trash any more was freed (restore.ts).
  if (!journal.records.some((r) => r.op === 'purge')) {
    const handle = await storage.ownFiles.openAppend(layout.trashJournal(run));
    try {
      await handle.append(journalLine({ op: 'purge' }));
      // Durable before the first entry is freed: a restore after a power loss must know freeing began.
      await handle.sync();
    } finally {
      await handle.close();
    }
  }
  // In the order of the moves: what a partly purged run still holds is then what a run deleting in
  // place had not yet deleted when it was killed (restore.ts puts back no part of a freed item).
  const moves = journal.records.flatMap((r) => (r.op === 'move' ? [r] : [])).sort((a, b) => a.seq - b.seq);
  const freedBefore = { count: 0, failed: false };
  await freeInOrder(ctx, run, moves.map((m) => ({ seq: m.seq, file: m.file, freeing: false })), freedBefore);
  // What the journal does not name (a journal lost with the machine's power): freed too, it is in the trash.
  const shards: string[] = [];
  const leftover: Array<{ seq: number; file: undefined; freeing: boolean }> = [];
  const strays: string[] = [];
  for (const shard of await listOrNone(storage, layout.trashEntriesDir(run))) {
    const dir = `${layout.trashEntriesDir(run)}/${shard.name}`;
    if (shard.type !== 'dir' || !/^\d+$/.test(shard.name)) {
      strays.push(dir);
      continue;
    }
    shards.push(dir);
    for (const entry of await listOrNone(storage, dir)) {
      // Only what is named as this run's entry (or one a killed purge began to free), where that entry lives.
      const named = entryNamed(layout, run, dir, entry.name);
      if (named !== undefined) leftover.push({ seq: named.seq, file: undefined, freeing: named.freeing });
      else strays.push(`${dir}/${entry.name}`);
    }
  }
  for (const stray of strays) ctx.errors.fail('trash_stray', stray, 'not an entry of this run: left alone, so the run stays in the trash');
  await freeInOrder(ctx, run, leftover.sort((a, b) => a.seq - b.seq || Number(b.freeing) - Number(a.freeing)), freedBefore);
  const freed = freedBefore.count;
  ctx.onEntries?.(freed, freed);
  if (freedBefore.failed || strays.length > 0) return freed;
  for (const dir of shards) await removeIfEmpty(layout, storage, dir);
  await removeIfEmpty(layout, storage, layout.trashEntriesDir(run));
  await storage.ownFiles.remove(layout.trashJournal(run));
  await removeIfEmpty(layout, storage, layout.trashRunDir(run));
  await removeTrashIfEmpty(layout, storage);
  return freed;
}

async function listOrNone(storage: Storage, dir: string) {
  try {
    return await storage.list(dir);
  } catch (error) {
    if (isNotFound(error)) return [];
    throw error;
  }
}

/**
 * Frees entries in the given order, up to LANES at once, each lane taking the
 * next: no queue of a promise per entry (a run moves hundreds of thousands).
 * An abort stops new removals; those in flight end first.
 */
async function freeInOrder(
  ctx: PurgeContext,
  run: string,
  entries: ReadonlyArray<{ seq: number; file: string | undefined; freeing: boolean }>,
  tally: { count: number; failed: boolean },
): Promise<void> {
  const { layout, storage } = ctx;
  const shards = new Map<string, boolean>();
  let next = 0;
  const lane = async () => {
    while (next < entries.length && !ctx.signal?.aborted) {
      const { seq, file, freeing } = entries[next++]!;
      const target = freeing ? freeingEntry(layout, run, seq) : layout.trashEntry(run, seq);
      layout.assertInTrash(target);
      if (!(await shardIsReal(layout, storage, run, seq, shards))) {
        tally.failed = true;
        ctx.errors.fail('symlink', layout.trashShardDir(run, seq), 'a folder of the trash is a symbolic link (or no folder): nothing below it is freed');
        continue;
      }
      try {
        await freeEntry(ctx, run, seq, target, freeing, file);
        if (++tally.count % 1024 === 0) ctx.onEntries?.(tally.count, entries.length);
      } catch (error) {
        if (isNotFound(error)) continue;
        tally.failed = true;
        ctx.errors.fail('purge_failed', target, `cannot free: ${(error as Error).message}`);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(LANES, entries.length) }, lane));
  ctx.signal?.throwIfAborted();
}

/**
 * Frees one entry; one that is no folder of one file is renamed aside first
 * (the module comment), then removed there. `freeing`: `target` is such a
 * name already (a killed purge's). A storage that cannot move (none could
 * have made this trash, nor can restore it) removes the entry where it is.
 * ENOENT: the entry is not there.
 */
async function freeEntry(ctx: PurgeContext, run: string, seq: number, target: string, freeing: boolean, file: string | undefined): Promise<void> {
  const { layout, storage } = ctx;
  let doomed = target;
  if (!freeing && file === undefined && storage.rename !== undefined) {
    doomed = freeingEntry(layout, run, seq);
    layout.assertInTrash(doomed);
    await storage.rename(target, doomed);
  }
  await storage.remove(doomed, file === undefined ? undefined : `${doomed}/${file}`);
}

/** The trash folder itself goes once no run is left in it. */
export async function removeTrashIfEmpty(layout: RegistryLayout, storage: Storage): Promise<void> {
  try {
    await storage.removeEmptyDir(layout.trashDir);
  } catch {
    // Not empty (another run is kept), or gone: both fine.
  }
}
