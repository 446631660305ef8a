/**
 * Assembles the report of a run from what each phase recorded: every array
 * sorted (spec §5) by its kind's identity, sizes summed, warnings and errors
 * in a stable order.
 */
import type { Digest } from '../registry/digest.js';
import type { Findings } from './findings.js';
import { CATEGORIES, KINDS, type Category, type DeletedItem } from './kinds.js';
import { byWarning, compareStrings } from './order.js';
import type { DeletedBlob, DeletedManifest, DeletedUpload, Phase, Report } from './report.js';

/** What each phase of the sweep deleted (in a dry run: would delete). */
export type Deletions = { [C in Category]: DeletedItem<C>[] };

/** What minAge kept that would otherwise have gone. */
export interface KeptForAge {
  manifests: DeletedManifest[];
  blobs: DeletedBlob[];
  uploads: DeletedUpload[];
}

export function emptyDeletions(): Deletions {
  return Object.fromEntries(CATEGORIES.map((c) => [c, []])) as unknown as Deletions;
}

export interface RunTally {
  readonly root: string;
  readonly dryRun: boolean;
  readonly deleteUntagged: boolean;
  /** What the scan saw. */
  readonly seen: { readonly repositories: number; readonly tags: number; readonly revisions: number; readonly blobs: number; readonly marked: number };
  readonly deleted: Deletions;
  readonly keptForAge: KeptForAge;
  readonly findings: Findings;
  readonly errors: Findings;
  readonly durations: Partial<Record<Phase, number>>;
  /** Report.blobs.tiedTo. */
  tiedTo?: { repository: string; digest: Digest }[];
}

/** Items of a category in report order: by the fields of its identity. */
function sorted<C extends Category>(category: C, items: readonly DeletedItem<C>[]): DeletedItem<C>[] {
  const fields = KINDS[category].identity;
  const field = (item: DeletedItem<C>, name: string) => String((item as unknown as Record<string, unknown>)[name] ?? '');
  return [...items].sort((a, b) => {
    for (const name of fields) {
      const order = compareStrings(field(a, name), field(b, name));
      if (order !== 0) return order;
    }
    return 0;
  });
}

const bytes = (items: readonly { size: number }[]) => items.reduce((n, item) => n + item.size, 0);

export function buildReport({ root, dryRun, deleteUntagged, seen, deleted, keptForAge, findings, errors, durations, tiedTo }: RunTally): Report {
  return {
    dryRun,
    deleteUntagged,
    root,
    blobs: {
      total: seen.blobs,
      marked: seen.marked,
      deleted: sorted('blobs', deleted.blobs),
      deletedBytes: bytes(deleted.blobs),
      keptForAge: sorted('blobs', keptForAge.blobs),
      ...(tiedTo === undefined || tiedTo.length === 0 ? {} : { tiedTo: [...tiedTo].sort((a, b) => compareStrings(a.repository, b.repository) || compareStrings(a.digest, b.digest)) }),
    },
    manifests: { total: seen.revisions, deleted: sorted('manifests', deleted.manifests), keptForAge: sorted('manifests', keptForAge.manifests) },
    layerLinks: { deleted: sorted('layerLinks', deleted.layerLinks) },
    uploads: { deleted: sorted('uploads', deleted.uploads), deletedBytes: bytes(deleted.uploads), keptForAge: sorted('uploads', keptForAge.uploads) },
    tagHistory: { deleted: sorted('tagHistory', deleted.tagHistory) },
    repositories: { total: seen.repositories, deleted: sorted('repositories', deleted.repositories) },
    tags: { total: seen.tags, deleted: sorted('tags', deleted.tags) },
    warnings: [...findings.warnings].sort(byWarning),
    errors: [...errors.problems].sort(byWarning),
    durations: { ...durations },
  };
}
