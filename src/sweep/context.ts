/**
 * What every sweep phase shares: the run's storage and findings, the options
 * that decide a deletion, and the steps of one: a containment check right
 * before it, dry run skipping only the call itself, the deletion itself (a
 * move into the run's trash, or a removal in place: trash/disposal.ts),
 * ENOENT as "already gone", and any other failure recorded while the sweep
 * goes on.
 *
 * `deleteEach` is the loop of every phase: it asks the `allow` hook about
 * each candidate, then deletes the allowed ones in batches of BATCH, up to
 * LANES at once where the items are independent (one lane where their order
 * matters), with progress and a yield to the event loop after each batch and
 * an abort honoured between two deletions. Where moves go to another thread
 * (Disposal.overlapBatch), a whole batch is in flight at once, and the next
 * is read and journalled while up to MOVING_BATCHES batches move. Where
 * items are independent, each batch's re-reads (`beforeBatch`) are asked for
 * while the batch before is journalled and goes: one batch ahead, never
 * more, and each item still read before its own deletion (on a slow disk the
 * reads run on other threads: storage/reader-threads.ts). It returns only
 * once the work in flight has ended, reads included, so what the caller
 * records is what happened.
 */
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { AgeGuard } from '../collect/age-guard.js';
import type { ProgressEvent } from '../collect/options.js';
import type { Digest } from '../registry/digest.js';
import type { RegistryLayout } from '../registry/layout.js';
import { readLinksFrom, type LinkRead } from '../registry/links.js';
import { mayDelete, type AllowDeletion, type DeletionCandidate } from '../report/candidate.js';
import type { Findings } from '../report/findings.js';
import { KINDS, type Category, type ItemFields } from '../report/kinds.js';
import type { IdentitySet } from '../report/identity-set.js';
import { errorCode, isNotFound, isPartialRemoval } from '../storage/errno.js';
import type { Storage } from '../storage/storage.js';
import type { Disposal, Intent } from '../trash/disposal.js';

/** Deletions between two yields to the event loop (abort signals, progress). */
const BATCH = 256;

/**
 * Deletions in flight at once. Measured on ext4 mounted with `discard` (2
 * cores): folder removals one at a time 160–180 µs each, four at a time
 * 130 µs; eight no better. Four is also libuv's default thread pool.
 */
const LANES = 4;

/**
 * Where moves go to another thread (Disposal.overlapBatch): batches left
 * moving while the next is prepared. The main thread sets the pace there
 * (reading each doomed link, journalling, building paths) and its time per
 * batch varies (a scavenge, a slow read), so with one batch moving the mover
 * sat idle ~1.2–1.7 s of a ~5 s sweep of `standard`; with three, 0.8–1.0 s,
 * and the three sweep phases of `-m --keep-trash` took 3.8–4.5 s instead of
 * 4.0–5.4 s (7 alternating pairs). Six were no better than three.
 */
const MOVING_BATCHES = 3;

export interface SweepContext {
  readonly layout: RegistryLayout;
  readonly storage: Storage;
  /** How an item leaves the registry: moved into the run's trash, or deleted in place. */
  readonly disposal: Disposal;
  readonly findings: Findings;
  /** Failed deletions (not ENOENT): the run reports them and exits non-zero. */
  readonly errors: Findings;
  /** minAge: young candidates are kept and reported. */
  readonly age: AgeGuard;
  readonly dryRun: boolean;
  readonly allow: AllowDeletion | undefined;
  readonly signal: AbortSignal | undefined;
  readonly onProgress: (event: ProgressEvent) => void;
  /** Folders checked (or being checked) to be real, not links, by areRealFolders: each once, whatever the lanes. */
  readonly realFolders: Map<string, Promise<boolean>>;
  /**
   * Planned links whose content is known without reading them again: apply
   * found each one's version (inode, ctime, mtime, size) unchanged since the
   * plan's dry run read its item's digest there (docs/recheck.md). Undefined
   * in a run.
   */
  readonly knownLinks?: IdentitySet;
}

/**
 * The links `files` of `items` (a link each, holding the item's digest when
 * it is what it should be), each read now unless known
 * (SweepContext.knownLinks).
 */
export async function readLinksOf(ctx: SweepContext, category: LinkCategory, items: readonly LinkItem[], files: readonly string[]): Promise<LinkRead[]> {
  const known = ctx.knownLinks;
  if (known === undefined) return readLinksFrom(ctx.storage, files);
  const isKnown = items.map((item) => known.has(category, item));
  const unknown = files.filter((_, i) => !isKnown[i]);
  const reads = unknown.length === 0 ? [] : await readLinksFrom(ctx.storage, unknown);
  let next = 0;
  return items.map((item, i): LinkRead => (isKnown[i] ? { state: 'ok', digest: item.digest } : reads[next++]!));
}

/** The kinds whose items are links (and whose re-read a plan can make unnecessary). */
export type LinkCategory = 'tags' | 'layerLinks' | 'tagHistory';
export type LinkItem = ItemFields & { readonly digest: Digest };

/**
 * True when each folder is a real folder, not a symbolic link (or is
 * absent). The scan does not list every folder on the way to what it
 * deletes (a tag's `index/`), so this is checked right before deleting below
 * one; a link is reported, and nothing below it is touched.
 */
export async function areRealFolders(ctx: SweepContext, folders: readonly string[]): Promise<boolean> {
  for (const folder of folders) {
    let real = ctx.realFolders.get(folder);
    if (real === undefined) {
      real = isRealFolder(ctx, folder);
      ctx.realFolders.set(folder, real);
    }
    if (!(await real)) return false;
  }
  return true;
}

async function isRealFolder(ctx: SweepContext, folder: string): Promise<boolean> {
  const [outcome] = await ctx.storage.inspect([folder]);
  const real = outcome!.ok ? outcome!.value.type !== 'symlink' : isNotFound(outcome!.error);
  if (!real) ctx.findings.warn('symlink', folder, 'symbolic link (or unreadable) on the way to a deletion; nothing below it is deleted');
  return real;
}

/**
 * Removes one path unless dry-run: `removed` (or in a dry run, would be),
 * `partial` when it was deleted in place half-way (its file is gone, its
 * folder could not go: it counts as deleted, and its folder is an error),
 * false when the deletion failed. `onlyFile`: the file the registry keeps in
 * that folder (Storage.remove).
 */
export async function removal(ctx: SweepContext, target: string, onlyFile?: string): Promise<'removed' | 'partial' | false> {
  ctx.layout.assertDeletable(target);
  if (ctx.dryRun) return 'removed';
  try {
    await ctx.disposal.dispose(target, onlyFile);
    return 'removed';
  } catch (error) {
    if (isNotFound(error)) return 'removed';
    if (isPartialRemoval(error)) {
      const what = onlyFile === undefined ? 'content' : onlyFile.slice(target.length + 1);
      ctx.errors.fail('delete_partial', target, `its ${what} was deleted, but the folder could not be removed: ${(error as Error).message}; a rerun removes it once that is fixed`);
      return 'partial';
    }
    ctx.errors.fail('delete_failed', target, `cannot delete: ${(error as Error).message}`);
    return false;
  }
}

/** removal() as a yes or no: true when the path is gone, or its file is (see removal). */
export async function remove(ctx: SweepContext, target: string, onlyFile?: string): Promise<boolean> {
  return (await removal(ctx, target, onlyFile)) !== false;
}

/**
 * Removes a folder if it is empty (never in dry-run). Returns true when it is
 * gone; a folder that is not empty is simply left.
 */
export async function removeIfEmpty(ctx: SweepContext, dir: string): Promise<boolean> {
  ctx.layout.assertDeletable(dir);
  if (ctx.dryRun) return false;
  try {
    await ctx.disposal.disposeEmptyDir(dir);
    return true;
  } catch (error) {
    // Not empty (something is still there, or appeared meanwhile), or gone already: both fine.
    const code = errorCode(error);
    if (code === 'ENOENT') return true;
    if (code !== 'ENOTEMPTY' && code !== 'EEXIST') {
      ctx.errors.fail('delete_failed', dir, `cannot remove empty folder: ${(error as Error).message}`);
    }
    return false;
  }
}

export interface DeleteEachOptions<T> {
  /** The candidate the `allow` hook is asked about; absent where marking asked already (manifests). */
  readonly candidate?: (item: T) => DeletionCandidate;
  /** Deletions at once: LANES where the items are independent, 1 where their order matters. */
  readonly lanes?: number;
  /**
   * Called with each batch of allowed items before any of them goes: where a
   * phase reads what it re-checks (links), it reads a batch at once, as a
   * backend with slow calls wants.
   */
  readonly beforeBatch?: (batch: readonly T[]) => Promise<void>;
  /**
   * What each item will take out of the registry, in the order its work
   * takes it: their journal lines are written with the batch, and the work
   * is handed them (its paths, made once).
   */
  readonly intents?: (item: T) => readonly Intent[];
}

const NO_INTENTS: readonly Intent[] = [];

/** Throws the reason of the first of `results` that was rejected, if any. */
export function throwFirstFailure(results: readonly PromiseSettledResult<unknown>[]): void {
  const failed = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failed) throw failed.reason;
}

/** The loop of every phase (see the module comment). */
export async function deleteEach<T>(
  ctx: SweepContext,
  category: Category,
  candidates: readonly T[],
  work: (item: T, intents: readonly Intent[]) => Promise<void>,
  { candidate, lanes: requestedLanes, beforeBatch, intents }: DeleteEachOptions<T> = {},
): Promise<void> {
  const { phase } = KINDS[category];
  const { allow } = ctx;
  const items = candidate === undefined || allow === undefined ? candidates : candidates.filter((item) => mayDelete(allow, candidate(item)));
  const total = items.length;
  // Moves sent to another thread together (Disposal.overlapBatch): a whole batch is asked for at once,
  // and the next one is read and journalled while it moves. Only where items are independent.
  const overlap = ctx.dryRun || requestedLanes !== undefined ? undefined : ctx.disposal.overlapBatch;
  // A backend that sends removals together (an object store) gets a whole batch at once, where the order allows.
  const batchSize = ctx.storage.removals?.batch ?? overlap ?? BATCH;
  const lanes = requestedLanes ?? (ctx.storage.removals !== undefined ? batchSize : (overlap ?? LANES));
  if (total > 0) ctx.onProgress({ phase, done: 0, total });
  let done = 0;
  // The batches still moving while the next is prepared (overlap only), oldest first; all awaited before this returns.
  const moving: Array<Promise<PromiseSettledResult<void>[]>> = [];
  // Set by the first work that throws (not a failed deletion: those are recorded): nothing more starts.
  let stopped = false;
  // Where items are independent, the next batch is read while this one is journalled and goes
  // (on a slow disk its reads run on other threads: storage/reader-threads.ts); still each item is read before its own deletion.
  const readAhead = requestedLanes === undefined;
  const readBatch = (from: number): Promise<void> | undefined => {
    if (beforeBatch === undefined || from >= total) return undefined;
    const reading = beforeBatch(items.slice(from, from + batchSize));
    reading.catch(() => {}); // awaited below; a phase that stops first has it awaited in `finally`
    return reading;
  };
  let reading = readAhead ? readBatch(0) : undefined;
  try {
    for (let start = 0; start < total && !stopped; start += batchSize) {
      ctx.signal?.throwIfAborted();
      const batch = items.slice(start, start + batchSize);
      if (readAhead) {
        await reading;
        reading = readBatch(start + batchSize);
      } else await readBatch(start);
      const batchIntents = intents === undefined ? undefined : batch.map(intents);
      if (batchIntents !== undefined && !ctx.dryRun) await ctx.disposal.intend(batchIntents.flat());
      // A batch still moving may have failed meanwhile: its failure is thrown below, and this batch never starts.
      if (stopped) break;
      let next = 0;
      const lane = async (): Promise<void> => {
        try {
          while (!stopped && next < batch.length) {
            ctx.signal?.throwIfAborted();
            const at = next++;
            await work(batch[at]!, batchIntents?.[at] ?? NO_INTENTS);
            done++;
          }
        } catch (error) {
          stopped = true;
          throw error;
        }
      };
      const running = Promise.allSettled(Array.from({ length: Math.min(lanes, batch.length) }, lane));
      let oldest: Promise<PromiseSettledResult<void>[]> | undefined = running;
      if (overlap !== undefined) {
        moving.push(running);
        oldest = moving.length > MOVING_BATCHES ? moving.shift() : undefined;
      }
      if (oldest !== undefined) throwFirstFailure(await oldest);
      if (start + batchSize < total) {
        ctx.onProgress({ phase, done, total });
        await yieldToEventLoop();
      }
    }
    while (moving.length > 0) throwFirstFailure(await moving.shift()!);
  } finally {
    // A failure (or an abort) while batches were moving: what the caller records is what happened.
    await Promise.all(moving);
    // Nothing of the phase is left running when it returns, a read ahead neither.
    await reading?.catch(() => {});
  }
  // Every phase reports its end, even one with nothing to do: a progress display sees it end.
  ctx.onProgress({ phase, done, total });
}
