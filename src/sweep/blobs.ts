/**
 * Unmarked blobs (spec §4 step 2): the whole `blobs/<alg>/<xx>/<hex>` folder.
 *
 * Before the sweep, each candidate's `data` is looked at once (lstat): for
 * its size, its age (minAge), and whether it is a symbolic link. A linked
 * `data` among the candidates stops the run before any deletion (spec §4);
 * kept blobs are not stat-ed one by one (a stat per blob would double a
 * run), and nothing is ever deleted through a link anyway.
 */
import type { BlobPrefix } from '../scan/blobs.js';
import type { Digest } from '../registry/digest.js';
import { isNotFound } from '../report/errors.js';
import type { Findings } from '../report/findings.js';
import type { DeletedBlob } from '../report/report.js';
import { forEachConcurrently, removeAsync, removeIfEmpty, type SweepContext } from './sweep.js';
import type { AgeGuard } from '../collect/age-guard.js';
import type { FileSystem } from '../storage/file-system.js';
import type { RegistryLayout } from '../registry/layout.js';

export interface BlobCandidate {
  readonly digest: Digest;
  readonly size: number;
  readonly young: boolean;
}

export interface PrefixCandidates {
  readonly prefix: BlobPrefix;
  readonly candidates: readonly BlobCandidate[];
}

/** The unmarked blobs of each prefix folder, inspected; links found are problems. */
export function inspectBlobCandidates(
  layout: RegistryLayout,
  fs: FileSystem,
  age: AgeGuard,
  findings: Findings,
  prefixes: readonly BlobPrefix[],
  marked: ReadonlySet<Digest>,
): PrefixCandidates[] {
  return prefixes.map((prefix) => ({
    prefix,
    candidates: prefix.digests
      .filter((digest) => !marked.has(digest))
      .map((digest) => {
        const data = layout.blobData(digest);
        try {
          const entry = fs.entry(data);
          if (entry.type === 'symlink') findings.fail('symlink', data, 'the data of an unreferenced blob is a symbolic link');
          return { digest, size: entry.size, young: age.enabled && entry.mtimeMs > age.cutoff };
        } catch (error) {
          // The size is only reported: not knowing it is no reason to keep an unreachable blob.
          if (!isNotFound(error)) findings.warn('size_unknown', data, `cannot stat: ${(error as Error).message}`);
          return { digest, size: 0, young: age.enabled && !isNotFound(error) };
        }
      }),
  }));
}

/** Deletes the inspected candidates (young ones are kept); removes prefix folders it empties. */
export async function sweepBlobs(ctx: SweepContext, prefixes: readonly PrefixCandidates[], deleted: DeletedBlob[], keptForAge: DeletedBlob[]): Promise<void> {
  const doomed: Array<{ candidate: BlobCandidate; prefix: number }> = [];
  for (const [prefix, { candidates }] of prefixes.entries()) {
    for (const candidate of candidates) {
      if (candidate.young) keptForAge.push({ digest: candidate.digest, size: candidate.size });
      else if (ctx.options.allow?.({ kind: 'blob', digest: candidate.digest }) !== false) doomed.push({ candidate, prefix });
    }
  }
  const removed = new Array<number>(prefixes.length).fill(0);
  await forEachConcurrently(ctx, 'sweep-blobs', doomed, async ({ candidate: { digest, size }, prefix }) => {
    if (await removeAsync(ctx, ctx.layout.blobDir(digest), ctx.layout.blobData(digest))) {
      deleted.push({ digest, size });
      removed[prefix]!++;
    }
  });
  // The registry recreates prefix folders on demand; an empty one costs an inode and a
  // listing. One left empty by an interrupted run (0 entries) goes too.
  if (ctx.options.dryRun) return;
  for (const [i, { prefix }] of prefixes.entries()) {
    if (removed[i] === prefix.entries) removeIfEmpty(ctx, ctx.layout.blobPrefixDir(prefix.algorithm, prefix.prefix));
  }
}
