/** Public API of registry-gc: the verb, and the model it is built from. */
export { collectGarbage } from './collect/collect-garbage.js';
export type { CollectOptions, ProgressEvent } from './collect/options.js';
export type { DeletionCandidate, AllowDeletion } from './report/candidate.js';
export { CATEGORIES, type Category } from './report/kinds.js';
export {
  makePlan,
  applyPlan,
  parsePlan,
  PLAN_FORMAT,
  PLAN_FORMAT_VERSION,
  PLAN_CATEGORIES,
  type Plan,
  type PlanItems,
  type PlanCategory,
  type PlanOptions,
  type PlannedItem,
  type PlannedManifest,
  type PlannedBlob,
  type PlannedLayerLink,
  type PlannedTagHistoryEntry,
  type PlannedTag,
  type PlannedUpload,
  type PlannedRepository,
  type LayerLinkReason,
  type MakePlanOptions,
  type ApplyOptions,
  type ApplyReport,
  type RecheckSummary,
  type PlanObservation,
  type CategoryFingerprint,
  type SkippedItem,
  type SkipReason,
} from './plan/plan.js';
export { formatPlan, formatApplyReport } from './text/plan.js';
export type { Report, ProblemCode, DeletedBlob, DeletedManifest, DeletedLayerLink, DeletedTagHistoryEntry, DeletedTag, DeletedRepository, DeletedUpload, Warning, Phase } from './report/report.js';
export { RegistryGcError, type ErrorCode, type Problem } from './report/errors.js';
export { RegistryLayout } from './registry/layout.js';
export { parseDigest, isDigest, computeDigest, type Digest, type Algorithm, type ParsedDigest } from './registry/digest.js';
export { parseManifest, ManifestError, MediaType, type ManifestKind, type ManifestReferences, type ManifestErrorReason, type LooseSubject } from './registry/manifest.js';
export { isRepositoryName, isTagName } from './registry/names.js';
export { listRepositories, listTags, readRepository } from './scan/model.js';
export type { RepositoryScan, TagScan } from './scan/repository.js';
export type { FileSystem, DirEntry, EntryType } from './storage/file-system.js';
export type { Storage, TreeReader, EntryInfo, EntryVersion, InspectOptions, Outcome, WorkerAccess, OwnFiles, AppendHandle, OddEntry, OffThreadRenames } from './storage/storage.js';
export { MemoryStorage, type MemoryFault, type MemoryOperation } from './storage/memory-storage.js';
export type { S3Settings } from './storage/s3/settings.js';
export { readRegistryConfig, resolveTarget, type RegistryConfig, type Target, type ResolveContext, type RedisSettings } from './config/config.js';
export { formatReport, type FormatContext } from './text/report.js';
export { purgeTrash, restoreTrash, type PurgeOptions, type PurgeReport, type PurgedRun, type RestoreOptions, type RestoreReport } from './trash/verbs.js';
export { formatPurgeReport, formatRestoreReport } from './text/trash.js';
export { parseDuration, formatDuration } from './registry/duration.js';
export type { RetentionPolicy, RetentionRule } from './retention/policy.js';
export { readRetentionPolicy } from './retention/policy-file.js';
