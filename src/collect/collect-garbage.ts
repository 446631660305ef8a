/**
 * collectGarbage(): one run as a list of named phases, each timed.
 *
 *   discover         find the repositories
 *   scan             per repository: list revisions, tags, layer links, uploads; read
 *                    the manifests they name (on worker threads when that pays)
 *   blobs            list the blob store (on this thread, during the scan)
 *   (check)          any problem so far (symbolic link, unreadable folder): fail, nothing deleted
 *   mark             read the child manifests not read yet, decide the tags that go
 *                    (retention), then walk from the roots through the manifests in
 *                    memory; build the mark set
 *   inspect-blobs    the size and age of every unmarked blob (its data's lstat)
 *   (check)          any uncertain manifest, or a linked data among blobs to delete:
 *                    fail, nothing deleted; signs of a running registry: warn (strict: fail)
 *   sweep-…          one phase per deletable kind, in the order of report/kinds.ts
 *
 * Nothing is deleted before every read that could change a decision is done.
 * The options are normalised once, at the door; each phase gets what it needs.
 */
import { RegistryGcError } from '../report/errors.js';
import type { Report } from '../report/report.js';
import { mark, type MarkOptions } from '../mark/mark.js';
import type { Digest } from '../registry/digest.js';
import { DigestBits } from '../registry/digest-ids.js';
import { Findings } from '../report/findings.js';
import { decideTags, type TagDecisionInput } from '../retention/decide-tags.js';
import type { CheckedRetention } from '../retention/policy.js';
import type { RepositoryScan } from '../scan/repository.js';
import { listBlobs } from '../scan/blobs.js';
import { discoverFolders } from '../scan/discover.js';
import { scanStrays } from '../scan/strays.js';
import { ManifestStore } from '../scan/manifest-store.js';
import { scanRepositories } from '../scan/pool.js';
import { inspectBlobCandidates } from '../sweep/blobs.js';
import { ActivityWatch, recentUploads, type ActivitySign } from './activity.js';
import { warnOfTrashLeft } from './trash-step.js';
import { normalizeOptions, type CollectOptions, type NormalizedOptions } from './options.js';
import { failOnProblems, runWith, sweepDecision, type Decision, type RunContext } from './run.js';

/**
 * Collects the garbage of the registry whose `rootdirectory` is `root` (the
 * folder that holds `docker/registry/v2`): marks every blob a kept manifest
 * needs, then moves the rest into the run's trash and frees it (or, with
 * `dryRun`, only reports what it would delete). With the registry stopped.
 *
 * @returns the report of what was deleted (or would be), kept for age, warned about and failed.
 * @throws RegistryGcError: `E_INVALID_OPTION` (an option, before anything is
 * read), `E_NOT_A_REGISTRY`, `E_LOCKED`, `E_SYMLINK` or `E_MARK_INCOMPLETE`
 * (nothing deleted), `E_REGISTRY_ACTIVE` (strict), `E_ABORTED` (its `report`
 * lists what was deleted before), `E_IO`.
 */
export async function collectGarbage(root: string, options?: CollectOptions): Promise<Report> {
  return collectNormalized(root, normalizeOptions(options));
}

/** collectGarbage with options normalised already (makePlan's dry run). */
export async function collectNormalized(root: string, opts: NormalizedOptions): Promise<Report> {
  return runWith(root, opts, async (ctx) => sweepDecision(ctx, await decide(ctx)));
}

/** Scan and mark: everything a run reads before it may delete. */
async function decide(ctx: RunContext): Promise<Decision> {
  const { layout, findings, opts, clock, age } = ctx;
  const { storage } = opts;

  // Repositories are scanned (on worker threads when that pays) while this thread lists the blobs.
  const store = new ManifestStore(layout, opts.maxManifestBytes, ctx.ids);
  await warnOfTrashLeft(layout, opts, findings);
  const { repositories: names, strays } = clock.time('discover', () => discoverFolders(ctx));
  const watch = new ActivityWatch(storage.reader, layout, names);
  const scanInput = { root: layout.root, names, storage, concurrency: opts.concurrency, maxConcurrency: opts.maxConcurrency, maxManifestBytes: opts.maxManifestBytes, signal: opts.signal, onProgress: opts.onProgress };
  const { scans, alongside: blobs } = await clock.time('scan', () =>
    scanRepositories(scanInput, { store, findings, digests: ctx.digests }, () => clock.time('blobs', () => listBlobs(ctx, ctx.ids))),
  );
  const leftAlone = scanStrays(ctx, store, strays);
  failOnProblems(findings, 'the registry tree could not be read safely');
  watch.watchRepositories(names);

  const marking = await clock.time('mark', async () => {
    await store.readReachable(storage, opts.signal);
    // Every listing is made and every manifest read: the table of strings has done its work.
    ctx.digests.clear();
    const onRepository = (done: number) => opts.onProgress({ phase: 'mark', done, total: scans.length });
    const markOptions = {
      deleteUntagged: opts.deleteUntagged,
      isYoungRevision: (repository: string, digest: Digest) => age.isYoung(layout.revisionLink(repository, digest)),
      allow: opts.allow,
    };
    const decided = opts.retention === undefined ? { scans, deletions: [] } : decideTags(tagInput(ctx, opts.retention, store, markOptions), scans);
    const result = mark([...decided.scans, ...leftAlone], store, findings, layout, { ...markOptions, onRepository, trackReferences: opts.pruneLayerLinks });
    opts.onProgress({ phase: 'mark', done: scans.length, total: scans.length });
    // The sweep reads no manifest: let the reads go.
    store.clear();
    return { ...result, decided };
  });
  // Its own phase: on cold caches this lstat of every unmarked blob's data is seconds (benchmarks/results/notes.md).
  const blobCandidates = await clock.time('inspect-blobs', () => inspectBlobCandidates(layout, storage, age, findings, blobs.prefixes, ctx.ids, marking.marked));
  failOnProblems(findings, 'marking could not be sure which blobs are needed');
  const staleUploadsBefore = opts.keepUploads ? undefined : opts.now.getTime() - opts.uploadAge;
  checkActivity(ctx, [...recentUploads(storage.reader, layout, scans, opts.now, staleUploadsBefore, opts.minAge), ...watch.changes()]);

  // The candidates say all the sweep needs from the mark set: let it go before the sweep builds its sets.
  const seen = {
    repositories: scans.length,
    tags: scans.reduce((n, s) => n + s.tags.length, 0),
    revisions: scans.reduce((n, s) => n + s.revisions.length, 0),
    blobs: blobs.count,
    marked: marking.marked.size,
  };
  marking.marked.clear();
  return {
    seen,
    manifestsKeptForAge: marking.keptForAge,
    sweep: {
      scans: marking.decided.scans,
      ids: ctx.ids,
      tags: marking.decided.deletions,
      untagged: marking.untagged,
      referencedBy: opts.pruneLayerLinks ? marking.referencedBy : undefined,
      blobs: blobs.prefixes,
      blobCandidates,
      staleUploadsBefore,
      removeEmptyRepositories: opts.removeEmptyRepositories,
    },
  };
}

/** What deciding tags needs: the run's view, and a mark of one repository alone (the revisions that stay). */
function tagInput(ctx: RunContext, retention: CheckedRetention, store: ManifestStore, markOptions: Omit<MarkOptions, 'onRepository' | 'trackReferences'>): TagDecisionInput {
  const { layout, opts } = ctx;
  // Trial marks decide nothing by themselves: what they find is found again by the real mark.
  const quiet = new Findings(layout);
  const trialMarks = new DigestBits();
  const staying = (scan: RepositoryScan<unknown>) => {
    const untagged = new Set(mark([scan], store, quiet, layout, { ...markOptions, into: trialMarks }).untagged.get(scan.name) ?? []);
    return new Set(scan.revisions.filter((d) => !untagged.has(d)));
  };
  return { layout, reader: opts.storage.reader, findings: ctx.findings, retention, now: opts.now, minAge: opts.minAge, allow: opts.allow, staying };
}

/** Signs of a running registry: warnings, or with `strict` a refusal before any deletion. */
function checkActivity(ctx: RunContext, signs: readonly ActivitySign[]): void {
  if (signs.length === 0) return;
  if (ctx.opts.strict) {
    const problems = signs.map((s) => ({ code: 'registry_active' as const, path: ctx.layout.relative(s.path), message: s.message }));
    const [first] = problems;
    const more = problems.length > 1 ? ` (and ${problems.length - 1} more)` : '';
    const what = signs.some((s) => s.message.startsWith('upload started'))
      ? 'if the registry is stopped, an upload it abandoned looks like this: wait until it is 10 minutes old, or run with --min-age 10m (young items are kept) or without --strict'
      : 'stop it first';
    throw new RegistryGcError('E_REGISTRY_ACTIVE', `the registry looks like it is running (strict mode): ${first!.path}: ${first!.message}${more}; ${what}; nothing was deleted`, problems);
  }
  for (const sign of signs) ctx.findings.warn('registry_active', sign.path, sign.message);
}
