/**
 * collectGarbage(): one run as a list of named phases, each timed.
 *
 *   discover         find the repositories
 *   scan             per repository: list revisions, tags, layer links, uploads; read
 *                    the manifests they name (on worker threads when that pays)
 *   blobs            list the blob store (on this thread, during the scan)
 *   (check)          any problem so far (symbolic link, unreadable folder): fail, nothing deleted
 *   mark             read the child manifests not read yet, then walk from the roots
 *                    through the manifests in memory; build the mark set
 *   (check)          any uncertain manifest, or a linked data among blobs to delete:
 *                    fail, nothing deleted; signs of a running registry: warn (strict: fail)
 *   sweep-…          one phase per deletable kind, in the order of report/kinds.ts
 *
 * Nothing is deleted before every read that could change a decision is done.
 * The options are normalised once, at the door; each phase gets what it needs.
 */
import { performance } from 'node:perf_hooks';
import { DigestInterner } from '../registry/digest-interner.js';
import { RegistryLayout } from '../registry/layout.js';
import { emptyDeletions, buildReport, type RunTally } from '../report/builder.js';
import { RegistryGcError, type Problem } from '../report/errors.js';
import { Findings } from '../report/findings.js';
import { byWarning } from '../report/order.js';
import type { Report } from '../report/report.js';
import { mark } from '../mark/mark.js';
import { listBlobs } from '../scan/blobs.js';
import { discoverRepositories } from '../scan/discover.js';
import type { ScanContext } from '../scan/listing.js';
import { ManifestStore } from '../scan/manifest-store.js';
import { scanRepositories } from '../scan/pool.js';
import { checkRegistryRoot } from '../scan/root-check.js';
import { inspectBlobCandidates } from '../sweep/blobs.js';
import { sweep } from '../sweep/sweep.js';
import { ActivityWatch, recentUploads, type ActivitySign } from './activity.js';
import { AgeGuard } from './age-guard.js';
import { PhaseClock } from './clock.js';
import { acquireLock } from './lock.js';
import { openTrashStep, warnOfTrashLeft } from './trash-step.js';
import { normalizeOptions, type CollectOptions, type NormalizedOptions } from './options.js';

export async function collectGarbage(root: string, options?: CollectOptions): Promise<Report> {
  return collectNormalized(root, normalizeOptions(options));
}

/** collectGarbage with options normalised already (makePlan's dry run). */
export async function collectNormalized(root: string, opts: NormalizedOptions): Promise<Report> {
  try {
    return await run(root, opts, performance.now());
  } catch (error) {
    if (opts.signal?.aborted && !(error instanceof RegistryGcError && error.code === 'E_ABORTED')) {
      throw new RegistryGcError('E_ABORTED', 'the run was aborted before deleting anything', [], { cause: error });
    }
    throw error;
  }
}

/** One run's shared state: where, through what, and what it found. */
interface RunContext extends ScanContext {
  readonly opts: NormalizedOptions;
  /** performance.now() when the run began: the start of the offline window. */
  readonly startedAt: number;
  readonly errors: Findings;
  readonly clock: PhaseClock;
  readonly age: AgeGuard;
}

async function run(root: string, opts: NormalizedOptions, startedAt: number): Promise<Report> {
  if (typeof root !== 'string' || root === '') throw new RegistryGcError('E_INVALID_OPTION', 'root must be a non-empty path');
  const layout = new RegistryLayout(root);
  const { storage } = opts;
  const ctx: RunContext = {
    layout,
    reader: storage.reader,
    findings: new Findings(layout),
    digests: new DigestInterner(),
    opts,
    startedAt,
    errors: new Findings(layout),
    clock: new PhaseClock(opts.signal),
    age: new AgeGuard(storage.reader, opts.now, opts.minAge),
  };
  checkRegistryRoot(ctx);
  // The lock guards deletions; a dry run deletes nothing and may run on a read-only snapshot.
  const lock = opts.dryRun ? undefined : await acquireLock(layout, storage, ctx.findings);
  try {
    return await collect(ctx);
  } finally {
    await lock?.release();
  }
}

async function collect(ctx: RunContext): Promise<Report> {
  const { layout, findings, opts, clock, age } = ctx;
  const { storage } = opts;

  // Repositories are scanned (on worker threads when that pays) while this thread lists the blobs.
  const store = new ManifestStore(layout, opts.maxManifestBytes, ctx.digests);
  await warnOfTrashLeft(layout, opts, findings);
  const names = clock.time('discover', () => discoverRepositories(ctx));
  const watch = new ActivityWatch(storage.reader, layout, names);
  const scanInput = { root: layout.root, names, storage, concurrency: opts.concurrency, maxManifestBytes: opts.maxManifestBytes, signal: opts.signal, onProgress: opts.onProgress };
  const { scans, alongside: blobs } = await clock.time('scan', () =>
    scanRepositories(scanInput, { store, findings, digests: ctx.digests }, () => clock.time('blobs', () => listBlobs(ctx))),
  );
  failOnProblems(findings, 'the registry tree could not be read safely');
  watch.watchRepositories(names);

  const marking = await clock.time('mark', async () => {
    await store.readReachable(storage, opts.signal);
    // Every listing is made and every manifest read: the table of strings has done its work.
    ctx.digests.clear();
    const onRepository = (done: number) => opts.onProgress({ phase: 'mark', done, total: scans.length });
    const result = mark(scans, store, findings, layout, {
      deleteUntagged: opts.deleteUntagged,
      isYoungRevision: (repository, digest) => age.isYoung(layout.revisionLink(repository, digest)),
      allow: opts.allow,
      onRepository,
      trackReferences: opts.pruneLayerLinks,
    });
    opts.onProgress({ phase: 'mark', done: scans.length, total: scans.length });
    // The sweep reads no manifest: let the reads go.
    store.clear();
    return result;
  });
  const blobCandidates = await inspectBlobCandidates(layout, storage, age, findings, blobs.prefixes, marking.marked);
  failOnProblems(findings, 'marking could not be sure which blobs are needed');
  checkActivity(ctx, [...recentUploads(storage.reader, layout, scans, opts.now), ...watch.changes()]);

  const tally: RunTally = {
    root: layout.root,
    dryRun: opts.dryRun,
    deleteUntagged: opts.deleteUntagged,
    seen: {
      repositories: scans.length,
      tags: scans.reduce((n, s) => n + s.tags.length, 0),
      revisions: scans.reduce((n, s) => n + s.revisions.length, 0),
      blobs: blobs.count,
      marked: marking.marked.size,
    },
    deleted: emptyDeletions(),
    keptForAge: { manifests: [...marking.keptForAge], blobs: [], uploads: [] },
    findings,
    errors: ctx.errors,
    durations: clock.durations,
  };
  // The candidates say all the sweep needs from the mark set: let it go before the sweep builds its sets.
  marking.marked.clear();
  const trash = await openTrashStep(ctx);
  const sweepContext = {
    layout,
    storage,
    disposal: trash.disposal,
    findings,
    errors: ctx.errors,
    age,
    dryRun: opts.dryRun,
    allow: opts.allow,
    signal: opts.signal,
    onProgress: opts.onProgress,
    realFolders: new Map<string, Promise<boolean>>(),
  };
  const sweepInput = {
    scans,
    untagged: marking.untagged,
    referencedBy: opts.pruneLayerLinks ? marking.referencedBy : undefined,
    blobs: blobs.prefixes,
    blobCandidates,
    staleUploadsBefore: opts.keepUploads ? undefined : opts.now.getTime() - opts.uploadAge,
    removeEmptyRepositories: opts.removeEmptyRepositories,
  };
  try {
    await sweep(sweepContext, sweepInput, tally, (phase, work) => clock.time(phase, work));
  } catch (error) {
    const left = await trash.abandon();
    if (opts.signal?.aborted) {
      const report = { ...buildReport(tally), ...left };
      throw new RegistryGcError('E_ABORTED', 'the run was aborted; the report lists what was deleted before', [], { cause: error, report });
    }
    throw error;
  }
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

/** Signs of a running registry: warnings, or with `strict` a refusal before any deletion. */
function checkActivity(ctx: RunContext, signs: readonly ActivitySign[]): void {
  if (signs.length === 0) return;
  if (ctx.opts.strict) {
    const problems = signs.map((s) => ({ code: 'registry_active', path: ctx.layout.relative(s.path), message: s.message }));
    throw new RegistryGcError('E_REGISTRY_ACTIVE', `the registry looks like it is running; stop it first (strict mode); nothing was deleted`, problems);
  }
  for (const sign of signs) ctx.findings.warn('registry_active', sign.path, sign.message);
}

function failOnProblems(findings: Findings, summary: string): void {
  if (findings.problems.length === 0) return;
  const problems: Problem[] = [...findings.problems].sort(byWarning);
  const code = problems.every((p) => p.code === 'symlink') ? 'E_SYMLINK' : 'E_MARK_INCOMPLETE';
  const shown = problems.slice(0, 5).map((p) => `  ${p.path}: ${p.message}`).join('\n');
  const more = problems.length > 5 ? `\n  … and ${problems.length - 5} more` : '';
  throw new RegistryGcError(code, `${summary}; nothing was deleted:\n${shown}${more}`, problems);
}
