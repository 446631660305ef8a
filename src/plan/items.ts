/**
 * Plan items from a run's report: the deletions of a dry run as plan items,
 * each with its reason, and the identities of what a run deleted or kept for
 * age. makePlan builds a plan from a dry run and applyPlan compares a fresh
 * run with the plan, so both read reports the same way.
 */
import type { Digest } from '../registry/digest.js';
import type { RegistryLayout } from '../registry/layout.js';
import { CATEGORIES, KINDS, type Category, type ItemFields } from '../report/kinds.js';
import type { Report } from '../report/report.js';
import { IdentitySet } from '../report/identity-set.js';
import { exists } from '../storage/exists.js';
import type { Storage } from '../storage/storage.js';
import { ORPHANED_REFERRER } from '../retention/orphans.js';
import { itemsOf } from './fingerprint.js';
import type { LayerLinkReason, PlanItems } from './types.js';

/** A plan's totals: its items, and the bytes of the kinds that have a size. */
export function totalsOf(items: PlanItems): { items: number; bytes: number } {
  const bytes = CATEGORIES.filter((c) => KINDS[c].sized).reduce((n, c) => n + items[c].reduce((m, item) => m + ('size' in item ? item.size : 0), 0), 0);
  return { items: itemsOf(items).length, bytes };
}

/** The deletions of a dry run as plan items, each with its reason. */
export async function itemsOfReport(report: Report, layout: RegistryLayout, pruneLayerLinks: boolean, storage: Storage): Promise<PlanItems> {
  const deletedBlobs = new Set<string>(report.blobs.deleted.map((b) => b.digest));
  const linkReason = async (digest: Digest): Promise<LayerLinkReason> => {
    if (deletedBlobs.has(digest)) return 'blob-deleted';
    if (!pruneLayerLinks || !(await exists(storage, layout.blobDir(digest)))) return 'blob-missing';
    return 'unreferenced-in-repository';
  };
  const items = Object.fromEntries(CATEGORIES.map((c) => [c, [] as object[]])) as Record<Category, object[]>;
  for (const category of CATEGORIES) {
    for (const item of report[category].deleted) {
      // Every kind but layer links and tags has one reason: its kind's first.
      const reason =
        category === 'layerLinks'
          ? await linkReason((item as { digest: Digest }).digest)
          : category === 'tags' && (item as { rule: string }).rule === ORPHANED_REFERRER
            ? ORPHANED_REFERRER
            : KINDS[category].reasons[0];
      items[category].push({ ...item, reason });
    }
  }
  return items as unknown as PlanItems;
}

/** What a report deleted, by identity (reasons are not needed to compare). */
export function deletedItems(report: Report): IdentitySet {
  const deleted = new IdentitySet();
  for (const c of CATEGORIES) for (const item of report[c].deleted as readonly object[]) deleted.add(c, item);
  return deleted;
}

/** What the reports kept for age (the kinds that minAge keeps). */
export function keptForAgeOf(...reports: readonly Report[]): IdentitySet {
  const kept = new IdentitySet();
  for (const report of reports) {
    for (const c of CATEGORIES) for (const item of (report[c] as { keptForAge?: readonly ItemFields[] }).keptForAge ?? []) kept.add(c, item);
  }
  return kept;
}
