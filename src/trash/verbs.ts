/**
 * The trash's verbs of the public API: purgeTrash() frees runs of the trash
 * (all, or those older than a duration), restoreTrash() puts the latest (or
 * a named) run back. Both take the collector's lock: purge only against a
 * concurrent collector (it touches nothing the registry reads, and may run
 * while it serves), restore because it writes into the registry's tree,
 * which must be stopped.
 */
import { acquireLock } from '../collect/lock.js';
import type { ProgressEvent } from '../collect/options.js';
import { parseDuration } from '../registry/duration.js';
import { RegistryLayout } from '../registry/layout.js';
import { RegistryGcError } from '../report/errors.js';
import { Findings } from '../report/findings.js';
import { byWarning } from '../report/order.js';
import type { Problem } from '../report/report.js';
import { checkRegistryRoot } from '../scan/root-check.js';
import { DigestInterner } from '../registry/digest-interner.js';
import { chooseStorage, type FileSystem } from '../storage/file-system.js';
import type { Storage } from '../storage/storage.js';
import { purgeRun } from './purge.js';
import { restoreRun, type RestoreCounts } from './restore.js';
import { foreignFormat, listTrashRuns, readJournal, runStartedAt } from './runs.js';

/** What purgeTrash and restoreTrash share. */
export interface TrashOptions {
  /** Stops between two entries; what was done stays done, and a second call finishes. */
  signal?: AbortSignal;
  /** Entries freed or put back so far, as a run's progress events. */
  onProgress?: (event: ProgressEvent) => void;
  /** As CollectOptions.fileSystem and .storage. */
  fileSystem?: FileSystem;
  storage?: Storage;
}

/** Options of purgeTrash. */
export interface PurgeOptions extends TrashOptions {
  /** Only runs that started longer ago than this: a Go-style duration ("168h", "7d") or milliseconds. @default every run */
  olderThan?: string | number;
  /** The time runs are aged against. @default the current time */
  now?: Date;
}

/** One run of the trash that a purge freed (or began to). */
export interface PurgedRun {
  readonly run: string;
  readonly startedAt: string;
  /** Entries freed. */
  readonly entries: number;
  /** The run's moves had all been made (its journal says `done`); false for a run that was killed or aborted. */
  readonly complete: boolean;
  /** The run is gone from the trash (false: a removal failed; see errors). */
  readonly freed: boolean;
}

/** What purgeTrash did: the runs it freed, those it kept, and what went wrong. */
export interface PurgeReport {
  readonly root: string;
  readonly trash: string;
  readonly purged: readonly PurgedRun[];
  /** Runs younger than `olderThan`, left. */
  readonly kept: readonly string[];
  readonly warnings: readonly Problem[];
  readonly errors: readonly Problem[];
}

/** Options of restoreTrash. */
export interface RestoreOptions extends TrashOptions {
  /** The run to put back. @default the latest */
  run?: string;
}

/** What restoreTrash did: the counts of what was put back, and what it refused. */
export interface RestoreReport extends RestoreCounts {
  readonly root: string;
  readonly run: string;
  /** Every entry is back and the run is gone from the trash. */
  readonly finished: boolean;
  /** Entries not put back because something is in their place now: each names that path. */
  readonly refused: readonly Problem[];
  readonly warnings: readonly Problem[];
  readonly errors: readonly Problem[];
}

/** An interrupted purge or restore: run it again to finish. */
function aborted(verb: string, cause: unknown): RegistryGcError {
  return new RegistryGcError('E_ABORTED', `the ${verb} was interrupted; run it again to finish it`, [], { cause });
}

async function open(root: string, options: TrashOptions) {
  if (typeof root !== 'string' || root === '') throw new RegistryGcError('E_INVALID_OPTION', 'root must be a non-empty path');
  const layout = new RegistryLayout(root);
  const storage = chooseStorage(options.storage, options.fileSystem);
  const findings = new Findings(layout);
  checkRegistryRoot({ layout, reader: storage.reader, findings, digests: new DigestInterner() });
  const lock = await acquireLock(layout, storage, findings);
  return { layout, storage, findings, lock };
}

/**
 * Frees the trash of the registry at `root` (every run, or those older than
 * `olderThan`). It touches nothing but the trash, so it is safe while the
 * registry serves; it takes the lock against a concurrent collector.
 */
export async function purgeTrash(root: string, options: PurgeOptions = {}): Promise<PurgeReport> {
  const olderThan = options.olderThan === undefined ? 0 : typeof options.olderThan === 'number' ? options.olderThan : parseDuration(options.olderThan);
  if (olderThan === undefined || !Number.isFinite(olderThan) || olderThan < 0) {
    throw new RegistryGcError('E_INVALID_OPTION', `olderThan must be a duration like "168h" or "7d", got ${JSON.stringify(options.olderThan)}`);
  }
  const now = options.now ?? new Date();
  const { layout, storage, findings, lock } = await open(root, options);
  const errors = new Findings(layout);
  const purged: PurgedRun[] = [];
  const kept: string[] = [];
  try {
    for (const run of await listTrashRuns(layout, storage, findings)) {
      let journal;
      try {
        journal = await readJournal(layout, storage, run);
      } catch (error) {
        errors.fail('purge_failed', layout.trashJournal(run), `cannot read this run's journal: ${(error as Error).message}; the run is left`);
        continue;
      }
      const foreign = foreignFormat(journal);
      if (foreign !== undefined) {
        errors.fail('purge_failed', layout.trashJournal(run), foreign);
        continue;
      }
      const startedAt = runStartedAt(run, journal);
      if (olderThan > 0 && now.getTime() - startedAt.getTime() < olderThan) {
        kept.push(run);
        continue;
      }
      const before = errors.problems.length;
      const onEntries = (done: number, total: number) => options.onProgress?.({ phase: 'purge', done, total });
      let entries = 0;
      try {
        entries = await purgeRun({ layout, storage, errors, signal: options.signal, onEntries }, run, journal);
      } catch (error) {
        if (options.signal?.aborted) throw aborted('purge', error);
        // One run that cannot be freed does not keep the others: it is named, and left.
        errors.fail('purge_failed', layout.trashRunDir(run), `cannot free this run: ${(error as Error).message}`);
      }
      purged.push({ run, startedAt: startedAt.toISOString(), entries, complete: journal.complete, freed: errors.problems.length === before });
    }
  } finally {
    await lock.release();
  }
  return { root: layout.root, trash: layout.trashDir, purged, kept, warnings: [...findings.warnings].sort(byWarning), errors: [...errors.problems].sort(byWarning) };
}

/**
 * Puts the latest (or the named) run of the trash back where each entry came
 * from, byte for byte, with the registry stopped (it takes the lock). It
 * refuses, naming the path, to overwrite anything there now, and restores the rest.
 */
export async function restoreTrash(root: string, options: RestoreOptions = {}): Promise<RestoreReport> {
  const { layout, storage, findings, lock } = await open(root, options);
  try {
    const runs = await listTrashRuns(layout, storage, findings);
    const run = options.run ?? runs.at(-1);
    if (run === undefined) throw new RegistryGcError('E_INVALID_OPTION', `the trash (${layout.trashDir}) holds no run to restore`);
    if (!runs.includes(run)) throw new RegistryGcError('E_INVALID_OPTION', `the trash holds no run ${JSON.stringify(run)}; it holds: ${runs.join(', ') || 'none'}`);
    const journal = await readJournal(layout, storage, run);
    const foreign = foreignFormat(journal);
    if (foreign !== undefined) throw new RegistryGcError('E_INVALID_OPTION', `cannot restore ${run}: ${foreign}`);
    const refused = new Findings(layout);
    const errors = new Findings(layout);
    const counts: RestoreCounts = { restored: 0, foldersRecreated: 0, alreadyInPlace: 0, notInTrash: 0, deletedInPlace: 0 };
    let finished: boolean;
    try {
      finished = await restoreRun({ layout, storage, refused, errors, signal: options.signal }, run, journal, counts);
    } catch (error) {
      if (options.signal?.aborted) throw aborted('restore', error);
      throw error;
    }
    return {
      root: layout.root,
      run,
      finished,
      ...counts,
      refused: [...refused.warnings].sort(byWarning),
      warnings: [...findings.warnings].sort(byWarning),
      errors: [...errors.problems].sort(byWarning),
    };
  } finally {
    await lock.release();
  }
}
