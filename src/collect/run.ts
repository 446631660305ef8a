/**
 * What every kind of run shares, whatever decides its deletions (a scan and
 * a mark: collect-garbage.ts; a plan and its re-check: plan/apply-planned.ts):
 * the run's context, the door (root check, lock, an abort turned into
 * E_ABORTED), and the end (the sweep in the order of spec §4 through the
 * run's trash, and the report). Nothing is deleted before `decide` returns.
 */
import { performance } from 'node:perf_hooks';
import { DigestIds } from '../registry/digest-ids.js';
import { DigestInterner } from '../registry/digest-interner.js';
import { RegistryLayout } from '../registry/layout.js';
import { emptyDeletions, buildReport, type RunTally } from '../report/builder.js';
import { RegistryGcError, type Problem } from '../report/errors.js';
import { Findings } from '../report/findings.js';
import type { IdentitySet } from '../report/identity-set.js';
import { byWarning } from '../report/order.js';
import type { Report } from '../report/report.js';
import type { ScanContext } from '../scan/listing.js';
import { checkRegistryRoot } from '../scan/root-check.js';
import { sweep, type SweepInput } from '../sweep/sweep.js';
import { AgeGuard } from './age-guard.js';
import { PhaseClock } from './clock.js';
import { acquireLock } from './lock.js';
import { openTrashStep } from './trash-step.js';
import type { DeletedManifest } from '../report/report.js';
import type { Digest } from '../registry/digest.js';
import type { NormalizedOptions } from './options.js';

/** One run's shared state: where, through what, and what it found. */
export interface RunContext extends ScanContext {
  readonly opts: NormalizedOptions;
  /** performance.now() when the run began: the start of the offline window. */
  readonly startedAt: number;
  readonly errors: Findings;
  readonly clock: PhaseClock;
  readonly age: AgeGuard;
  /** The run's digests as ids: what the manifests, the blob listing and the layer links hold. */
  readonly ids: DigestIds;
}

/** What a run decided to delete, and what it saw on the way. */
export interface Decision {
  readonly seen: RunTally['seen'];
  /** Untagged revisions kept only because they are younger than minAge. */
  readonly manifestsKeptForAge: readonly DeletedManifest[];
  readonly sweep: SweepInput;
  /** As SweepContext.knownLinks. */
  readonly knownLinks?: IdentitySet;
}

/** Runs `body` with a fresh context, under the lock unless dry-run; an abort becomes E_ABORTED. */
export async function runWith(root: string, opts: NormalizedOptions, body: (ctx: RunContext) => Promise<Report>): Promise<Report> {
  const startedAt = performance.now();
  try {
    if (typeof root !== 'string' || root === '') throw new RegistryGcError('E_INVALID_OPTION', 'root must be a non-empty path');
    const layout = new RegistryLayout(root);
    const { storage } = opts;
    const ctx: RunContext = {
      layout,
      reader: storage.reader,
      findings: new Findings(layout),
      digests: new DigestInterner(),
      ids: new DigestIds(),
      opts,
      startedAt,
      errors: new Findings(layout),
      clock: new PhaseClock(opts.signal),
      age: new AgeGuard(storage.reader, opts.now, opts.minAge),
    };
    // A backend that reads ahead (an object store's listing) does so under the lock, which needs no
    // folder there; on a file system the root is checked before a lock file is made in it.
    const readsAhead = storage.prepare !== undefined;
    if (!readsAhead) checkRegistryRoot(ctx);
    // The lock guards deletions; a dry run deletes nothing and may run on a read-only snapshot.
    const lock = opts.dryRun ? undefined : await acquireLock(layout, storage, ctx.findings, opts.strict);
    try {
      if (readsAhead) {
        await prepareStorage(ctx);
        checkRegistryRoot(ctx);
      }
      return await body(ctx);
    } finally {
      await lock?.release();
    }
  } catch (error) {
    if (opts.signal?.aborted && !(error instanceof RegistryGcError && error.code === 'E_ABORTED')) {
      throw new RegistryGcError('E_ABORTED', 'the run was aborted before deleting anything', [], { cause: error });
    }
    throw error;
  }
}

/** The backend's read-ahead (an object store's listing), and what it found that it cannot show. */
async function prepareStorage(ctx: RunContext): Promise<void> {
  const { storage, maxManifestBytes, signal } = ctx.opts;
  if (storage.prepare === undefined) return;
  try {
    await ctx.clock.time('list', () => storage.prepare!({ root: ctx.layout.root, maxManifestBytes, signal }));
  } catch (error) {
    if (signal?.aborted) throw error;
    throw new RegistryGcError('E_IO', `cannot list the registry's storage: ${(error as Error).message}; nothing was deleted`, [], { cause: error });
  }
  for (const { key, blocking } of storage.oddEntries?.() ?? []) {
    // The path of such a key is not the key (its empty parts fold away): the message names it exactly.
    const at = `/${key}`;
    if (blocking) ctx.findings.fail('unexpected_entry', at, `the object key ${JSON.stringify(key)} and another are an object and a prefix of the same name: the registry reads the keys below it, which no tree can show; delete the stray object first`);
    else ctx.findings.warn('unexpected_entry', at, `the object key ${JSON.stringify(key)} has an empty, "." or ".." part, which the registry never reads; left alone`);
  }
}

/** Sweeps what was decided, through the run's trash, and reports. */
export async function sweepDecision(ctx: RunContext, decision: Decision): Promise<Report> {
  const { layout, findings, opts, clock, age } = ctx;
  const tally: RunTally = {
    root: layout.root,
    dryRun: opts.dryRun,
    deleteUntagged: opts.deleteUntagged,
    seen: decision.seen,
    deleted: emptyDeletions(),
    keptForAge: { manifests: [...decision.manifestsKeptForAge], blobs: [], uploads: [] },
    findings,
    errors: ctx.errors,
    durations: clock.durations,
  };
  const trash = await openTrashStep(ctx);
  const sweepContext = {
    layout,
    storage: opts.storage,
    disposal: trash.disposal,
    findings,
    errors: ctx.errors,
    age,
    dryRun: opts.dryRun,
    allow: opts.allow,
    signal: opts.signal,
    onProgress: opts.onProgress,
    realFolders: new Map<string, Promise<boolean>>(),
    knownLinks: decision.knownLinks,
  };
  try {
    await sweep(sweepContext, decision.sweep, tally, (phase, work) => clock.time(phase, work));
  } catch (error) {
    const left = await trash.abandon();
    if (opts.signal?.aborted) {
      const report = { ...buildReport(tally), ...left };
      throw new RegistryGcError('E_ABORTED', 'the run was aborted; the report lists what was deleted before', [], { cause: error, report });
    }
    throw error;
  }
  tally.tiedTo = tiesOf(decision.sweep, tally.deleted.blobs);
  let end;
  try {
    end = await trash.finish();
  } catch (error) {
    if (!opts.signal?.aborted) throw error;
    const report = { ...buildReport(tally), ...(await trash.abandon()) };
    throw new RegistryGcError('E_ABORTED', 'the run was aborted while freeing its trash: everything it collects is out of the registry, and the rest of the trash is left ("registry-gc purge" frees it)', [], { cause: error, report });
  }
  return { ...buildReport(tally), ...end };
}

/** Deleted blobs a revision folder without its link names (Report.blobs.tiedTo), for the summary's ranking. */
function tiesOf(input: SweepInput, deletedBlobs: readonly { digest: Digest }[]): { repository: string; digest: Digest }[] {
  const deleted = new Set(deletedBlobs.map((b) => b.digest));
  return input.scans.flatMap((scan) => scan.unlinkedRevisions.filter((d) => deleted.has(d)).map((digest) => ({ repository: scan.name, digest })));
}

/** Any problem found so far stops the run before it deletes anything. */
export function failOnProblems(findings: Findings, summary: string): void {
  if (findings.problems.length === 0) return;
  const problems: Problem[] = [...findings.problems].sort(byWarning);
  const code = problems.every((p) => p.code === 'symlink') ? 'E_SYMLINK' : 'E_MARK_INCOMPLETE';
  const shown = problems.slice(0, 5).map((p) => `  ${p.path}: ${p.message}`).join('\n');
  const more = problems.length > 5 ? `\n  … and ${problems.length - 5} more` : '';
  throw new RegistryGcError(code, `${summary}; nothing was deleted:\n${shown}${more}`, problems);
}
