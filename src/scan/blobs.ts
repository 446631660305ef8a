/**
 * Lists the blob store: `blobs/<alg>/<xx>/<hex>`. Only folder listings, no
 * stat of any `data` file: 256 listings per algorithm tell every digest.
 * Names that are not the registry's own are warned about and left alone.
 */
import path from 'node:path';
import { isAlgorithm, isValidHex, type Algorithm, type Digest } from '../registry/digest.js';
import type { DigestId, DigestIdList, DigestIds } from '../registry/digest-ids.js';
import { listOrReport, type ScanContext } from './listing.js';

export interface BlobPrefix {
  readonly algorithm: Algorithm;
  readonly prefix: string;
  /** Every entry in the prefix folder, valid or not (an emptied folder may be removed). */
  readonly entries: number;
  /** Its blobs, as ids of the run's DigestIds. */
  readonly ids: DigestIdList;
}

export interface BlobListing {
  readonly prefixes: readonly BlobPrefix[];
  readonly count: number;
}

const PREFIX = /^[0-9a-f]{2}$/;

export function listBlobs(ctx: ScanContext, ids: DigestIds): BlobListing {
  const prefixes: BlobPrefix[] = [];
  let count = 0;
  const symlink = (p: string) => ctx.findings.fail('symlink', p, 'symbolic link in the blob store; the collector does not follow links');
  for (const alg of listOrReport(ctx, ctx.layout.blobsDir)) {
    const algDir = path.join(ctx.layout.blobsDir, alg.name);
    if (alg.type === 'symlink') symlink(algDir);
    else if (alg.type !== 'dir') ctx.findings.warn('unexpected_entry', algDir, `unexpected ${alg.type} in blobs/, left alone`);
    if (alg.type !== 'dir') continue;
    if (!isAlgorithm(alg.name)) {
      ctx.findings.warn('unknown_algorithm', algDir, `unknown digest algorithm "${alg.name}", left alone`);
      continue;
    }
    const algorithm: Algorithm = alg.name;
    for (const pre of listOrReport(ctx, algDir)) {
      const preDir = `${algDir}/${pre.name}`;
      if (pre.type === 'symlink') symlink(preDir);
      else if (pre.type !== 'dir') ctx.findings.warn('unexpected_entry', preDir, `unexpected ${pre.type} among blob prefix folders, left alone`);
      if (pre.type !== 'dir') continue;
      if (!PREFIX.test(pre.name)) {
        ctx.findings.warn('bad_digest_name', preDir, 'not a blob prefix folder, left alone');
        continue;
      }
      const entries = listOrReport(ctx, preDir);
      const listed = new Uint32Array(entries.length);
      let length = 0;
      for (const entry of entries) {
        const id = entry.type === 'dir' && entry.name.startsWith(pre.name) ? idOfName(ids, algorithm, entry.name) : undefined;
        if (id !== undefined) listed[length++] = id;
        else if (entry.type === 'symlink') symlink(`${preDir}/${entry.name}`);
        else ctx.findings.warn('bad_digest_name', `${preDir}/${entry.name}`, `not a ${algorithm} blob folder, left alone`);
      }
      count += length;
      const listedIds = (length === listed.length ? listed : listed.slice(0, length)) as unknown as DigestIdList;
      prefixes.push({ algorithm, prefix: pre.name, entries: entries.length, ids: listedIds });
    }
  }
  return { prefixes, count };
}

/** The id of a blob folder's name, undefined when it is not a digest's hex: sha256 (every registry's) without building its string. */
function idOfName(ids: DigestIds, algorithm: Algorithm, name: string): DigestId | undefined {
  if (algorithm === 'sha256') return ids.idOfSha256Hex(name);
  return isValidHex(algorithm, name) ? ids.id(`${algorithm}:${name}` as Digest) : undefined;
}
