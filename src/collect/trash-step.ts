/**
 * The trash around a real run's sweep (spec §8): a run opens its trash
 * before the first deletion, every deletion is a move into it, and when the
 * last move is done the offline window ends (the event, and `offlineMs`);
 * then the trash is freed, unless it is to be kept. A dry run, or `trash:
 * "off"`, deletes in place (a dry run deletes nothing at all). Runs left in
 * the trash by earlier runs are named in a warning, never freed here: they
 * may be wanted for a restore.
 */
import { performance } from 'node:perf_hooks';
import type { RegistryLayout } from '../registry/layout.js';
import { trashRunName } from '../registry/names.js';
import type { Findings } from '../report/findings.js';
import { RegistryGcError } from '../report/errors.js';
import type { Report } from '../report/report.js';
import { deleteInPlace, TrashRun, type Disposal } from '../trash/disposal.js';
import { purgeRun } from '../trash/purge.js';
import { listTrashRuns, readJournal } from '../trash/runs.js';
import type { PhaseClock } from './clock.js';
import type { NormalizedOptions } from './options.js';

export interface TrashStep {
  readonly disposal: Disposal;
  /** After a complete sweep: ends the offline window, then frees the trash unless it is kept. */
  finish(): Promise<Pick<Report, 'offlineMs' | 'trash'>>;
  /** After an aborted sweep: the trash stays as it is, restorable or purgeable. */
  abandon(): Promise<Pick<Report, 'offlineMs' | 'trash'>>;
}

export interface TrashStepContext {
  readonly layout: RegistryLayout;
  readonly findings: Findings;
  readonly errors: Findings;
  readonly opts: NormalizedOptions;
  readonly clock: PhaseClock;
  /** performance.now() at the start of the run. */
  readonly startedAt: number;
}

/** Names the runs earlier runs left in the trash. */
export async function warnOfTrashLeft(layout: RegistryLayout, opts: NormalizedOptions, findings: Findings): Promise<void> {
  let runs: string[];
  try {
    runs = await listTrashRuns(layout, opts.storage, findings);
  } catch (error) {
    // The run does not need the trash to decide anything: say so, and let opening it (or not) decide.
    findings.warn('trash_unavailable', layout.trashDir, `cannot read the trash: ${(error as Error).message}`);
    return;
  }
  for (const run of runs) {
    findings.warn('trash_left', layout.trashRunDir(run), `an earlier run's trash is still here: "registry-gc restore ROOT ${run}" puts it back, "registry-gc purge ROOT" frees it`);
  }
}

/**
 * The run's trash. Where it cannot be made, a run that would free it anyway
 * deletes in place (said); a run asked to keep it refuses before the first
 * deletion: keeping is the point of it.
 */
async function openTrash(ctx: TrashStepContext): Promise<TrashRun | undefined> {
  const { layout, opts } = ctx;
  const keep = opts.trash === 'keep';
  if (keep && opts.storage.rename === undefined) {
    throw new RegistryGcError('E_INVALID_OPTION', 'this storage cannot move (a FileSystem without rename): there can be no trash to keep; nothing was deleted');
  }
  try {
    return await TrashRun.open(layout, opts.storage, ctx.findings, trashRunName(new Date(), process.pid), new Date(), !keep);
  } catch (error) {
    const why = `cannot make the trash in ${layout.trashDir}: ${(error as Error).message}`;
    if (keep) throw new RegistryGcError('E_IO', `${why}; nothing was deleted (without --keep-trash the run would delete in place)`, [], { cause: error });
    ctx.findings.warn('trash_unavailable', layout.trashDir, `${why}: this run deletes in place, and what it deletes cannot be restored`);
    return undefined;
  }
}

export async function openTrashStep(ctx: TrashStepContext): Promise<TrashStep> {
  const { layout, opts } = ctx;
  const offlineMs = () => Math.round((performance.now() - ctx.startedAt) * 10) / 10;
  const trash = opts.dryRun || opts.trash === 'off' ? undefined : await openTrash(ctx);
  if (trash === undefined) {
    const abandon = async () => (opts.dryRun ? {} : { offlineMs: offlineMs() });
    const finish = async () => {
      if (opts.dryRun) return {};
      // Deleted in place: the window ends with the last deletion, and is said the same way.
      const offline = offlineMs();
      opts.onProgress({ phase: 'purge', done: 0, total: 0, offlineMs: offline });
      return { offlineMs: offline };
    };
    return { disposal: deleteInPlace(opts.storage), finish, abandon };
  }
  const summary = (purged: boolean): Report['trash'] => ({
    run: trash.run,
    path: layout.trashRunDir(trash.run),
    moved: trash.moved,
    deletedInPlace: trash.deletedInPlace,
    purged,
  });
  return {
    disposal: trash,
    async finish() {
      await trash.finish(new Date());
      const offline = offlineMs();
      const keep = opts.trash === 'keep' && trash.moved > 0;
      opts.onProgress({ phase: 'purge', done: 0, total: keep ? 0 : trash.moved, offlineMs: offline, trashKept: keep });
      if (keep) return { offlineMs: offline, trash: summary(false) };
      const journal = await readJournal(layout, opts.storage, trash.run);
      const onEntries = (done: number, total: number) => opts.onProgress({ phase: 'purge', done, total });
      const before = ctx.errors.problems.length;
      await ctx.clock.time('purge', () => purgeRun({ layout, storage: opts.storage, errors: ctx.errors, signal: opts.signal, onEntries }, trash.run, journal));
      return { offlineMs: offline, trash: summary(ctx.errors.problems.length === before) };
    },
    async abandon() {
      await trash.close();
      // A trash with nothing moved into it has nothing to put back.
      if (trash.moved === 0) await purgeRun({ layout, storage: opts.storage, errors: ctx.errors, signal: undefined }, trash.run, await readJournal(layout, opts.storage, trash.run));
      return { offlineMs: offlineMs(), trash: summary(false) };
    },
  };
}
