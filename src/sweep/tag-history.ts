/**
 * Tag-history entries (`tags/<tag>/index/<alg>/<hex>`) naming a manifest
 * that is no revision any more; the tag's current target always keeps its
 * entry. After each, the `index/<alg>` folder it empties goes (a folder
 * another lane still empties is simply left to that lane: not empty yet).
 */
import path from 'node:path';
import type { DeletedManifest, DeletedTagHistoryEntry } from '../report/report.js';
import type { RepositoryScan } from '../scan/repository.js';
import { areRealFolders, deleteEach, readLinksOf, removeIfEmpty, type SweepContext } from './context.js';
import { removeVerifiedLink } from './verified-link.js';

export async function sweepTagHistory(
  ctx: SweepContext,
  scans: readonly RepositoryScan<unknown>[],
  deletedManifests: readonly DeletedManifest[],
  deleted: DeletedTagHistoryEntry[],
): Promise<void> {
  // Entries of manifests deleted in this run went with them (sweepManifests).
  const goneWithManifest = new Set(deletedManifests.map((m) => `${m.repository}@${m.digest}`));
  const doomed: DeletedTagHistoryEntry[] = [];
  for (const scan of scans) {
    const revisions = new Set(scan.revisions);
    for (const tag of scan.tags) {
      for (const digest of tag.history) {
        if (revisions.has(digest) || digest === tag.current || goneWithManifest.has(`${scan.name}@${digest}`)) continue;
        doomed.push({ repository: scan.name, tag: tag.name, digest });
      }
    }
  }
  const { layout } = ctx;
  // Each read only once its folders are known to be real: a link in their place must not be read through.
  const work = async (entry: DeletedTagHistoryEntry) => {
    const { repository, tag, digest } = entry;
    if (!(await areRealFolders(ctx, layout.tagHistoryFolders(repository, tag)))) return;
    const dir = layout.tagIndexEntryDir(repository, tag, digest);
    const file = layout.tagIndexEntryLink(repository, tag, digest);
    const [read] = await readLinksOf(ctx, 'tagHistory', [entry], [file]);
    if (await removeVerifiedLink(ctx, dir, file, digest, read!)) {
      deleted.push(entry);
      await removeIfEmpty(ctx, path.dirname(dir));
    }
  };
  await deleteEach(ctx, 'tagHistory', doomed, work, { candidate: (e) => ({ kind: 'tag-history', ...e }) });
}
