/**
 * Sweeping (spec §4): one phase per deletable kind, in the table's order
 * (report/kinds.ts), each done before the next begins, so a run killed
 * between any two deletions leaves every kept image complete and the next
 * run finds what is left and finishes.
 *
 * A dry run walks the same phases and skips only the deletion calls, so the
 * lists it returns are the lists a real run returns.
 */
import type { Digest } from '../registry/digest.js';
import type { Deletions, KeptForAge } from '../report/builder.js';
import { CATEGORIES, KINDS, type Category } from '../report/kinds.js';
import type { Phase } from '../report/report.js';
import type { BlobPrefix } from '../scan/blobs.js';
import type { ScannedRepository } from '../scan/pool.js';
import type { DigestId, DigestIds } from '../registry/digest-ids.js';
import { sweepBlobs, type PrefixCandidates } from './blobs.js';
import type { SweepContext } from './context.js';
import { sweepLayerLinks } from './layer-links.js';
import { sweepManifests } from './manifests.js';
import { sweepRepositories } from './repositories.js';
import type { TagDeletion } from '../retention/select.js';
import { sweepTags } from './tags.js';
import { sweepTagHistory } from './tag-history.js';
import { sweepUploads } from './uploads.js';

/** What the sweep is given: the scan, what marking decided, and the options that decide deletions. */
export interface SweepInput {
  /** As marking saw them: without the tags that go (retention/decide-tags.ts). */
  readonly scans: readonly ScannedRepository[];
  /** The run's digests as ids: what `scans`, `referencedBy` and `blobs` hold. */
  readonly ids: DigestIds;
  /** The tags that go (retention, orphaned referrer tags): marking counted on them being gone. */
  readonly tags: readonly TagDeletion[];
  /** Per repository, the untagged revisions marking gave up (deleteUntagged). */
  readonly untagged: ReadonlyMap<string, readonly Digest[]>;
  /** pruneLayerLinks: what each repository's kept manifests reference; else undefined. */
  readonly referencedBy: ReadonlyMap<string, ReadonlySet<DigestId>> | undefined;
  readonly blobs: readonly BlobPrefix[];
  readonly blobCandidates: readonly PrefixCandidates[];
  /** Uploads started before this are stale; undefined: keep every upload. */
  readonly staleUploadsBefore: number | undefined;
  readonly removeEmptyRepositories: boolean;
}

export interface SweepRecord {
  readonly deleted: Deletions;
  readonly keptForAge: KeptForAge;
}

type PhaseSweep = (ctx: SweepContext, input: SweepInput, record: SweepRecord) => Promise<void>;

/** Each kind's phase. A new kind is an entry in report/kinds.ts and its function here. */
const SWEEPS: { readonly [C in Category]: PhaseSweep } = {
  tags: (ctx, input, { deleted }) => sweepTags(ctx, input.tags, deleted.tags),
  manifests: (ctx, input, { deleted }) => sweepManifests(ctx, input.scans, input.untagged, deleted.manifests),
  blobs: (ctx, input, { deleted, keptForAge }) => sweepBlobs(ctx, input.blobCandidates, deleted.blobs, keptForAge.blobs),
  layerLinks: (ctx, input, { deleted }) =>
    sweepLayerLinks(ctx, { scans: input.scans, ids: input.ids, blobs: input.blobs, deletedBlobs: deleted.blobs, referencedBy: input.referencedBy }, deleted.layerLinks),
  tagHistory: (ctx, input, { deleted }) => sweepTagHistory(ctx, input.scans, deleted.manifests, deleted.tagHistory),
  uploads: (ctx, input, { deleted, keptForAge }) => sweepUploads(ctx, { scans: input.scans, staleBefore: input.staleUploadsBefore }, deleted.uploads, keptForAge.uploads),
  repositories: (ctx, input, { deleted }) =>
    sweepRepositories(
      ctx,
      { scans: input.scans, deletedManifests: deleted.manifests, deletedUploads: deleted.uploads, removeEmptyRepositories: input.removeEmptyRepositories },
      deleted.repositories,
    ),
};

/** Runs every phase in order; `timed` measures each under its phase's name. */
export async function sweep(
  ctx: SweepContext,
  input: SweepInput,
  record: SweepRecord,
  timed: (phase: Phase, work: () => Promise<void>) => Promise<void>,
): Promise<void> {
  // Marking counted on every decided tag and untagged manifest being gone: with one still there
  // (a failed deletion, a link found on the way), what it reaches may not go.
  const decided: Partial<Record<Category, { count: number; what: [string, string] }>> = {
    tags: { count: input.tags.length, what: ['tag', 'tags'] },
    manifests: { count: [...input.untagged.values()].reduce((n, list) => n + list.length, 0), what: ['untagged manifest', 'untagged manifests'] },
  };
  for (const category of CATEGORIES) {
    await timed(KINDS[category].phase, () => SWEEPS[category](ctx, input, record));
    const must = decided[category];
    const left = must === undefined ? 0 : must.count - record.deleted[category].length;
    if (left > 0) {
      const [one, many] = must!.what;
      // An error, not a warning: the run did not do its job, and a script must see it (exit 1).
      ctx.errors.fail('sweep_stopped', ctx.layout.repositoriesDir, `${left} ${left === 1 ? one : many} to delete stayed (see above): nothing else is deleted in this run, since marking counted on them being gone; a rerun decides again`);
      return;
    }
  }
}
