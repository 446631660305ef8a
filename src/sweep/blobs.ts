/**
 * Unmarked blobs (spec §4 step 2): the whole `blobs/<alg>/<xx>/<hex>` folder.
 *
 * Before the sweep, each candidate's `data` is inspected once: for its size,
 * its age (minAge), and whether it is a symbolic link. A linked `data` among
 * the candidates stops the run before any deletion (spec §4); kept blobs are
 * not inspected one by one (that would double a run), and nothing is ever
 * deleted through a link anyway.
 */
import type { AgeGuard } from '../collect/age-guard.js';
import type { Digest } from '../registry/digest.js';
import type { DigestBits, DigestIds } from '../registry/digest-ids.js';
import type { RegistryLayout } from '../registry/layout.js';
import type { Findings } from '../report/findings.js';
import type { DeletedBlob } from '../report/report.js';
import type { BlobPrefix } from '../scan/blobs.js';
import { isNotFound } from '../storage/errno.js';
import type { EntryInfo, Outcome, Storage } from '../storage/storage.js';
import type { Intent } from '../trash/disposal.js';
import { deleteEach, removal, removeIfEmpty, type SweepContext } from './context.js';

export interface BlobCandidate {
  readonly digest: Digest;
  readonly size: number;
  readonly young: boolean;
  /** Its `data` was not there any more when inspected: nothing to delete, nothing to report. */
  readonly gone?: boolean;
}

export interface PrefixCandidates {
  readonly prefix: BlobPrefix;
  readonly candidates: readonly BlobCandidate[];
}

/**
 * The unmarked blobs of each prefix folder, inspected; links found are
 * problems. `inspectData`: how their `data` is inspected (apply asks early,
 * plan/early-inspection.ts); the storage's inspect by default.
 */
export async function inspectBlobCandidates(
  layout: RegistryLayout,
  storage: Storage,
  age: AgeGuard,
  findings: Findings,
  prefixes: readonly BlobPrefix[],
  ids: DigestIds,
  marked: DigestBits,
  inspectData: (targets: readonly string[]) => Promise<Outcome<EntryInfo>[]> = (targets) => storage.inspect(targets),
): Promise<PrefixCandidates[]> {
  const result: PrefixCandidates[] = [];
  for (const prefix of prefixes) {
    const unmarked: Digest[] = [];
    for (const id of prefix.ids) if (!marked.has(id)) unmarked.push(ids.digest(id));
    const data = unmarked.map((digest) => layout.blobData(digest));
    const outcomes = unmarked.length === 0 ? [] : await inspectData(data);
    // Without `data`, a blob folder that is still there is dead weight and goes; one that is not is gone.
    const missing = unmarked.filter((_, i) => !outcomes[i]!.ok && isNotFound((outcomes[i] as { error: unknown }).error));
    const folders = missing.length === 0 ? [] : await storage.inspect(missing.map((digest) => layout.blobDir(digest)));
    const vanished = new Set(missing.filter((_, i) => !folders[i]!.ok && isNotFound((folders[i] as { error: unknown }).error)));
    const candidates = unmarked.map((digest, i): BlobCandidate => {
      const outcome = outcomes[i]!;
      if (outcome.ok) {
        if (outcome.value.type === 'symlink') findings.fail('symlink', data[i]!, 'the data of an unreferenced blob is a symbolic link');
        return { digest, size: outcome.value.size, young: age.isYoungTime(outcome.value.mtimeMs) };
      }
      // The size is only reported: not knowing it is no reason to keep an unreachable blob.
      const gone = isNotFound(outcome.error);
      if (!gone) findings.warn('size_unknown', data[i]!, `cannot stat: ${(outcome.error as Error).message}`);
      return { digest, size: 0, young: age.enabled && !gone, gone: vanished.has(digest) };
    });
    result.push({ prefix, candidates });
  }
  return result;
}

/** Deletes the inspected candidates (young ones are kept); removes prefix folders it empties. */
export async function sweepBlobs(ctx: SweepContext, prefixes: readonly PrefixCandidates[], deleted: DeletedBlob[], keptForAge: DeletedBlob[]): Promise<void> {
  const doomed: Array<{ blob: DeletedBlob; prefix: number }> = [];
  for (const [prefix, { candidates }] of prefixes.entries()) {
    for (const { digest, size, young, gone } of candidates) {
      if (gone) continue;
      if (young) keptForAge.push({ digest, size });
      else doomed.push({ blob: { digest, size }, prefix });
    }
  }
  const removed = new Array<number>(prefixes.length).fill(0);
  const work = async ({ blob, prefix }: (typeof doomed)[number], [paths]: readonly Intent[]) => {
    const outcome = await removal(ctx, paths!.target, paths!.onlyFile);
    if (outcome === false) return;
    deleted.push(blob);
    // A folder that could not go (its data did: counted, and an error) keeps its prefix folder too.
    if (outcome === 'removed') removed[prefix]!++;
  };
  const intents = ({ blob }: (typeof doomed)[number]) => {
    const { dir, data } = ctx.layout.blobPaths(blob.digest);
    return [{ target: dir, onlyFile: data }];
  };
  await deleteEach(ctx, 'blobs', doomed, work, { candidate: ({ blob }) => ({ kind: 'blob', digest: blob.digest }), intents });
  // The registry recreates prefix folders on demand; an empty one costs an inode and a
  // listing. One left empty by an interrupted run (0 entries) goes too.
  if (ctx.dryRun) return;
  for (const [i, { prefix }] of prefixes.entries()) {
    if (removed[i] === prefix.entries) await removeIfEmpty(ctx, ctx.layout.blobPrefixDir(prefix.algorithm, prefix.prefix));
  }
}
