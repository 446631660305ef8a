/**
 * One thing a run would delete, as the `allow` hook of CollectOptions sees
 * it (applyPlan uses it to delete only what a reviewed plan lists). Each
 * kind names its object the way the report does.
 */
import type { Digest } from '../registry/digest.js';

/** One thing a run would delete, as the `allow` hook sees it. */
export type DeletionCandidate =
  /** A tag that retention (or the orphaned-referrer rule) deletes, with its history. */
  | { readonly kind: 'tag'; readonly repository: string; readonly tag: string; readonly digest: Digest }
  /** An untagged revision (`deleteUntagged`), with its tag-history entries. */
  | { readonly kind: 'manifest'; readonly repository: string; readonly digest: Digest }
  /** An unmarked blob. */
  | { readonly kind: 'blob'; readonly digest: Digest }
  | { readonly kind: 'layer-link'; readonly repository: string; readonly digest: Digest }
  /** A tag-history entry naming no revision. */
  | { readonly kind: 'tag-history'; readonly repository: string; readonly tag: string; readonly digest: Digest }
  /** A stale upload; `startedAt` as written in its `startedat` file. */
  | { readonly kind: 'upload'; readonly repository: string; readonly id: string; readonly startedAt: string }
  /** An empty repository (`removeEmptyRepositories`). */
  | { readonly kind: 'repository'; readonly repository: string };

/** Decides, right before a candidate goes, whether it may: false keeps it (and what it needs). */
export type AllowDeletion = (candidate: DeletionCandidate) => boolean;

/**
 * The one place the hook is asked. Marking asks it for untagged manifests
 * (one it refuses is a root, with all it needs); the sweep asks it for every
 * other candidate right before its phase deletes (sweep/context.ts).
 */
export function mayDelete(allow: AllowDeletion | undefined, candidate: DeletionCandidate): boolean {
  return allow?.(candidate) !== false;
}
