/**
 * The types of applyPlan (apply.ts): its options, and its report of what it
 * did with each planned item.
 */
import type { ProgressEvent } from '../collect/options.js';
import type { Report } from '../report/report.js';
import type { FileSystem } from '../storage/file-system.js';
import type { Storage } from '../storage/storage.js';
import type { S3Settings } from '../storage/s3/settings.js';
import type { PlanCategory, PlanItems, PlannedItem, PlanOptions } from './types.js';

/** Options of `applyPlan`. What decides deletion is not among them: it comes from the plan. */
export interface ApplyOptions {
  /** Re-check and report what would be deleted; delete nothing. @default false */
  dryRun?: boolean;
  /** When given, the plan must be for this root (the same folder), or it is refused. */
  root?: string;
  concurrency?: number;
  signal?: AbortSignal;
  /** Progress of both runs: the fresh dry run, then the run that deletes. */
  onProgress?: (event: ProgressEvent) => void;
  strict?: boolean;
  /** The time uploads and minAge are judged against. @default the current time */
  now?: Date;
  fileSystem?: FileSystem;
  /** The storage seam (experimental), as CollectOptions.storage. */
  storage?: Storage;
  /** A registry on S3, as CollectOptions.s3: required for a plan made on S3 (of the same bucket), refused for any other. */
  s3?: S3Settings;
  /** As CollectOptions.trash, for the run that deletes. @default "purge" */
  trash?: 'purge' | 'keep' | 'off';
  /**
   * `incremental`: re-read only what a running registry can have changed
   * since the plan (docs/recheck.md); `full`: a fresh dry run of the whole
   * tree first. A plan without a trusted observation, or a storage that gives
   * no versions, is re-checked in full either way. @default "incremental"
   */
  recheck?: 'incremental' | 'full';
}

/** How apply re-checked the plan. */
export interface RecheckSummary {
  readonly mode: 'incremental' | 'full';
  /** Why a full re-check was made; absent when it was asked for or incremental. */
  readonly why?: string;
  /** Incremental: the repositories scanned again (new, or written since the plan), sorted. */
  readonly rescanned: readonly string[];
}

/**
 * Why a planned item was not deleted:
 * - `gone`: it no longer exists;
 * - `no-longer-unreferenced`: the fresh mark keeps it (a tag, a kept manifest…);
 * - `no-longer-empty`: the repository holds something now;
 * - `changed`: not what the plan saw (another upload under that id, a link rewritten);
 * - `kept-for-age`: younger than minAge now;
 * - `needed-by-kept-item`: the fresh run would delete it, but only together with
 *   items this apply keeps (not in the plan, or skipped), which need it;
 * - `failed`: its deletion failed (see the report's errors).
 */
export type SkipReason = 'gone' | 'no-longer-unreferenced' | 'no-longer-empty' | 'changed' | 'kept-for-age' | 'needed-by-kept-item' | 'failed';

/** A planned item that apply did not delete, and why. */
export interface SkippedItem {
  readonly category: PlanCategory;
  readonly item: PlannedItem;
  readonly reason: SkipReason;
  readonly message: string;
}

/** What `applyPlan` did (in a dry run: would do) with each planned item, and the report of its run. */
export interface ApplyReport {
  readonly dryRun: boolean;
  readonly root: string;
  readonly plan: {
    readonly createdAt: string;
    readonly sha256: string;
    readonly registryGcVersion: string;
    readonly options: PlanOptions;
    readonly items: number;
    readonly bytes: number;
  };
  /** The planned items this apply deleted (in a dry run: would delete), with the plan's reasons. */
  readonly deleted: PlanItems;
  /** Bytes of the blobs and uploads deleted, as measured now. */
  readonly deletedBytes: number;
  /** Every planned item that was not deleted, in category order, with why. */
  readonly skipped: readonly SkippedItem[];
  /**
   * What the fresh run would delete but the plan does not list: left alone
   * (make a new plan to review it). Only a full re-check looks for it: empty
   * after an incremental one.
   */
  readonly notInPlan: PlanItems;
  readonly recheck: RecheckSummary;
  /** The report of the run that deleted (warnings, errors, timings). */
  readonly report: Report;
}
