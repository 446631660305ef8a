/**
 * applyPlan() never trusts the plan to decide what is garbage.
 *
 * Incremental (the default, docs/recheck.md): it compares the versions the
 * plan recorded with the tree now (recheck.ts), scans and marks again only
 * the repositories a write changed, and deletes the planned items that are
 * still garbage (planned-decision.ts), under the lock, through the same
 * sweep as a run. The window the registry is stopped for is then the
 * re-check and the moves, not a scan.
 *
 * Full (`recheck: "full"`, and for plans without a trusted observation or a
 * storage without versions): it runs a fresh dry run with the plan's options (a fresh mark of the tree as it is
 * now), approves the items that the plan lists AND the fresh run would
 * delete, and then runs the collector for real with `allow` = the approved
 * items. That run marks again and keeps the spec's order (§4); a candidate
 * it is not allowed to delete stays, and so does what it needs (an untagged
 * manifest that is not approved is a root during marking, so its blobs stay
 * marked; a repository that keeps a manifest is not empty). New garbage,
 * that appeared after the plan, is reported and left alone. Every planned
 * item that was not deleted is reported with the reason why.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { AllowDeletion } from '../report/candidate.js';
import type { Problem } from '../report/errors.js';
import { chooseStorage } from '../storage/file-system.js';
import type { Storage } from '../storage/storage.js';
import { collectGarbage } from '../collect/collect-garbage.js';
import { normalizeOptions, openS3Storage, refuseUnknownKeys } from '../collect/options.js';
import { failOnProblems, runWith, sweepDecision } from '../collect/run.js';
import { decidePlanned, type Spared } from './planned-decision.js';
import { findChanges, trustedObservation, writtenSince } from './recheck.js';
import { gateTags } from './planned-tags.js';
import { inspectEarly, type InspectData } from './early-inspection.js';
import { RegistryLayout } from '../registry/layout.js';
import type { CollectOptions } from '../collect/options.js';
import { invalidPlan, parsePlan } from './file.js';
import { decidingOptionsOf } from './options.js';
import { itemsOf, keysOf } from './fingerprint.js';
import { CATEGORY_OF_CANDIDATE, candidateIdentity, CATEGORIES, identity, KINDS } from '../report/kinds.js';
import { IdentityMap, IdentitySet } from '../report/identity-set.js';
import { deletedItems, itemsOfReport, keptForAgeOf, totalsOf } from './items.js';
import { exists } from '../storage/exists.js';
import type { Plan, PlanCategory, PlanItems, PlannedItem, PlannedManifest, PlanObservation } from './types.js';
import type { ApplyOptions, ApplyReport, RecheckSummary, SkippedItem, SkipReason } from './apply-types.js';
import { deletedBytes } from '../report/queries.js';
import type { Report } from '../report/report.js';

export type { ApplyOptions, ApplyReport, RecheckSummary, SkippedItem, SkipReason } from './apply-types.js';

function sameFolder(a: string, b: string): boolean {
  if (path.resolve(a) === path.resolve(b)) return true;
  try {
    return fs.realpathSync(a) === fs.realpathSync(b);
  } catch {
    return false;
  }
}

/** Problems about an item: below its folder, or (a manifest) one of its tag-history entries. */
function problemsAbout(layout: RegistryLayout, category: PlanCategory, item: PlannedItem, dir: string, problems: readonly Problem[]): Problem[] {
  const rel = layout.relative(dir);
  const under = (p: Problem) => p.path === rel || p.path.startsWith(`${rel}/`);
  if (category !== 'manifests') return problems.filter(under);
  const m = item as PlannedManifest;
  const tags = `${layout.relative(layout.tagsDir(m.repository))}/`;
  const entry = layout.tagHistoryEntrySuffix(m.digest);
  return problems.filter((p) => under(p) || (p.path.startsWith(tags) && p.path.includes(entry)));
}

const APPLY_KEYS: ReadonlyArray<keyof ApplyOptions> = ['dryRun', 'root', 'concurrency', 'signal', 'onProgress', 'strict', 'now', 'fileSystem', 'storage', 's3', 'trash', 'recheck'];

/** Applies a plan: see the module comment. Throws like collectGarbage (fail closed), or E_INVALID_PLAN. */
export async function applyPlan(planInput: unknown, options?: ApplyOptions): Promise<ApplyReport>;
/**
 * The same, in the order of collectGarbage: the root first, then the plan
 * (which must be for that root), then the options.
 */
export async function applyPlan(root: string, planInput: unknown, options?: Omit<ApplyOptions, 'root'>): Promise<ApplyReport>;
export async function applyPlan(first: unknown, second?: unknown, third?: Omit<ApplyOptions, 'root'>): Promise<ApplyReport> {
  const [planInput, options] = typeof first === 'string' ? [second, { ...third, root: first }] : [first, (second ?? {}) as ApplyOptions];
  refuseUnknownKeys(options, APPLY_KEYS, 'applyPlan');
  const plan = parsePlan(planInput);
  if (options.root !== undefined && !sameFolder(plan.root, options.root)) {
    throw invalidPlan(`this plan is for ${plan.root}, not for ${path.resolve(options.root)}: make a plan of this registry first`);
  }
  const storage = storageOfPlan(plan, options);
  const base: CollectOptions = {
    // Exactly the options the plan was made with (plan/options.ts), and nothing else it may hold.
    ...decidingOptionsOf(plan.options),
    concurrency: options.concurrency,
    signal: options.signal,
    onProgress: options.onProgress,
    strict: options.strict,
    now: options.now ?? new Date(),
    storage,
    trash: options.trash,
  };
  const observed = trustedObservation(plan);
  const dryRun = options.dryRun ?? false;
  if (options.recheck === 'full') return applyFull(plan, observed, base, storage, { mode: 'full', rescanned: [] }, dryRun);
  if (observed === undefined || storage.versions === undefined) {
    const why = observed === undefined ? 'the plan records no (or a damaged) observation of the tree' : 'this storage gives no entry versions';
    return applyFull(plan, observed, base, storage, { mode: 'full', why, rescanned: [] }, dryRun);
  }
  return applyIncremental(plan, observed, base, dryRun);
}

/** The storage to apply `plan` through: its bucket when it was made on S3 (only with that bucket's settings), else as collectGarbage's. */
function storageOfPlan(plan: Plan, options: ApplyOptions): Storage {
  const bucket = plan.storage?.bucket;
  if (options.s3 === undefined) {
    if (bucket !== undefined) throw invalidPlan(`this plan is for the S3 bucket ${bucket}: apply it with that registry's config (registry-gc apply PLAN CONFIG)`);
    return chooseStorage(options.storage, options.fileSystem);
  }
  if (bucket !== options.s3.bucket) throw invalidPlan(`this plan is for ${bucket === undefined ? plan.root : `the S3 bucket ${bucket}`}, not for the S3 bucket ${options.s3.bucket}: make a plan of this registry first`);
  return openS3Storage(options.s3, options.trash);
}

/** The planned items as a report's lists, and the skips, from what was done and why the rest was not. */
async function outcomeOf(
  plan: Plan,
  report: Report,
  why: (category: PlanCategory, item: PlannedItem, layout: RegistryLayout) => Promise<[SkipReason, string]>,
): Promise<{ deleted: PlanItems; skipped: SkippedItem[] }> {
  const layout = new RegistryLayout(plan.root);
  const done = deletedItems(report);
  const deleted = Object.fromEntries(CATEGORIES.map((c) => [c, [] as PlannedItem[]])) as { [C in PlanCategory]: PlannedItem[] };
  const skipped: SkippedItem[] = [];
  for (const [category, item] of itemsOf(plan.items)) {
    if (done.has(category, item)) deleted[category].push(item);
    else {
      const [reason, message] = await why(category, item, layout);
      skipped.push({ category, item, reason, message });
    }
  }
  return { deleted: deleted as unknown as PlanItems, skipped };
}

function applyReportOf(plan: Plan, report: Report, outcome: { deleted: PlanItems; skipped: SkippedItem[] }, notInPlan: PlanItems, recheck: RecheckSummary): ApplyReport {
  return {
    dryRun: report.dryRun,
    root: report.root,
    plan: {
      createdAt: plan.createdAt,
      sha256: plan.fingerprint.sha256,
      registryGcVersion: plan.registryGcVersion,
      options: plan.options,
      ...totalsOf(plan.items),
    },
    deleted: outcome.deleted,
    deletedBytes: deletedBytes(report),
    skipped: outcome.skipped,
    notInPlan,
    report,
    recheck,
  };
}

const noItems = (): PlanItems => Object.fromEntries(CATEGORIES.map((c) => [c, []])) as unknown as PlanItems;

/** The incremental re-check (see the module comment). */
async function applyIncremental(plan: Plan, observed: PlanObservation, base: CollectOptions, dryRun: boolean): Promise<ApplyReport> {
  let spared = new IdentityMap<Spared>();
  let approved = new IdentitySet();
  let rescanned: string[] = [];
  // The gate is read only once the re-check has filled it, inside the same run.
  const allow: AllowDeletion = (candidate) => approved.has(CATEGORY_OF_CANDIDATE[candidate.kind], candidate);
  const opts = normalizeOptions({ ...base, dryRun, allow });
  const report = await runWith(plan.root, opts, async (ctx) => {
    // Under the lock, before the versions: the planned blobs' data is inspected on another thread meanwhile.
    let inspectData: InspectData | undefined = inspectEarly(ctx.opts.storage, ctx.layout, plan.items.blobs.map((b) => b.digest));
    const changes = await ctx.clock.time('recheck', () => findChanges(ctx, plan, observed));
    rescanned = [...changes.changed].sort();
    const planned = await ctx.clock.time('scan', () => decidePlanned(ctx, plan, observed, changes, inspectData));
    inspectData = undefined; // its answers are not held through the moves
    ({ spared, approved } = planned);
    failOnProblems(ctx.findings, 'the re-check could not be sure which planned items are still garbage');
    for (const dir of await writtenSince(ctx, changes)) ctx.findings.warn('registry_active', dir, 'written while apply was re-checking: is the registry still running?');
    return sweepDecision(ctx, planned.decision);
  });
  const young = keptForAgeOf(report);
  const outcome = await outcomeOf(plan, report, async (category, item, layout) => {
    const why = spared.get(category, item);
    if (why !== undefined) return [why.reason, why.message];
    if (young.has(category, item)) return ['kept-for-age', 'younger than minAge now'];
    const { dir } = KINDS[category].where(layout, item);
    const failure = problemsAbout(layout, category, item, dir, report.errors)[0];
    if (failure) return ['failed', failure.message];
    const warning = problemsAbout(layout, category, item, dir, report.warnings)[0];
    if (category === 'uploads' || warning) return ['changed', warning?.message ?? KINDS.uploads.keptBecause];
    return ['needed-by-kept-item', KINDS[category].neededBecause];
  });
  return applyReportOf(plan, report, outcome, noItems(), { mode: 'incremental', rescanned });
}

/** The full re-check: a fresh dry run of the whole tree, then the run that deletes. */
async function applyFull(plan: Plan, observed: PlanObservation | undefined, base: CollectOptions, storage: Storage, recheck: RecheckSummary, dryRun: boolean): Promise<ApplyReport> {
  const layout = new RegistryLayout(plan.root);
  const tagGate = await gateTags(plan, observed, storage, layout);

  // 1. A fresh mark of the tree as it is now: what would a run delete?
  const fresh = await collectGarbage(plan.root, { ...base, dryRun: true });
  const freshItems = await itemsOfReport(fresh, layout, plan.options.pruneLayerLinks, storage);
  const freshKeys = keysOf(freshItems);
  const planned = keysOf(plan.items);
  // A planned tag pushed again since the plan stays, whatever the fresh run would do with it.
  const approved = new Set([...planned].filter((key) => freshKeys.has(key) && !tagGate.has(key)));

  // 2. The run that deletes: only approved candidates may go; the rest stay, with what they need.
  const allow: AllowDeletion = (candidate) => approved.has(candidateIdentity(candidate));
  const report = await collectGarbage(plan.root, { ...base, dryRun, allow });

  const young = keptForAgeOf(fresh, report);
  const outcome = await outcomeOf(plan, report, async (category, item) => {
    const { dir, marker } = KINDS[category].where(layout, item);
    const key = identity(category, item);
    const moved = tagGate.get(key);
    if (moved !== undefined) return [moved.reason, moved.message];
    if (young.has(category, item)) return ['kept-for-age', 'younger than minAge now'];
    if (approved.has(key)) {
      const failure = problemsAbout(layout, category, item, dir, report.errors)[0];
      return failure ? ['failed', failure.message] : ['needed-by-kept-item', KINDS[category].neededBecause];
    }
    if (!(await exists(storage, marker))) {
      return ['gone', category === 'manifests' ? 'no longer a revision of the repository (deleted meanwhile)' : 'already gone'];
    }
    const warning = problemsAbout(layout, category, item, dir, fresh.warnings)[0];
    if (category === 'uploads' || (warning && category !== 'repositories')) return ['changed', warning?.message ?? KINDS.uploads.keptBecause];
    if (category === 'repositories') return ['no-longer-empty', KINDS.repositories.keptBecause];
    return ['no-longer-unreferenced', KINDS[category].keptBecause];
  });
  const notInPlan = Object.fromEntries(
    CATEGORIES.map((c) => [c, (freshItems[c] as readonly PlannedItem[]).filter((item) => !planned.has(identity(c, item)))]),
  ) as unknown as PlanItems;
  return applyReportOf(plan, report, outcome, notInPlan, recheck);
}
