/**
 * Last, the folders the run emptied.
 *
 * Housekeeping of empty folders: revision folders without a link (what the
 * registry's DELETE leaves), and a `revisions/<alg>` folder the run emptied.
 *
 * Empty repositories (`removeEmptyRepositories`): one that after the run has
 * no tag, no revision and no upload loses its `_manifests`, `_layers` and
 * `_uploads`; then its folder and each parent folder go while they are empty.
 * Deepest first, so `a/b` goes before `a` is looked at; a folder that still
 * holds anything (a nested repository, a stray file) stops the climb, and
 * `repositories/` itself always stays.
 */
import path from 'node:path';
import { isAlgorithm } from '../registry/digest.js';
import { REPOSITORY_MARKERS } from '../registry/layout.js';
import type { DeletedManifest, DeletedRepository, DeletedUpload } from '../report/report.js';
import type { RepositoryScan } from '../scan/repository.js';
import { deleteEach, remove, removeIfEmpty, type SweepContext } from './context.js';

export interface RepositoryInput {
  readonly scans: readonly RepositoryScan<unknown>[];
  readonly deletedManifests: readonly DeletedManifest[];
  readonly deletedUploads: readonly DeletedUpload[];
  readonly removeEmptyRepositories: boolean;
}

function countBy<T extends { repository: string }>(items: readonly T[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(item.repository, (counts.get(item.repository) ?? 0) + 1);
  return counts;
}

export async function sweepRepositories(ctx: SweepContext, input: RepositoryInput, deleted: DeletedRepository[]): Promise<void> {
  const { scans, removeEmptyRepositories } = input;
  const manifestsGone = countBy(input.deletedManifests);
  const uploadsGone = countBy(input.deletedUploads);
  const { layout } = ctx;

  for (const scan of scans) {
    for (const digest of scan.unlinkedRevisions) await removeIfEmpty(ctx, layout.revisionDir(scan.name, digest));
    if ((manifestsGone.get(scan.name) ?? 0) > 0 || scan.unlinkedRevisions.length > 0) {
      const algorithms = new Set([...scan.revisions, ...scan.unlinkedRevisions].map((d) => d.slice(0, d.indexOf(':'))));
      for (const algorithm of algorithms) if (isAlgorithm(algorithm)) await removeIfEmpty(ctx, layout.revisionAlgorithmDir(scan.name, algorithm));
    }
  }

  const empty = removeEmptyRepositories
    ? scans.filter(
        (scan) =>
          scan.tags.length === 0 &&
          scan.pinned.length === 0 &&
          scan.revisions.length === (manifestsGone.get(scan.name) ?? 0) &&
          scan.uploads.length === (uploadsGone.get(scan.name) ?? 0),
      )
    : [];
  // Deepest first: a nested repository must be gone before its parent folder is tried.
  const ordered = [...empty].sort((a, b) => b.name.split('/').length - a.name.split('/').length || (a.name < b.name ? -1 : 1));
  const doomed: DeletedRepository[] = ordered.map((scan) => ({ repository: scan.name }));
  const work = async ({ repository }: DeletedRepository) => {
    let ok = true;
    for (const marker of REPOSITORY_MARKERS) ok = (await remove(ctx, layout.repositoryPart(repository, marker))) && ok;
    if (!ok) return;
    deleted.push({ repository });
    const dir = layout.repositoryDir(repository);
    for (let folder = dir; folder !== layout.repositoriesDir && layout.contains(folder); folder = path.dirname(folder)) {
      if (!(await removeIfEmpty(ctx, folder))) break;
    }
  };
  await deleteEach(ctx, 'repositories', doomed, work, { candidate: ({ repository }) => ({ kind: 'repository', repository }), lanes: 1 });
}
