/**
 * Plan items from a run's report: the deletions of a dry run as plan items,
 * each with its reason, and the identities of what a run deleted or kept for
 * age. makePlan builds a plan from a dry run and applyPlan compares a fresh
 * run with the plan, so both read reports the same way.
 */
import type { Digest } from '../registry/digest.js';
import { errorCode } from '../report/errors.js';
import type { FileSystem } from '../storage/file-system.js';
import type { RegistryLayout } from '../registry/layout.js';
import { identity, itemsOf } from './fingerprint.js';
import type { LayerLinkReason, PlanItems } from './types.js';
import type { Report } from '../report/report.js';

/** A plan's totals: its items, and the bytes of its blobs and uploads (the only items with a size). */
export function totalsOf(items: PlanItems): { items: number; bytes: number } {
  const sum = (list: readonly { size: number }[]) => list.reduce((n, x) => n + x.size, 0);
  return { items: itemsOf(items).length, bytes: sum(items.blobs) + sum(items.uploads) };
}

/** Whether `target` is there: one that cannot be read is not known to be gone. */
export function exists(fileSystem: FileSystem, target: string): boolean {
  try {
    fileSystem.entry(target);
    return true;
  } catch (error) {
    const code = errorCode(error);
    return code !== 'ENOENT' && code !== 'ENOTDIR';
  }
}

/** The deletions of a dry run as plan items, each with its reason. */
export function itemsOfReport(report: Report, layout: RegistryLayout, pruneLayerLinks: boolean, fileSystem: FileSystem): PlanItems {
  const deletedBlobs = new Set<string>(report.blobs.deleted.map((b) => b.digest));
  const linkReason = (digest: Digest): LayerLinkReason => {
    if (deletedBlobs.has(digest)) return 'blob-deleted';
    if (!pruneLayerLinks || !exists(fileSystem, layout.blobDir(digest))) return 'blob-missing';
    return 'unreferenced-in-repository';
  };
  return {
    manifests: report.manifests.deleted.map(({ repository, digest }) => ({ repository, digest, reason: 'untagged' as const })),
    blobs: report.blobs.deleted.map(({ digest, size }) => ({ digest, size, reason: 'unreferenced' as const })),
    layerLinks: report.layerLinks.deleted.map(({ repository, digest }) => ({ repository, digest, reason: linkReason(digest) })),
    tagHistory: report.tagHistory.deleted.map(({ repository, tag, digest }) => ({ repository, tag, digest, reason: 'not-a-revision' as const })),
    uploads: report.uploads.deleted.map(({ repository, id, size, startedAt }) => ({ repository, id, size, startedAt, reason: 'stale' as const })),
    repositories: report.repositories.deleted.map(({ repository }) => ({ repository, reason: 'empty' as const })),
  };
}

/** Identities of what a report deleted (reasons are not needed to compare). */
export function deletedKeys(report: Report): Set<string> {
  const keys = new Set<string>();
  for (const m of report.manifests.deleted) keys.add(identity('manifests', m));
  for (const b of report.blobs.deleted) keys.add(identity('blobs', b));
  for (const l of report.layerLinks.deleted) keys.add(identity('layerLinks', l));
  for (const t of report.tagHistory.deleted) keys.add(identity('tagHistory', t));
  for (const u of report.uploads.deleted) keys.add(identity('uploads', u));
  for (const r of report.repositories.deleted) keys.add(identity('repositories', r));
  return keys;
}

export function keptForAgeKeys(report: Report): Set<string> {
  return new Set([
    ...report.manifests.keptForAge.map((m) => identity('manifests', m)),
    ...report.blobs.keptForAge.map((b) => identity('blobs', b)),
    ...report.uploads.keptForAge.map((u) => identity('uploads', u)),
  ]);
}
