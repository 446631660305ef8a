/**
 * Freeing the trash: the entries of a run, then its journal, then its
 * folders. It touches nothing but the trash (every target is checked to lie
 * inside it right before it goes), so it may run while the registry serves.
 * The journal goes last: a purge killed half-way leaves a run that still
 * says what is left of it, and a second purge finishes it.
 */
import type { RegistryLayout } from '../registry/layout.js';
import type { Findings } from '../report/findings.js';
import { isNotFound } from '../storage/errno.js';
import type { Storage } from '../storage/storage.js';
import { journalLine, type Journal } from './journal.js';
import { assertRealTrash, removeIfEmpty, shardIsReal } from './runs.js';

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
    await handle.append(journalLine({ op: 'purge' }));
    await handle.close();
  }
  // In the order of the moves: what a partly purged run still holds is then what a run deleting in
  // place had not yet deleted when it was killed (restore.ts puts back no part of a freed item).
  const moves = journal.records.flatMap((r) => (r.op === 'move' ? [r] : [])).sort((a, b) => a.seq - b.seq);
  const freedBefore = { count: 0, failed: false };
  await freeInOrder(ctx, run, moves.map((m) => ({ seq: m.seq, file: m.file })), freedBefore);
  // What the journal does not name (a journal lost with the machine's power): freed too, it is in the trash.
  const shards: string[] = [];
  const leftover: number[] = [];
  const strays: string[] = [];
  for (const shard of await listOrNone(storage, layout.trashEntriesDir(run))) {
    const dir = `${layout.trashEntriesDir(run)}/${shard.name}`;
    if (shard.type !== 'dir' || !/^\d+$/.test(shard.name)) {
      strays.push(dir);
      continue;
    }
    shards.push(dir);
    for (const entry of await listOrNone(storage, dir)) {
      // Only what is named as this run's entry, where that entry lives.
      const seq = /^\d{1,15}$/.test(entry.name) ? Number(entry.name) : -1;
      if (seq >= 0 && layout.trashEntry(run, seq) === `${dir}/${entry.name}`) leftover.push(seq);
      else strays.push(`${dir}/${entry.name}`);
    }
  }
  for (const stray of strays) ctx.errors.fail('trash_stray', stray, 'not an entry of this run: left alone, so the run stays in the trash');
  await freeInOrder(ctx, run, leftover.sort((a, b) => a - b).map((seq) => ({ seq, file: undefined })), freedBefore);
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
async function freeInOrder(ctx: PurgeContext, run: string, entries: ReadonlyArray<{ seq: number; file: string | undefined }>, tally: { count: number; failed: boolean }): Promise<void> {
  const { layout, storage } = ctx;
  const shards = new Map<string, boolean>();
  let next = 0;
  const lane = async () => {
    while (next < entries.length && !ctx.signal?.aborted) {
      const { seq, file } = entries[next++]!;
      const target = layout.trashEntry(run, seq);
      layout.assertInTrash(target);
      if (!(await shardIsReal(layout, storage, run, seq, shards))) {
        tally.failed = true;
        ctx.errors.fail('symlink', layout.trashShardDir(run, seq), 'a folder of the trash is a symbolic link (or no folder): nothing below it is freed');
        continue;
      }
      try {
        await storage.remove(target, file === undefined ? undefined : `${target}/${file}`);
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

/** The trash folder itself goes once no run is left in it. */
export async function removeTrashIfEmpty(layout: RegistryLayout, storage: Storage): Promise<void> {
  try {
    await storage.removeEmptyDir(layout.trashDir);
  } catch {
    // Not empty (another run is kept), or gone: both fine.
  }
}
