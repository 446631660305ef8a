/**
 * The report of one run: the JSON contract of spec §5 plus counts and timings.
 * Every array is sorted by repository, then digest (or id), so two runs over
 * the same tree print the same bytes.
 */
import type { Digest } from '../registry/digest.js';

/** A blob the report lists: deleted (in a dry run: would be), or kept for age. */
export interface DeletedBlob {
  readonly digest: Digest;
  /** Size of the blob's `data` file in bytes (0 when it had none). */
  readonly size: number;
}

/** An untagged manifest revision the report lists: deleted (in a dry run: would be), or kept for age. */
export interface DeletedManifest {
  readonly repository: string;
  readonly digest: Digest;
}

/** A repository's layer link deleted (in a dry run: would be). */
export interface DeletedLayerLink {
  readonly repository: string;
  readonly digest: Digest;
}

/** An upload the report lists: deleted as stale (in a dry run: would be), or kept for age. */
export interface DeletedUpload {
  readonly repository: string;
  readonly id: string;
  /** Bytes of every file in the upload folder. */
  readonly size: number;
  /** The upload's `startedat`, as written by the registry. */
  readonly startedAt: string;
}

/** A tag-history entry deleted (in a dry run: would be) because it named no revision. */
export interface DeletedTagHistoryEntry {
  readonly repository: string;
  readonly tag: string;
  readonly digest: Digest;
}

/** A tag deleted by retention or as an orphaned referrer tag (its whole `_manifests/tags/<tag>` folder, history included). */
export interface DeletedTag {
  readonly repository: string;
  readonly tag: string;
  /** What it pointed at. */
  readonly digest: Digest;
  /** The retention rule that deleted it (its `name`, `rules[<i>]`, or `command-line`), or `orphaned-referrer`. */
  readonly rule: string;
}

/** An empty repository removed (in a dry run: would be). */
export interface DeletedRepository {
  readonly repository: string;
}

/** Something a run found that is not a deletion: a warning, a problem that stopped it, or a failed deletion. */
/**
 * Every code a problem (a warning, an error, or what stopped a run) carries.
 * Stable: tools branch on them. Grouped by what they are about.
 */
export type ProblemCode =
  // The tree's shape and names.
  | 'symlink'
  | 'unreadable'
  | 'not_a_directory'
  | 'unexpected_entry'
  | 'unknown_algorithm'
  | 'bad_digest_name'
  | 'repository_name_invalid'
  | 'tag_name_invalid'
  | 'odd_revision_kept'
  // Links.
  | 'bad_link'
  | 'link_mismatch'
  | 'tag_link_missing'
  | 'tag_target_missing'
  | 'tag_moved'
  // Manifests and marking.
  | 'manifest_blob_missing'
  | 'child_manifest_missing'
  | 'manifest_unparsable'
  | 'manifest_unknown_type'
  | 'manifest_too_large'
  | 'manifest_unreadable'
  | 'manifest_unread'
  | 'referrer_uncertain'
  | 'repository_kept_whole'
  // Uploads, sizes, activity, the lock.
  | 'upload_startedat_missing'
  | 'upload_startedat_invalid'
  | 'size_unknown'
  | 'registry_active'
  | 'locked'
  | 'stale_lock'
  | 'lock_best_effort'
  // Deletions and the trash.
  | 'delete_failed'
  | 'delete_partial'
  | 'sweep_stopped'
  | 'trash_cross_device'
  | 'trash_full'
  | 'trash_journal'
  | 'trash_left'
  | 'trash_stray'
  | 'trash_unavailable'
  | 'purge_failed'
  | 'restore_failed'
  | 'restore_refused'
  // Plans.
  | 'plan_invalid';

/** One thing a run found about one path: a warning, an error, or part of what stopped it. */
export interface Problem {
  /** Stable code of this particular problem (ProblemCode), e.g. `manifest_unparsable`. */
  readonly code: ProblemCode;
  /** Path (relative to the registry root) the problem is about. */
  readonly path: string;
  readonly message: string;
}

/** Something a run found that did not stop it: reported, and the run went on. */
export type Warning = Problem;

/** `recheck`: apply comparing the tree with what its plan observed (docs/recheck.md). */
export type Phase =
  /** An object store's listing and read-ahead (S3 only), before anything else. */
  | 'list'
  | 'discover'
  | 'recheck'
  | 'scan'
  | 'blobs'
  | 'mark'
  | 'inspect-blobs'
  | 'sweep-tags'
  | 'sweep-manifests'
  | 'sweep-blobs'
  | 'sweep-layer-links'
  | 'sweep-tag-history'
  | 'sweep-uploads'
  | 'sweep-repositories'
  | 'purge';

/** The report of one run: what it found, deleted (in a dry run: would delete) and kept, with problems and timings. */
export interface Report {
  readonly dryRun: boolean;
  readonly deleteUntagged: boolean;
  readonly root: string;
  readonly blobs: {
    /** Blobs found in `blobs/`. */
    readonly total: number;
    /** Digests reachable from a root (some may be missing from `blobs/`). */
    readonly marked: number;
    readonly deleted: readonly DeletedBlob[];
    readonly deletedBytes: number;
    /** Unreferenced, but younger than minAge: kept. */
    readonly keptForAge: readonly DeletedBlob[];
    /**
     * Deleted blobs the tree tied to a repository where no deleted item says
     * so: a revision folder left without its link (a manifest deleted through
     * the registry's API) names its manifest's blob. Present when there is one.
     */
    readonly tiedTo?: readonly { readonly repository: string; readonly digest: Digest }[];
  };
  readonly manifests: {
    /** Manifest revisions found, over all repositories. */
    readonly total: number;
    readonly deleted: readonly DeletedManifest[];
    /** Untagged, but younger than minAge: kept, with everything they reference. */
    readonly keptForAge: readonly DeletedManifest[];
  };
  readonly layerLinks: { readonly deleted: readonly DeletedLayerLink[] };
  readonly uploads: { readonly deleted: readonly DeletedUpload[]; readonly deletedBytes: number; readonly keptForAge: readonly DeletedUpload[] };
  /** Tag-history entries (`tags/<tag>/index/<alg>/<hex>`) naming a manifest that is no revision any more. */
  readonly tagHistory: { readonly deleted: readonly DeletedTagHistoryEntry[] };
  readonly repositories: { readonly total: number; readonly deleted: readonly DeletedRepository[] };
  readonly tags: {
    /** Tags found, over all repositories. */
    readonly total: number;
    /** Tags deleted by retention (`retention`) or as orphaned referrer tags. */
    readonly deleted: readonly DeletedTag[];
  };
  readonly warnings: readonly Warning[];
  /** Deletions that failed (other than "already gone"); a run with errors exits non-zero. */
  readonly errors: readonly Problem[];
  /** A real run: milliseconds from its start to the end of its last move (or deletion), the time the registry had to stay stopped. */
  readonly offlineMs?: number;
  /** A real run that moved what it collected: its trash. */
  readonly trash?: {
    readonly run: string;
    /** The run's folder in the trash. */
    readonly path: string;
    /** Entries moved into the trash. */
    readonly moved: number;
    /** Items that could not be moved (another file system) and were deleted in place. */
    readonly deletedInPlace: number;
    /** The trash was freed by this run (false: kept, for purge or restore). */
    readonly purged: boolean;
  };
  /** Milliseconds per phase, in the order they ran. */
  readonly durations: Readonly<Partial<Record<Phase, number>>>;
}
