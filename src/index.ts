/** Public API of registry-gc: the verb, and the model it is built from. */
export { collectGarbage } from './gc.js';
export type { CollectOptions, ProgressEvent } from './options.js';
export type { DeletionCandidate, AllowDeletion } from './candidate.js';
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
  type PlannedUpload,
  type PlannedRepository,
  type LayerLinkReason,
  type MakePlanOptions,
  type ApplyOptions,
  type ApplyReport,
  type SkippedItem,
  type SkipReason,
} from './plan.js';
export { formatPlan, formatApplyReport } from './plan-format.js';
export type { Report, DeletedBlob, DeletedManifest, DeletedLayerLink, DeletedUpload, Warning, Phase } from './report.js';
export { RegistryGcError, type ErrorCode, type Problem } from './errors.js';
export { RegistryLayout } from './layout.js';
export { parseDigest, isDigest, computeDigest, type Digest, type Algorithm } from './digest.js';
export { parseManifest, ManifestError, MediaType, type ManifestKind, type ManifestReferences } from './manifest.js';
export { isRepositoryName, isTagName } from './names.js';
export { listRepositories, listTags, readRepository } from './model.js';
export type { RepositoryScan, TagScan } from './repositories.js';
export type { FileSystem, DirEntry, EntryType } from './file-system.js';
export { readRegistryConfig, resolveTarget, type RegistryConfig, type Target } from './config.js';
export { formatReport } from './format.js';
export { parseDuration } from './duration.js';
