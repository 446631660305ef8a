/**
 * Layer links that point at nothing any more (spec §4 step 3):
 * `_layers/<alg>/<hex>` whose blob is gone, deleted in this run or missing
 * before; with `pruneLayerLinks`, also those that no kept manifest of their
 * repository references. Each is verified with its batch, at most a batch
 * before it goes.
 */
import path from 'node:path';
import type { DeletedBlob, DeletedLayerLink } from '../report/report.js';
import type { BlobPrefix } from '../scan/blobs.js';
import type { ScannedRepository } from '../scan/pool.js';
import { DigestBits, type DigestId, type DigestIds } from '../registry/digest-ids.js';
import { deleteEach, readLinksOf, type SweepContext } from './context.js';
import type { LinkRead } from '../registry/links.js';
import { removeVerifiedLink } from './verified-link.js';

export interface LayerLinkInput {
  readonly scans: readonly ScannedRepository[];
  readonly ids: DigestIds;
  /** The blob store as listed, and the blobs this run deleted from it. */
  readonly blobs: readonly BlobPrefix[];
  readonly deletedBlobs: readonly DeletedBlob[];
  /** pruneLayerLinks: what each repository's kept manifests reference (else undefined). */
  readonly referencedBy: ReadonlyMap<string, ReadonlySet<DigestId>> | undefined;
}

export async function sweepLayerLinks(ctx: SweepContext, { scans, ids, blobs, deletedBlobs, referencedBy }: LayerLinkInput, deleted: DeletedLayerLink[]): Promise<void> {
  const left = blobsLeft(ids, blobs, deletedBlobs);
  const doomed: DeletedLayerLink[] = [];
  for (const scan of scans) {
    const referenced = referencedBy?.get(scan.name);
    for (const id of scan.layers) {
      const dangling = !left.has(id);
      const unreferenced = referencedBy !== undefined && !referenced?.has(id);
      if (dangling || unreferenced) doomed.push({ repository: scan.name, digest: ids.sharedDigest(id) });
    }
  }
  const { layout } = ctx;
  // Each batch's links are read together, while the batch before is journalled and goes (sweep/context.ts).
  const batchLinks = new Map<DeletedLayerLink, { file: string; read: LinkRead }>();
  const readBatch = async (batch: readonly DeletedLayerLink[]) => {
    const files = batch.map((l) => layout.layerLink(l.repository, l.digest));
    const reads = await readLinksOf(ctx, 'layerLinks', batch, files);
    batch.forEach((l, i) => batchLinks.set(l, { file: files[i]!, read: reads[i]! }));
  };
  const work = async (link: DeletedLayerLink) => {
    const { file, read } = batchLinks.get(link)!;
    batchLinks.delete(link);
    if (await removeVerifiedLink(ctx, path.dirname(file), file, link.digest, read)) deleted.push(link);
  };
  const intents = (l: DeletedLayerLink) => {
    const file = batchLinks.get(l)!.file;
    return [{ target: path.dirname(file), onlyFile: file }];
  };
  await deleteEach(ctx, 'layerLinks', doomed, work, { candidate: (l) => ({ kind: 'layer-link', ...l }), beforeBatch: readBatch, intents });
}

/** The blobs listed and not deleted: a bit each. */
function blobsLeft(ids: DigestIds, prefixes: readonly BlobPrefix[], deleted: readonly DeletedBlob[]): DigestBits {
  const left = new DigestBits();
  for (const prefix of prefixes) for (const id of prefix.ids) left.add(id);
  for (const blob of deleted) left.delete(ids.find(blob.digest));
  return left;
}
