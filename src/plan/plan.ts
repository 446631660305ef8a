/**
 * Plan and apply: review what a run will delete before it does.
 *
 * makePlan() is a dry run that records every deletion with its reason and
 * size, the options that decided them (options.ts), and a fingerprint
 * (fingerprint.ts). applyPlan() (apply.ts) re-checks a plan against the tree
 * as it is now and deletes only what both agree on; parsePlan() (file.ts)
 * reads and checks a plan file. The plan's shape is in types.ts. This module
 * is where the rest of the code and the public API take all of it from.
 */
import { collectNormalized } from '../collect/collect-garbage.js';
import { normalizeOptions, type CollectOptions } from '../collect/options.js';
import { RegistryLayout } from '../registry/layout.js';
import { packageVersion } from '../version.js';
import { fingerprintCategories, planSha256 } from './fingerprint.js';
import { itemsOfReport, totalsOf } from './items.js';
import { decidingOptionsOf } from './options.js';
import { observe } from './observe.js';
import { PLAN_FORMAT, PLAN_FORMAT_VERSION, type Plan } from './types.js';

export * from './types.js';
export { applyPlan, type ApplyOptions, type ApplyReport, type RecheckSummary, type SkippedItem, type SkipReason } from './apply.js';
export { parsePlan } from './file.js';

/** The options of a plan's dry run: those of a run, without dryRun and allow. */
export type MakePlanOptions = Omit<CollectOptions, 'dryRun' | 'allow'>;

/** A dry run of `root` with `options`, as a plan to review and later apply. */
export async function makePlan(root: string, options: MakePlanOptions = {}): Promise<Plan> {
  const opts = normalizeOptions({ ...options, dryRun: true, allow: undefined });
  // The wall clock, not `now` (which a caller may set): file times are compared with it.
  const since = Date.now();
  const report = await collectNormalized(root, opts);
  const layout = new RegistryLayout(report.root);
  const items = await itemsOfReport(report, layout, opts.pruneLayerLinks, opts.storage);
  const observed = await observe(opts.storage, layout, items, since);
  const header = {
    format: PLAN_FORMAT,
    formatVersion: PLAN_FORMAT_VERSION,
    registryGcVersion: packageVersion(),
    createdAt: opts.now.toISOString(),
    root: report.root,
    options: decidingOptionsOf(opts),
    scanned: {
      repositories: report.repositories.total,
      tags: report.tags.total,
      manifests: report.manifests.total,
      blobs: report.blobs.total,
      markedDigests: report.blobs.marked,
    },
  } as const;
  const categories = fingerprintCategories(items);
  // Not fingerprinted (plans of disk registries stay as 0.1.0 wrote them): apply checks it against the storage it is given.
  const storage = options.s3 === undefined ? {} : { storage: { driver: 's3' as const, bucket: options.s3.bucket } };
  const plan = { ...header, ...storage, totals: totalsOf(items), fingerprint: { categories, sha256: planSha256(header, categories) }, items };
  return { ...plan, ...(observed === undefined ? {} : { observed }), warnings: report.warnings };
}
