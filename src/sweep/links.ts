/**
 * Links that point at nothing any more (spec §4 step 3, and tag history).
 *
 * Layer links (`_layers/<alg>/<hex>`) whose blob is gone, deleted in this
 * run or missing before; with `pruneLayerLinks`, also those that no kept
 * manifest of their repository references. Tag-history entries
 * (`tags/<tag>/index/<alg>/<hex>`) naming a manifest that is no revision any
 * more; the tag's current target always keeps its entry.
 *
 * A candidate link is read before it goes: only a link that holds exactly its
 * folder's digest (or an empty folder) is deleted. Anything else is reported
 * and left, because it is not what the registry wrote.
 */
import path from 'node:path';
import type { Digest } from '../registry/digest.js';
import { readLink } from '../registry/links.js';
import type { DeletedLayerLink, DeletedManifest, DeletedTagHistoryEntry } from '../report/report.js';
import type { RepositoryScan } from '../scan/repository.js';
import { assertRealFolders, checkpoint, forEachConcurrently, historyFolders, removeAsync, removeIfEmpty, type SweepContext } from './sweep.js';

/** Deletes the folder of a link that was verified; false when it must stay. */
async function removeVerifiedLink(ctx: SweepContext, dir: string, linkFile: string, digest: Digest): Promise<boolean> {
  const link = readLink(ctx.fs, linkFile);
  if (link.state === 'ok' && link.digest === digest) return removeAsync(ctx, dir, linkFile);
  if (link.state === 'missing') {
    // An empty folder is dead weight; a folder holding something else is not ours to judge.
    if (ctx.options.dryRun || removeIfEmpty(ctx, dir)) return true;
    ctx.findings.warn('unexpected_entry', dir, 'link folder without a link but with other content; left alone');
    return false;
  }
  if (link.state === 'ok') ctx.findings.warn('link_mismatch', linkFile, `link names ${link.digest}, not its folder's digest; left alone`);
  else if (link.state === 'invalid') ctx.findings.warn('bad_link', linkFile, `link does not hold a digest: ${JSON.stringify(link.content.slice(0, 80))}; left alone`);
  else if (link.state === 'symlink') ctx.findings.warn('symlink', linkFile, 'link file is a symbolic link; left alone');
  else ctx.findings.warn('unreadable', linkFile, `cannot read link: ${link.message}; left alone`);
  return false;
}

export async function sweepLayerLinks(
  ctx: SweepContext,
  scans: readonly RepositoryScan[],
  blobsLeft: (digest: Digest) => boolean,
  referencedBy: ReadonlyMap<string, ReadonlySet<Digest>>,
  deleted: DeletedLayerLink[],
): Promise<void> {
  const doomed: DeletedLayerLink[] = [];
  for (const scan of scans) {
    const referenced = referencedBy.get(scan.name);
    for (const digest of scan.layers) {
      const dangling = !blobsLeft(digest);
      const unreferenced = ctx.options.pruneLayerLinks && !referenced?.has(digest);
      if ((dangling || unreferenced) && ctx.options.allow?.({ kind: 'layer-link', repository: scan.name, digest }) !== false) doomed.push({ repository: scan.name, digest });
    }
  }
  await forEachConcurrently(ctx, 'sweep-layer-links', doomed, async (link) => {
    const { repository, digest } = link;
    if (await removeVerifiedLink(ctx, ctx.layout.layerLinkDir(repository, digest), ctx.layout.layerLink(repository, digest), digest)) deleted.push(link);
  });
}

export async function sweepTagHistory(
  ctx: SweepContext,
  scans: readonly RepositoryScan[],
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
        if (ctx.options.allow?.({ kind: 'tag-history', repository: scan.name, tag: tag.name, digest }) === false) continue;
        doomed.push({ repository: scan.name, tag: tag.name, digest });
      }
    }
  }
  let done = 0;
  for (const entry of doomed) {
    await checkpoint(ctx, 'sweep-tag-history', done++, doomed.length);
    const dir = ctx.layout.tagIndexEntryDir(entry.repository, entry.tag, entry.digest);
    if (!assertRealFolders(ctx, historyFolders(ctx, entry.repository, entry.tag))) continue;
    if (await removeVerifiedLink(ctx, dir, ctx.layout.tagIndexEntryLink(entry.repository, entry.tag, entry.digest), entry.digest)) {
      deleted.push(entry);
      removeIfEmpty(ctx, path.dirname(dir));
    }
  }
  ctx.options.onProgress({ phase: 'sweep-tag-history', done, total: doomed.length });
}
