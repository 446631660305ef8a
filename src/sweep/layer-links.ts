/**
 * Layer links that point at nothing any more (spec §4 step 3):
 * `_layers/<alg>/<hex>` whose blob is gone, deleted in this run or missing
 * before; with `pruneLayerLinks`, also those that no kept manifest of their
 * repository references. Each is verified right before it goes.
 */
import type { Digest } from '../registry/digest.js';
import type { DeletedBlob, DeletedLayerLink } from '../report/report.js';
import type { BlobPrefix } from '../scan/blobs.js';
import type { RepositoryScan } from '../scan/repository.js';
import { deleteEach, type SweepContext } from './context.js';
import { removeVerifiedLink } from './verified-link.js';

export interface LayerLinkInput {
  readonly scans: readonly RepositoryScan[];
  /** The blob store as listed, and the blobs this run deleted from it. */
  readonly blobs: readonly BlobPrefix[];
  readonly deletedBlobs: readonly DeletedBlob[];
  /** pruneLayerLinks: what each repository's kept manifests reference (else undefined). */
  readonly referencedBy: ReadonlyMap<string, ReadonlySet<Digest>> | undefined;
}

export async function sweepLayerLinks(ctx: SweepContext, { scans, blobs, deletedBlobs, referencedBy }: LayerLinkInput, deleted: DeletedLayerLink[]): Promise<void> {
  const left = blobsLeft(blobs, deletedBlobs);
  const doomed: Array<{ candidate: { kind: 'layer-link'; repository: string; digest: Digest }; link: DeletedLayerLink }> = [];
  for (const scan of scans) {
    const referenced = referencedBy?.get(scan.name);
    for (const digest of scan.layers) {
      const dangling = !left.has(digest);
      const unreferenced = referencedBy !== undefined && !referenced?.has(digest);
      if (dangling || unreferenced) doomed.push({ candidate: { kind: 'layer-link', repository: scan.name, digest }, link: { repository: scan.name, digest } });
    }
  }
  await deleteEach(ctx, 'layerLinks', doomed, async ({ link }) => {
    const { repository, digest } = link;
    if (await removeVerifiedLink(ctx, ctx.layout.layerLinkDir(repository, digest), ctx.layout.layerLink(repository, digest), digest)) deleted.push(link);
  });
}

/** The blobs listed and not deleted: one set, without a copy of the listing on the way. */
function blobsLeft(prefixes: readonly BlobPrefix[], deleted: readonly DeletedBlob[]): Set<Digest> {
  const left = new Set<Digest>();
  for (const prefix of prefixes) for (const digest of prefix.digests) left.add(digest);
  for (const blob of deleted) left.delete(blob.digest);
  return left;
}
