/**
 * collectGarbage(): one run as a list of named phases, each timed.
 *
 *   discover         find the repositories
 *   scan             per repository: list revisions, tags, layer links, uploads; read
 *                    the manifests they name (on worker threads when that pays)
 *   blobs            list the blob store (on this thread, during the scan)
 *   (check)          any problem so far (symbolic link, unreadable folder): fail, nothing deleted
 *   mark             walk from the roots through the manifests read during the scan
 *                    (children found nowhere else are read now); build the mark set
 *   (check)          any uncertain manifest, or a linked data among blobs to delete:
 *                    fail, nothing deleted; signs of a running registry: warn (strict: fail)
 *   sweep-manifests  untagged revisions (deleteUntagged only)
 *   sweep-blobs      unmarked blobs
 *   sweep-layer-links      links to blobs that are gone (or unreferenced, pruneLayerLinks)
 *   sweep-tag-history      history entries naming no revision
 *   sweep-uploads          uploads older than the upload age
 *   sweep-repositories     emptied folders; empty repositories (removeEmptyRepositories)
 *
 * Nothing is deleted before every read that could change a decision is done.
 */
import { performance } from 'node:perf_hooks';
import { listBlobs, type BlobPrefix } from '../scan/blobs.js';
import { RegistryGcError, type Problem } from '../report/errors.js';
import { Findings } from '../report/findings.js';
import { RegistryLayout } from '../registry/layout.js';
import { ManifestStore } from '../scan/manifest-store.js';
import { mark } from '../mark/mark.js';
import { normalizeOptions, type CollectOptions, type NormalizedOptions } from './options.js';
import { ActivityWatch, recentUploads, type ActivitySign } from './activity.js';
import { AgeGuard } from './age-guard.js';
import type { Digest } from '../registry/digest.js';
import { DigestInterner } from '../registry/digest-interner.js';
import { acquireLock } from './lock.js';
import { byWarning, type DeletedBlob, type Phase, type Report } from '../report/report.js';
import { buildReport, type Deletions, type KeptForAge } from '../report/builder.js';
import { discoverRepositories, type ScanContext } from '../scan/repository.js';
import { scanRepositories } from '../scan/pool.js';
import { checkRegistryRoot } from '../scan/root-check.js';
import { sweepManifests, type SweepContext } from '../sweep/sweep.js';
import { inspectBlobCandidates, sweepBlobs } from '../sweep/blobs.js';
import { sweepLayerLinks, sweepTagHistory } from '../sweep/links.js';
import { sweepRepositories } from '../sweep/repositories.js';
import { sweepUploads } from '../sweep/uploads.js';

export async function collectGarbage(root: string, options?: CollectOptions): Promise<Report> {
  const opts = normalizeOptions(options);
  try {
    return await run(root, opts);
  } catch (error) {
    if (opts.signal?.aborted && !(error instanceof RegistryGcError && error.code === 'E_ABORTED')) {
      throw new RegistryGcError('E_ABORTED', 'the run was aborted before deleting anything', [], { cause: error });
    }
    throw error;
  }
}

async function run(root: string, opts: NormalizedOptions): Promise<Report> {
  if (typeof root !== 'string' || root === '') throw new RegistryGcError('E_INVALID_OPTION', 'root must be a non-empty path');
  const layout = new RegistryLayout(root);
  const findings = new Findings(layout);
  const ctx: ScanContext = { layout, fs: opts.fileSystem, findings, digests: new DigestInterner() };
  checkRegistryRoot(ctx);
  // The lock guards deletions; a dry run deletes nothing and may run on a read-only snapshot.
  const lock = opts.dryRun ? undefined : acquireLock(layout, findings);
  try {
    return await collect(ctx, opts);
  } finally {
    lock?.release();
  }
}

async function collect(ctx: ScanContext, opts: NormalizedOptions): Promise<Report> {
  const { layout, findings } = ctx;
  const errors = new Findings(layout);
  const age = new AgeGuard(opts.fileSystem, opts.now, opts.minAge);
  const durations: Partial<Record<Phase, number>> = {};
  const timedSync = <T>(phase: Phase, work: () => T): T => {
    const start = performance.now();
    try {
      return work();
    } finally {
      durations[phase] = Math.round((performance.now() - start) * 10) / 10;
    }
  };
  const timed = async <T>(phase: Phase, work: () => T | Promise<T>): Promise<T> => {
    opts.signal?.throwIfAborted();
    const start = performance.now();
    try {
      return await work();
    } finally {
      durations[phase] = Math.round((performance.now() - start) * 10) / 10;
    }
  };

  // Repositories are scanned (on worker threads when that pays) while this thread lists the blobs.
  const store = new ManifestStore(layout, opts.fileSystem, opts.maxManifestBytes, ctx.digests);
  const names = await timed('discover', () => discoverRepositories(ctx));
  const watch = new ActivityWatch(opts.fileSystem, layout, names);
  const { scans, alongside: blobs } = await timed('scan', () =>
    scanRepositories(layout.root, names, opts, { store, findings, digests: ctx.digests }, () => timedSync('blobs', () => listBlobs(ctx))),
  );
  // Every listing is made and nearly every manifest read: the table of strings has done its work.
  ctx.digests.clear();
  failOnProblems(findings, 'the registry tree could not be read safely');
  watch.watchRepositories(names);

  const marking = await timed('mark', () => {
    const isYoungRevision = (repository: string, digest: Digest) => age.isYoung(layout.revisionLink(repository, digest));
    const onRepository = (done: number) => opts.onProgress({ phase: 'mark', done, total: scans.length });
    const result = mark(scans, store, findings, layout, { deleteUntagged: opts.deleteUntagged, isYoungRevision, allow: opts.allow, onRepository, trackReferences: opts.pruneLayerLinks });
    opts.onProgress({ phase: 'mark', done: scans.length, total: scans.length });
    // The sweep reads no manifest: let the reads go.
    store.clear();
    return result;
  });
  const blobCandidates = inspectBlobCandidates(layout, opts.fileSystem, age, findings, blobs.prefixes, marking.marked);
  failOnProblems(findings, 'marking could not be sure which blobs are needed');
  checkActivity(ctx, opts, [...recentUploads(opts.fileSystem, layout, scans, opts.now), ...watch.changes()]);

  const deleted: Deletions = { manifests: [], blobs: [], layerLinks: [], tagHistory: [], uploads: [], repositories: [] };
  const keptForAge: KeptForAge = { manifests: [...marking.keptForAge], blobs: [], uploads: [] };
  const sweep: SweepContext = { layout, age, fs: opts.fileSystem, findings, errors, options: opts, realFolders: new Map() };
  const state = { layout, opts, scans, blobCount: blobs.count, markedCount: marking.marked.size, deleted, keptForAge, findings, errors, durations };
  // The candidates say all the sweep needs from the mark set: let it go before the set of blobs left is built.
  marking.marked.clear();
  try {
    await timed('sweep-manifests', () => sweepManifests(sweep, scans, marking.untagged, deleted.manifests));
    await timed('sweep-blobs', () => sweepBlobs(sweep, blobCandidates, deleted.blobs, keptForAge.blobs));
    const left = blobsLeft(blobs.prefixes, deleted.blobs);
    await timed('sweep-layer-links', () => sweepLayerLinks(sweep, scans, (digest) => left.has(digest), marking.referencedBy, deleted.layerLinks));
    await timed('sweep-tag-history', () => sweepTagHistory(sweep, scans, deleted.manifests, deleted.tagHistory));
    await timed('sweep-uploads', () => sweepUploads(sweep, scans, deleted.uploads, keptForAge.uploads));
    await timed('sweep-repositories', () => sweepRepositories(sweep, scans, deleted.manifests, deleted.uploads, deleted.repositories));
  } catch (error) {
    if (opts.signal?.aborted) {
      throw new RegistryGcError('E_ABORTED', 'the run was aborted; the report lists what was deleted before', [], { cause: error, report: buildReport(state) });
    }
    throw error;
  }
  return buildReport(state);
}

/** The blobs listed and not deleted: one set, without a copy of the listing on the way. */
function blobsLeft(prefixes: readonly BlobPrefix[], deleted: readonly DeletedBlob[]): Set<Digest> {
  const left = new Set<Digest>();
  for (const prefix of prefixes) for (const digest of prefix.digests) left.add(digest);
  for (const blob of deleted) left.delete(blob.digest);
  return left;
}

/** Signs of a running registry: warnings, or with `strict` a refusal before any deletion. */
function checkActivity(ctx: ScanContext, opts: NormalizedOptions, signs: readonly ActivitySign[]): void {
  if (signs.length === 0) return;
  if (opts.strict) {
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
