/**
 * Assembles the report of a run from what each phase recorded: every array
 * sorted (spec §5), sizes summed, warnings and errors in a stable order.
 */
import type { Findings } from './findings.js';
import type { RegistryLayout } from '../registry/layout.js';
import type { NormalizedOptions } from '../collect/options.js';
import {
  byRepositoryThen,
  byWarning,
  compareStrings,
  type DeletedBlob,
  type DeletedLayerLink,
  type DeletedManifest,
  type DeletedRepository,
  type DeletedTagHistoryEntry,
  type DeletedUpload,
  type Phase,
  type Report,
} from './report.js';
import type { RepositoryScan } from '../scan/repository.js';

export interface Deletions {
  manifests: DeletedManifest[];
  blobs: DeletedBlob[];
  layerLinks: DeletedLayerLink[];
  tagHistory: DeletedTagHistoryEntry[];
  uploads: DeletedUpload[];
  repositories: DeletedRepository[];
}

/** What minAge kept that would otherwise have gone. */
export interface KeptForAge {
  manifests: DeletedManifest[];
  blobs: DeletedBlob[];
  uploads: DeletedUpload[];
}

export interface RunState {
  layout: RegistryLayout;
  opts: NormalizedOptions;
  scans: readonly RepositoryScan[];
  blobCount: number;
  markedCount: number;
  deleted: Deletions;
  keptForAge: KeptForAge;
  findings: Findings;
  errors: Findings;
  durations: Partial<Record<Phase, number>>;
}

/** Every array sorted (spec §5): repository, then digest, tag or id. */
export function buildReport({ layout, opts, scans, blobCount, markedCount, deleted, keptForAge, findings, errors, durations }: RunState): Report {
  const sum = (items: readonly { size: number }[]) => items.reduce((n, item) => n + item.size, 0);
  return {
    dryRun: opts.dryRun,
    deleteUntagged: opts.deleteUntagged,
    root: layout.root,
    blobs: {
      total: blobCount,
      marked: markedCount,
      deleted: [...deleted.blobs].sort((a, b) => compareStrings(a.digest, b.digest)),
      deletedBytes: sum(deleted.blobs),
      keptForAge: [...keptForAge.blobs].sort((a, b) => compareStrings(a.digest, b.digest)),
    },
    manifests: {
      total: scans.reduce((n, s) => n + s.revisions.length, 0),
      deleted: [...deleted.manifests].sort(byRepositoryThen((m) => m.digest)),
      keptForAge: [...keptForAge.manifests].sort(byRepositoryThen((m) => m.digest)),
    },
    layerLinks: { deleted: [...deleted.layerLinks].sort(byRepositoryThen((l) => l.digest)) },
    uploads: {
      deleted: [...deleted.uploads].sort(byRepositoryThen((u) => u.id)),
      deletedBytes: sum(deleted.uploads),
      keptForAge: [...keptForAge.uploads].sort(byRepositoryThen((u) => u.id)),
    },
    tagHistory: { deleted: [...deleted.tagHistory].sort(byRepositoryThen((t) => `${t.tag}\0${t.digest}`)) },
    repositories: { total: scans.length, deleted: [...deleted.repositories].sort(byRepositoryThen(() => '')) },
    tags: { total: scans.reduce((n, s) => n + s.tags.length, 0) },
    warnings: [...findings.warnings].sort(byWarning),
    errors: [...errors.problems].sort(byWarning),
    durations: { ...durations },
  };
}
