/**
 * Tag-history entries (`tags/<tag>/index/<alg>/<hex>`) naming a manifest
 * that is no revision any more; the tag's current target always keeps its
 * entry. One at a time: after each, the `index/<alg>` folder it empties goes.
 */
import path from 'node:path';
import type { Digest } from '../registry/digest.js';
import type { DeletedManifest, DeletedTagHistoryEntry } from '../report/report.js';
import type { RepositoryScan } from '../scan/repository.js';
import { areRealFolders, deleteEach, removeIfEmpty, type SweepContext } from './context.js';
import { removeVerifiedLink } from './verified-link.js';

export async function sweepTagHistory(
  ctx: SweepContext,
  scans: readonly RepositoryScan[],
  deletedManifests: readonly DeletedManifest[],
  deleted: DeletedTagHistoryEntry[],
): Promise<void> {
  // Entries of manifests deleted in this run went with them (sweepManifests).
  const goneWithManifest = new Set(deletedManifests.map((m) => `${m.repository}@${m.digest}`));
  const doomed: Array<{ candidate: { kind: 'tag-history'; repository: string; tag: string; digest: Digest }; entry: DeletedTagHistoryEntry }> = [];
  for (const scan of scans) {
    const revisions = new Set(scan.revisions);
    for (const tag of scan.tags) {
      for (const digest of tag.history) {
        if (revisions.has(digest) || digest === tag.current || goneWithManifest.has(`${scan.name}@${digest}`)) continue;
        const entry = { repository: scan.name, tag: tag.name, digest };
        doomed.push({ candidate: { kind: 'tag-history', ...entry }, entry });
      }
    }
  }
  const { layout } = ctx;
  const inOrder = 1;
  await deleteEach(
    ctx,
    'tagHistory',
    doomed,
    async ({ entry: { repository, tag, digest }, entry }) => {
      const dir = layout.tagIndexEntryDir(repository, tag, digest);
      if (!(await areRealFolders(ctx, layout.tagHistoryFolders(repository, tag)))) return;
      if (await removeVerifiedLink(ctx, dir, layout.tagIndexEntryLink(repository, tag, digest), digest)) {
        deleted.push(entry);
        await removeIfEmpty(ctx, path.dirname(dir));
      }
    },
    inOrder,
  );
}
