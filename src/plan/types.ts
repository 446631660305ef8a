/**
 * The shape of a plan (issue 7): its format, categories, items, options and
 * fingerprint, as written to and read from a plan file. Types and constants
 * only, so that making, fingerprinting, reading and applying a plan share
 * one definition, and none of them depends on the code of another for it.
 */
import type { Digest } from '../registry/digest.js';
import { CATEGORIES, type Category } from '../report/kinds.js';
import type { Warning } from '../report/report.js';
import type { RetentionPolicy } from '../retention/policy.js';

/** The `format` of every plan file: what marks a JSON document as a registry-gc plan. */
export const PLAN_FORMAT = 'registry-gc-plan';
/** The plan format version this registry-gc writes and reads; a plan of another version is refused. */
export const PLAN_FORMAT_VERSION = 1;

/** The categories of a plan: the deletable kinds (report/kinds.ts), in the order a run deletes them (spec §4). */
export const PLAN_CATEGORIES = CATEGORIES;
/** A category of a plan's items: the same as the report's. */
export type PlanCategory = Category;

/** A tag that retention deletes (`retention`) or an orphaned referrer tag, with its history; apply deletes it only while it points where it did. */
export interface PlannedTag {
  readonly repository: string;
  readonly tag: string;
  readonly digest: Digest;
  /** As Report.tags.deleted[].rule. */
  readonly rule: string;
  readonly reason: 'retention' | 'orphaned-referrer';
}

/** An untagged revision (`deleteUntagged`); its tag-history entries go with it. */
export interface PlannedManifest {
  readonly repository: string;
  readonly digest: Digest;
  readonly reason: 'untagged';
}

/** An unreferenced blob; `size` is that of its `data` file when planned. */
export interface PlannedBlob {
  readonly digest: Digest;
  readonly size: number;
  readonly reason: 'unreferenced';
}

/**
 * `blob-deleted`: its blob goes in the same plan; `blob-missing`: its blob
 * was already gone; `unreferenced-in-repository`: no kept manifest of the
 * repository references it (pruneLayerLinks).
 */
export type LayerLinkReason = 'blob-deleted' | 'blob-missing' | 'unreferenced-in-repository';

/** A repository's layer link (`_layers/<alg>/<hex>/link`), and why it goes. */
export interface PlannedLayerLink {
  readonly repository: string;
  readonly digest: Digest;
  readonly reason: LayerLinkReason;
}

/** A tag-history entry (`tags/<tag>/index/<alg>/<hex>`) naming a manifest that is no revision. */
export interface PlannedTagHistoryEntry {
  readonly repository: string;
  readonly tag: string;
  readonly digest: Digest;
  readonly reason: 'not-a-revision';
}

/** A stale upload (started longer than uploadAge ago); `size` is the bytes of every file in its folder. */
export interface PlannedUpload {
  readonly repository: string;
  readonly id: string;
  readonly size: number;
  /** The upload's `startedat`: apply deletes this upload only while it still says this. */
  readonly startedAt: string;
  readonly reason: 'stale';
}

/** A repository with no tag, revision or upload left (`removeEmptyRepositories`). */
export interface PlannedRepository {
  readonly repository: string;
  readonly reason: 'empty';
}

/** Every item a plan lists, by category. */
export interface PlanItems {
  /** Absent in plans of 0.1.0 (read as none). */
  readonly tags: readonly PlannedTag[];
  readonly manifests: readonly PlannedManifest[];
  readonly blobs: readonly PlannedBlob[];
  readonly layerLinks: readonly PlannedLayerLink[];
  readonly tagHistory: readonly PlannedTagHistoryEntry[];
  readonly uploads: readonly PlannedUpload[];
  readonly repositories: readonly PlannedRepository[];
}

/** An item of any category of a plan. */
export type PlannedItem = PlanItems[PlanCategory][number];

/** The options that decide what is deleted; apply runs with exactly these. */
export interface PlanOptions {
  readonly deleteUntagged: boolean;
  readonly pruneLayerLinks: boolean;
  readonly removeEmptyRepositories: boolean;
  readonly keepUploads: boolean;
  /** Milliseconds. */
  readonly uploadAge: number;
  /** Milliseconds. */
  readonly minAge: number;
  readonly maxManifestBytes: number;
  /** As CollectOptions.retention; absent when the plan was made without one. */
  readonly retention?: RetentionPolicy;
}

/** A category's item count and hash, so that a plan edited after it was written is refused. */
export interface CategoryFingerprint {
  readonly count: number;
  /** Hex sha256 over the category's items, one canonical line each, sorted. */
  readonly sha256: string;
}

/** A plan file: what a dry run would delete, the options it ran with, and the fingerprint and observations apply checks before deleting. */
export interface Plan {
  readonly format: typeof PLAN_FORMAT;
  readonly formatVersion: typeof PLAN_FORMAT_VERSION;
  readonly registryGcVersion: string;
  /** When the dry run looked (ISO 8601); uploads were aged against this time. */
  readonly createdAt: string;
  /** The absolute registry root (on S3: the rootdirectory as a path). */
  readonly root: string;
  /** Where the registry is when it is not on a file system: apply refuses a plan of another storage. Absent on disk. */
  readonly storage?: { readonly driver: 's3'; readonly bucket: string };
  readonly options: PlanOptions;
  /** What the dry run looked at. */
  readonly scanned: {
    readonly repositories: number;
    readonly tags: number;
    readonly manifests: number;
    readonly blobs: number;
    readonly markedDigests: number;
  };
  readonly totals: { readonly items: number; readonly bytes: number };
  readonly fingerprint: {
    readonly categories: { readonly [C in PlanCategory]: CategoryFingerprint };
    /** Hex sha256 over the format, version, time, root, options, scanned counts and every category's fingerprint. */
    readonly sha256: string;
  };
  readonly items: PlanItems;
  /** What apply's re-check compares (docs/recheck.md); absent in plans of 0.1.0: apply re-checks those in full. */
  readonly observed?: PlanObservation;
  /** The dry run's warnings, for the reviewer (not part of the fingerprint). */
  readonly warnings: readonly Warning[];
}

/**
 * Versions of the entries that a running registry's writes change
 * (docs/recheck.md), as the storage gives them: `""` is unknown (written
 * while the plan was made, or unreadable) and never equals a later look;
 * `"-"` is absent.
 */
export interface PlanObservation {
  /** The wall-clock time before the dry run began (ISO 8601). */
  readonly since: string;
  /** Per repository: each folder that a write into it changes, by path relative to the root. */
  readonly repositories: { readonly [repository: string]: { readonly [folder: string]: string } };
  /** Per repository with a planned manifest: each tag's current link. */
  readonly tags: { readonly [repository: string]: { readonly [tag: string]: string } };
  /** In the order of items.manifests: its revision link, and the tags whose history names it. */
  readonly manifests: readonly { readonly link: string; readonly tags: readonly string[] }[];
  /** In the order of items.layerLinks and items.tagHistory: the link. */
  readonly layerLinks: readonly string[];
  readonly tagHistory: readonly string[];
  /** In the order of items.tags: its current link (absent when the plan deletes no tag). */
  readonly plannedTags?: readonly string[];
  /** In the order of items.uploads: its folder and its data. */
  readonly uploads: readonly (readonly [string, string])[];
  /** Hex sha256 over the rest, as JSON: a damaged section is not trusted. */
  readonly sha256: string;
}
