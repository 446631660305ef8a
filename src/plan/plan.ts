/**
 * Plan and apply (issue 7): review what a run will delete before it does.
 *
 * makePlan() is a dry run that records every deletion with its reason and
 * size, the options that decided them, and a fingerprint (plan-fingerprint.ts).
 * applyPlan() (plan-apply.ts) re-checks a plan against the tree as it is now
 * and deletes only what both agree on; parsePlan() (plan-file.ts) reads and
 * checks a plan file. The plan's shape is in plan-types.ts. This module is
 * where the rest of the code and the public API take all of it from.
 */
import { collectGarbage } from '../collect/collect-garbage.js';
import { RegistryLayout } from '../registry/layout.js';
import { normalizeOptions, type CollectOptions } from '../collect/options.js';
import { fingerprintCategories, planSha256 } from './fingerprint.js';
import { itemsOfReport, totalsOf } from './items.js';
import { PLAN_FORMAT, PLAN_FORMAT_VERSION, type Plan } from './types.js';
import { packageVersion } from '../commands/usage.js';

export * from './types.js';
export { applyPlan, type ApplyOptions, type ApplyReport, type SkippedItem, type SkipReason } from './apply.js';
export { parsePlan } from './file.js';
export { candidateKey } from './fingerprint.js';

/** The options of a plan's dry run: those of a run, without dryRun and allow. */
export type MakePlanOptions = Omit<CollectOptions, 'dryRun' | 'allow'>;

/** A dry run of `root` with `options`, as a plan to review and later apply. */
export async function makePlan(root: string, options: MakePlanOptions = {}): Promise<Plan> {
  const now = options.now ?? new Date();
  const run: CollectOptions = { ...options, now, dryRun: true, allow: undefined };
  const opts = normalizeOptions(run);
  const report = await collectGarbage(root, run);
  const layout = new RegistryLayout(report.root);
  const items = itemsOfReport(report, layout, opts.pruneLayerLinks, opts.fileSystem);
  const header = {
    format: PLAN_FORMAT,
    formatVersion: PLAN_FORMAT_VERSION,
    registryGcVersion: packageVersion(),
    createdAt: now.toISOString(),
    root: report.root,
    options: {
      deleteUntagged: opts.deleteUntagged,
      pruneLayerLinks: opts.pruneLayerLinks,
      removeEmptyRepositories: opts.removeEmptyRepositories,
      keepUploads: opts.keepUploads,
      uploadAge: opts.uploadAge,
      minAge: opts.minAge,
      maxManifestBytes: opts.maxManifestBytes,
    },
    scanned: {
      repositories: report.repositories.total,
      tags: report.tags.total,
      manifests: report.manifests.total,
      blobs: report.blobs.total,
      markedDigests: report.blobs.marked,
    },
  } as const;
  const categories = fingerprintCategories(items);
  return { ...header, totals: totalsOf(items), fingerprint: { categories, sha256: planSha256(header, categories) }, items, warnings: report.warnings };
}
