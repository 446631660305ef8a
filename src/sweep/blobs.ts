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

/** A candidate younger than minAge: kept. */
const CANDIDATE_YOUNG = 1;
/** Its `data` and its folder were not there any more when inspected: nothing to delete, nothing to report. */
const CANDIDATE_GONE = 2;

/**
 * The unmarked blobs of one prefix folder, inspected. Each blob is the
 * object the report lists if it goes (or is kept for its age), and its
 * state is a byte beside it: on `large` a `-m` run has 712,467 candidates,
 * and one object each instead of three (a candidate, the sweep's item, the
 * report's entry) was ~60 MB of its heap.
 */
export interface PrefixCandidates {
  readonly prefix: BlobPrefix;
  readonly blobs: readonly DeletedBlob[];
  /** Per blob: CANDIDATE_YOUNG, CANDIDATE_GONE, or 0. */
  readonly states: Uint8Array;
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
    // The string the layer links of this blob will report too (DigestIds.sharedDigest).
    for (const id of prefix.ids) if (!marked.has(id)) unmarked.push(ids.sharedDigest(id));
    const data = unmarked.map((digest) => layout.blobData(digest));
    const outcomes = unmarked.length === 0 ? [] : await inspectData(data);
    // Without `data`, a blob folder that is still there is dead weight and goes; one that is not is gone.
    const missing = unmarked.filter((_, i) => !outcomes[i]!.ok && isNotFound((outcomes[i] as { error: unknown }).error));
    const folders = missing.length === 0 ? [] : await storage.inspect(missing.map((digest) => layout.blobDir(digest)));
    const vanished = new Set(missing.filter((_, i) => !folders[i]!.ok && isNotFound((folders[i] as { error: unknown }).error)));
    const states = new Uint8Array(unmarked.length);
    const blobs = unmarked.map((digest, i): DeletedBlob => {
      const outcome = outcomes[i]!;
      if (outcome.ok) {
        if (outcome.value.type === 'symlink') findings.fail('symlink', data[i]!, 'the data of an unreferenced blob is a symbolic link');
        if (age.isYoungTime(outcome.value.mtimeMs)) states[i] = CANDIDATE_YOUNG;
        return { digest, size: outcome.value.size };
      }
      // The size is only reported: not knowing it is no reason to keep an unreachable blob.
      const gone = isNotFound(outcome.error);
      if (!gone) findings.warn('size_unknown', data[i]!, `cannot stat: ${(outcome.error as Error).message}`);
      states[i] = (age.enabled && !gone ? CANDIDATE_YOUNG : 0) | (vanished.has(digest) ? CANDIDATE_GONE : 0);
      return { digest, size: 0 };
    });
    result.push({ prefix, blobs, states });
  }
  return result;
}

/** The candidates that were gone when inspected. */
export function goneCandidates(prefixes: readonly PrefixCandidates[]): DeletedBlob[] {
  return prefixes.flatMap(({ blobs, states }) => blobs.filter((_, i) => (states[i]! & CANDIDATE_GONE) !== 0));
}

/** Deletes the inspected candidates (young ones are kept); removes prefix folders it empties. */
export async function sweepBlobs(ctx: SweepContext, prefixes: readonly PrefixCandidates[], deleted: DeletedBlob[], keptForAge: DeletedBlob[]): Promise<void> {
  // The items are indexes into these two: no object per blob beside the report's own.
  const doomed: DeletedBlob[] = [];
  const prefixOf: number[] = [];
  for (const [prefix, { blobs, states }] of prefixes.entries()) {
    blobs.forEach((blob, i) => {
      const state = states[i]!;
      if ((state & CANDIDATE_GONE) !== 0) return;
      if ((state & CANDIDATE_YOUNG) !== 0) keptForAge.push(blob);
      else {
        doomed.push(blob);
        prefixOf.push(prefix);
      }
    });
  }
  const removed = new Array<number>(prefixes.length).fill(0);
  const work = async (item: number, [paths]: readonly Intent[]) => {
    const outcome = await removal(ctx, paths!.target, paths!.onlyFile);
    if (outcome === false) return;
    deleted.push(doomed[item]!);
    // A folder that could not go (its data did: counted, and an error) keeps its prefix folder too.
    if (outcome === 'removed') removed[prefixOf[item]!]!++;
  };
  const intents = (item: number) => {
    const { dir, data } = ctx.layout.blobPaths(doomed[item]!.digest);
    return [{ target: dir, onlyFile: data }];
  };
  const items = Array.from(doomed.keys());
  await deleteEach(ctx, 'blobs', items, work, { candidate: (item) => ({ kind: 'blob', digest: doomed[item]!.digest }), intents });
  // The registry recreates prefix folders on demand; an empty one costs an inode and a
  // listing. One left empty by an interrupted run (0 entries) goes too.
  if (ctx.dryRun) return;
  for (const [i, { prefix }] of prefixes.entries()) {
    if (removed[i] === prefix.entries) await removeIfEmpty(ctx, ctx.layout.blobPrefixDir(prefix.algorithm, prefix.prefix));
  }
}
