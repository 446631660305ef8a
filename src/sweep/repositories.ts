/**
 * Last, the folders the run emptied.
 *
 * Empty repositories (`removeEmptyRepositories`): one that after the run has
 * no tag, no revision and no upload loses its `_manifests`, `_layers` and
 * `_uploads`; then its folder and each parent folder go while they are empty.
 * Deepest first, so `a/b` goes before `a` is looked at; a folder that still
 * holds anything (a nested repository, a stray file) stops the climb, and
 * `repositories/` itself always stays.
 *
 * Housekeeping of empty folders: revision folders without a link (what the
 * registry's DELETE leaves), and a `revisions/<alg>` folder the run emptied.
 */
import path from 'node:path';
import { REPOSITORY_MARKERS } from '../registry/layout.js';
import type { DeletedManifest, DeletedRepository, DeletedUpload } from '../report/report.js';
import type { RepositoryScan } from '../scan/repository.js';
import { checkpoint, remove, removeIfEmpty, type SweepContext } from './sweep.js';

function countBy<T extends { repository: string }>(items: readonly T[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(item.repository, (counts.get(item.repository) ?? 0) + 1);
  return counts;
}

export async function sweepRepositories(
  ctx: SweepContext,
  scans: readonly RepositoryScan[],
  deletedManifests: readonly DeletedManifest[],
  deletedUploads: readonly DeletedUpload[],
  deleted: DeletedRepository[],
): Promise<void> {
  const manifestsGone = countBy(deletedManifests);
  const uploadsGone = countBy(deletedUploads);

  for (const scan of scans) {
    for (const digest of scan.unlinkedRevisions) removeIfEmpty(ctx, ctx.layout.revisionDir(scan.name, digest));
    if ((manifestsGone.get(scan.name) ?? 0) > 0 || scan.unlinkedRevisions.length > 0) {
      for (const algorithm of new Set([...scan.revisions, ...scan.unlinkedRevisions].map((d) => d.slice(0, d.indexOf(':'))))) {
        removeIfEmpty(ctx, path.join(ctx.layout.revisionsDir(scan.name), algorithm));
      }
    }
  }
  if (!ctx.options.removeEmptyRepositories) {
    // Every phase reports, even one switched off: a progress display sees it end.
    ctx.options.onProgress({ phase: 'sweep-repositories', done: 0, total: 0 });
    return;
  }

  const empty = scans.filter(
    (scan) =>
      scan.tags.length === 0 &&
      scan.revisions.length === (manifestsGone.get(scan.name) ?? 0) &&
      scan.uploads.length === (uploadsGone.get(scan.name) ?? 0) &&
      ctx.options.allow?.({ kind: 'repository', repository: scan.name }) !== false,
  );
  // Deepest first: a nested repository must be gone before its parent folder is tried.
  const ordered = [...empty].sort((a, b) => b.name.split('/').length - a.name.split('/').length || (a.name < b.name ? -1 : 1));
  let done = 0;
  for (const scan of ordered) {
    await checkpoint(ctx, 'sweep-repositories', done++, ordered.length);
    const dir = ctx.layout.repositoryDir(scan.name);
    let ok = true;
    for (const marker of REPOSITORY_MARKERS) ok = remove(ctx, path.join(dir, marker)) && ok;
    if (!ok) continue;
    deleted.push({ repository: scan.name });
    for (let folder = dir; folder !== ctx.layout.repositoriesDir && ctx.layout.contains(folder); folder = path.dirname(folder)) {
      if (!removeIfEmpty(ctx, folder)) break;
    }
  }
  ctx.options.onProgress({ phase: 'sweep-repositories', done, total: ordered.length });
}
