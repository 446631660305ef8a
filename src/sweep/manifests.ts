/**
 * Untagged manifests (spec §4 step 1, `deleteUntagged` only): first each of
 * the manifest's tag-history entries, then its revision folder. The revision
 * goes last: while it exists, a rerun still sees the manifest as a
 * candidate. Marking asked the `allow` hook about each already (one it
 * refused stayed a root), so they are not asked again here.
 */
import type { Digest } from '../registry/digest.js';
import type { DeletedManifest } from '../report/report.js';
import type { RepositoryScan } from '../scan/repository.js';
import type { Intent } from '../trash/disposal.js';
import { areRealFolders, deleteEach, remove, throwFirstFailure, type SweepContext } from './context.js';

export async function sweepManifests(
  ctx: SweepContext,
  scans: readonly RepositoryScan<unknown>[],
  untagged: ReadonlyMap<string, readonly Digest[]>,
  deleted: DeletedManifest[],
): Promise<void> {
  const doomed: Array<{ repository: string; digest: Digest; tags: readonly string[] }> = [];
  for (const scan of scans) {
    const digests = untagged.get(scan.name) ?? [];
    if (digests.length === 0) continue;
    // Each tag's history was listed once during the scan: no per-manifest tag reads.
    const historyByDigest = new Map<Digest, string[]>();
    for (const tag of scan.tags) {
      for (const digest of tag.history) {
        const tags = historyByDigest.get(digest);
        if (tags) tags.push(tag.name);
        else historyByDigest.set(digest, [tag.name]);
      }
    }
    for (const digest of digests) doomed.push({ repository: scan.name, digest, tags: historyByDigest.get(digest) ?? [] });
  }
  const { layout } = ctx;
  // Each item's journal lines go with its batch's, in one write: its history entries (in the order of `tags`), then its revision.
  const intents = ({ repository, digest, tags }: (typeof doomed)[number]) => [
    ...tags.map((tag) => ({ target: layout.tagIndexEntryDir(repository, tag, digest), onlyFile: layout.tagIndexEntryLink(repository, tag, digest) })),
    { target: layout.revisionDir(repository, digest), onlyFile: layout.revisionLink(repository, digest) },
  ];
  const work = async ({ repository, digest, tags }: (typeof doomed)[number], paths: readonly Intent[]) => {
    // The entries together (moves sent to another thread go in one batch, Storage.renames), the revision after all of them.
    // Settled, all of them, before anything is decided or thrown: no move of this item is left in flight.
    const entries = await Promise.allSettled(
      tags.map(async (tag, i) => {
        const real = await areRealFolders(ctx, layout.tagHistoryFolders(repository, tag));
        return real && (await remove(ctx, paths[i]!.target, paths[i]!.onlyFile));
      }),
    );
    throwFirstFailure(entries);
    const revision = paths[tags.length]!;
    if (entries.every((e) => e.status === 'fulfilled' && e.value) && (await remove(ctx, revision.target, revision.onlyFile))) {
      deleted.push({ repository, digest });
    }
  };
  await deleteEach(ctx, 'manifests', doomed, work, { intents });
}
