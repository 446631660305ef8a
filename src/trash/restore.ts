/**
 * Putting a run's trash back: each entry exactly where it came from, in the
 * reverse order of the moves (a folder that was moved after what it held
 * comes back first), and each emptied folder made again. Nothing that exists
 * now is overwritten: such an entry stays in the trash and is named. An
 * interrupted restore is run again and finishes; once every entry is back,
 * the run's folder goes. After a partial purge, what comes back is what a
 * run deleting in place leaves when killed at the same point: a purge frees
 * entries in the order they were moved, and a part of an item whose rest was
 * freed is freed too, never put back alone. Nor is an entry a killed purge
 * began to free (purge.ts): a folder of one file without that file now, or
 * an entry no longer at its own name (renamed aside to be freed) counts as
 * freed, and what is left of it is freed here.
 */
import path from 'node:path';
import type { RegistryLayout } from '../registry/layout.js';
import type { Findings } from '../report/findings.js';
import { isNotFound } from '../storage/errno.js';
import type { Storage } from '../storage/storage.js';
import type { Journal } from './journal.js';
import { removeTrashIfEmpty } from './purge.js';
import { assertRealTrash, entryNamed, removeIfEmpty, shardIsReal } from './runs.js';

export interface RestoreCounts {
  /** Entries moved back into place. */
  restored: number;
  /** Emptied folders made again. */
  foldersRecreated: number;
  /** Journal lines whose origin is in place already (restored before, or never moved). */
  alreadyInPlace: number;
  /** Journal lines whose entry is neither in the trash nor in place (freed by a purge), and parts of such items. */
  notInTrash: number;
  /** Items the run deleted in place (another file system): they cannot come back. */
  deletedInPlace: number;
}

export interface RestoreContext {
  readonly layout: RegistryLayout;
  readonly storage: Storage;
  /** Entries left in the trash because something is in their place now. */
  readonly refused: Findings;
  readonly errors: Findings;
  readonly signal: AbortSignal | undefined;
}

/** The type of what is at `target`, or undefined when nothing is. */
async function typeAt(storage: Storage, target: string): Promise<string | undefined> {
  const [outcome] = await storage.inspect([target]);
  if (outcome!.ok) return outcome!.value.type;
  if (isNotFound(outcome!.error)) return undefined;
  throw outcome!.error;
}

const exists = async (storage: Storage, target: string) => (await typeAt(storage, target)) !== undefined;

async function freeFragment(ctx: RestoreContext, entry: string): Promise<void> {
  ctx.layout.assertInTrash(entry);
  try {
    await ctx.storage.remove(entry);
  } catch (error) {
    // Gone already (a purge's removal that was in the kernel when its process died finished it): nothing to free.
    if (!isNotFound(error)) throw error;
  }
}

/**
 * True when every folder from `v2` down to `dir` that exists is a real
 * folder: a link on the way (put there after the run) would take what is
 * put back outside the tree. Cached per run.
 */
async function realFoldersUpTo(ctx: RestoreContext, dir: string, cache: Map<string, boolean>): Promise<boolean> {
  const { layout } = ctx;
  const chain: string[] = [];
  for (let at = dir; at.length > layout.v2.length && layout.contains(at); at = path.dirname(at)) chain.unshift(at);
  for (const folder of chain) {
    let real = cache.get(folder);
    if (real === undefined) {
      const type = await typeAt(ctx.storage, folder);
      real = type === undefined || type === 'dir';
      cache.set(folder, real);
    }
    if (!real) return false;
  }
  return true;
}

/** Restores one run; true when every entry is back and the run's folder is gone. */
export async function restoreRun(ctx: RestoreContext, run: string, journal: Journal, counts: RestoreCounts): Promise<boolean> {
  const { layout, storage } = ctx;
  await assertRealTrash(layout, storage, run);
  if (storage.rename === undefined) throw new Error('this storage cannot move: nothing can be restored through it');
  const rename = (from: string, to: string) => storage.rename!(from, to);
  const inPlace = new Set(journal.records.flatMap((r) => (r.op === 'in-place' ? [r.seq] : [])));
  const wasGone = new Set(journal.records.flatMap((r) => (r.op === 'gone' ? [r.seq] : [])));
  // Only after a purge of this run began is an entry that is gone from the trash known to be freed
  // (else its place may be empty because a later run moved it into a trash of its own).
  const purgeBegan = journal.records.some((r) => r.op === 'purge');
  const shards = new Map<string, boolean>();
  const realFolders = new Map<string, boolean>();
  const steps = journal.records.flatMap((r) => (r.op === 'move' || r.op === 'rmdir' ? [r] : [])).sort((a, b) => b.seq - a.seq);
  let left = 0;
  // Origins of moved items a purge freed. What was moved out of one of them before it (an upload's
  // data before the upload's folder) is a part of that item: put back alone, it would be a fragment
  // no run leaves (an upload without its startedat), so it is freed too.
  const freed = new Set<string>();
  const insideFreed = (from: string) => {
    for (let at = from.lastIndexOf('/'); at > 0; at = from.lastIndexOf('/', at - 1)) if (freed.has(from.slice(0, at))) return true;
    return false;
  };
  for (const step of steps) {
    ctx.signal?.throwIfAborted();
    const origin = path.join(layout.root, ...step.from.split('/'));
    // A journal is read from disk: what it names must lie inside v2 before anything is put there.
    layout.assertDeletable(origin);
    // Nothing below a shard that is a link now is looked at, freed or put back.
    if (step.op === 'move' && !(await shardIsReal(layout, storage, run, step.seq, shards))) {
      ctx.refused.warn('restore_refused', origin, `${layout.relative(layout.trashShardDir(run, step.seq))} is a symbolic link (or no folder) now: nothing below it is put back`);
      left++;
      continue;
    }
    if (insideFreed(step.from)) {
      freed.add(step.from);
      if (step.op === 'move' && (await exists(storage, layout.trashEntry(run, step.seq)))) {
        await freeFragment(ctx, layout.trashEntry(run, step.seq));
        counts.notInTrash++;
      }
      continue;
    }
    if (step.op === 'rmdir') {
      if (!(await realFoldersUpTo(ctx, path.dirname(origin), realFolders))) continue;
      if (!(await exists(storage, origin))) {
        await storage.ownFiles.makeDir(origin);
        counts.foldersRecreated++;
      }
      continue;
    }
    if (wasGone.has(step.seq)) continue;
    if (inPlace.has(step.seq)) {
      // Gone for good: what was moved out of it before must not come back alone either.
      freed.add(step.from);
      counts.deletedInPlace++;
      continue;
    }
    const entry = layout.trashEntry(run, step.seq);
    const entryType = await typeAt(storage, entry);
    const [inTrash, taken] = [entryType !== undefined, await exists(storage, origin)];
    if (entryType === 'symlink') {
      // The collector moved no link into the trash: one there now is not what it took, and would lead outside.
      ctx.refused.warn('restore_refused', origin, `${layout.relative(entry)} is a symbolic link now: not put back`);
      left++;
      continue;
    }
    if (!inTrash) {
      if (taken) counts.alreadyInPlace++;
      else {
        counts.notInTrash++;
        if (purgeBegan) freed.add(step.from);
      }
      continue;
    }
    if (purgeBegan && step.file !== undefined && entryType === 'dir' && !(await exists(storage, `${entry}/${step.file}`))) {
      // A folder of one file that a purge began to free: its file went first, the rest is a fragment.
      await freeFragment(ctx, entry);
      counts.notInTrash++;
      freed.add(step.from);
      continue;
    }
    if (taken) {
      ctx.refused.warn('restore_refused', origin, `something is there now: not overwritten; the entry stays in the trash as ${layout.relative(entry)}`);
      left++;
      continue;
    }
    if (!(await realFoldersUpTo(ctx, path.dirname(origin), realFolders))) {
      ctx.refused.warn('restore_refused', origin, 'a folder on the way is a symbolic link (or no folder) now: not put back through it');
      left++;
      continue;
    }
    try {
      await storage.ownFiles.makeDir(path.dirname(origin));
      await rename(entry, origin);
      counts.restored++;
    } catch (error) {
      ctx.errors.fail('restore_failed', origin, `cannot put back ${layout.relative(entry)}: ${(error as Error).message}`);
      left++;
    }
  }
  if (left > 0) return false;
  const entries = layout.trashEntriesDir(run);
  for (const shard of await storage.list(entries).catch(() => [])) {
    if (shard.type !== 'dir') {
      ctx.refused.warn('restore_refused', `${entries}/${shard.name}`, 'not a folder of the trash (a symbolic link?): left, and so is the run');
      return false;
    }
    const dir = `${entries}/${shard.name}`;
    if (await removeIfEmpty(layout, storage, dir)) continue;
    // What is left is what a killed purge was freeing (its entries' parts), or not this run's (left).
    for (const child of await storage.list(dir).catch(() => [])) {
      const named = entryNamed(layout, run, dir, child.name);
      if (named?.freeing && purgeBegan && (await shardIsReal(layout, storage, run, named.seq, shards))) await freeFragment(ctx, `${dir}/${child.name}`);
    }
    await removeIfEmpty(layout, storage, dir);
  }
  if (!(await removeIfEmpty(layout, storage, entries))) return false;
  await storage.ownFiles.remove(layout.trashJournal(run));
  const gone = await removeIfEmpty(layout, storage, layout.trashRunDir(run));
  await removeTrashIfEmpty(layout, storage);
  return gone;
}
