/**
 * applyPlan() never trusts the plan to decide what is garbage. It runs a
 * fresh dry run with the plan's options (a fresh mark of the tree as it is
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
import { chooseStorage, type FileSystem } from '../storage/file-system.js';
import type { Storage } from '../storage/storage.js';
import { collectGarbage } from '../collect/collect-garbage.js';
import { RegistryLayout } from '../registry/layout.js';
import type { CollectOptions, ProgressEvent } from '../collect/options.js';
import { invalidPlan, parsePlan } from './file.js';
import { decidingOptionsOf } from './options.js';
import { itemsOf, keysOf } from './fingerprint.js';
import { candidateIdentity, CATEGORIES, identity, KINDS } from '../report/kinds.js';
import { deletedKeys, exists, itemsOfReport, keptForAgeKeys, totalsOf } from './items.js';
import type { PlanCategory, PlanItems, PlannedItem, PlannedManifest, PlanOptions } from './types.js';
import { deletedBytes } from '../report/queries.js';
import type { Report } from '../report/report.js';

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
  /** As CollectOptions.trash, for the run that deletes. @default "purge" */
  trash?: 'purge' | 'keep' | 'off';
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

export interface SkippedItem {
  readonly category: PlanCategory;
  readonly item: PlannedItem;
  readonly reason: SkipReason;
  readonly message: string;
}

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
  /** What the fresh run would delete but the plan does not list: left alone (make a new plan to review it). */
  readonly notInPlan: PlanItems;
  /** The report of the run that deleted (warnings, errors, timings). */
  readonly report: Report;
}

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

/** Applies a plan: see the module comment. Throws like collectGarbage (fail closed), or E_INVALID_PLAN. */
export async function applyPlan(planInput: unknown, options: ApplyOptions = {}): Promise<ApplyReport> {
  const plan = parsePlan(planInput);
  if (options.root !== undefined && !sameFolder(plan.root, options.root)) {
    throw invalidPlan(`this plan is for ${plan.root}, not for ${path.resolve(options.root)}: make a plan of this registry first`);
  }
  const storage = chooseStorage(options.storage, options.fileSystem);
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
  const layout = new RegistryLayout(plan.root);

  // 1. A fresh mark of the tree as it is now: what would a run delete?
  const fresh = await collectGarbage(plan.root, { ...base, dryRun: true });
  const freshItems = await itemsOfReport(fresh, layout, plan.options.pruneLayerLinks, storage);
  const freshKeys = keysOf(freshItems);
  const planned = keysOf(plan.items);
  const approved = new Set([...planned].filter((key) => freshKeys.has(key)));

  // 2. The run that deletes: only approved candidates may go; the rest stay, with what they need.
  const allow: AllowDeletion = (candidate) => approved.has(candidateIdentity(candidate));
  const report = await collectGarbage(plan.root, { ...base, dryRun: options.dryRun ?? false, allow });

  const done = deletedKeys(report);
  const young = new Set([...keptForAgeKeys(fresh), ...keptForAgeKeys(report)]);
  const deleted = Object.fromEntries(CATEGORIES.map((c) => [c, [] as PlannedItem[]])) as { [C in PlanCategory]: PlannedItem[] };
  const skipped: SkippedItem[] = [];
  for (const [category, item] of itemsOf(plan.items)) {
    const key = identity(category, item);
    if (done.has(key)) {
      deleted[category].push(item);
      continue;
    }
    const skip = (reason: SkipReason, message: string) => skipped.push({ category, item, reason, message });
    const { dir, marker } = KINDS[category].where(layout, item);
    if (young.has(key)) {
      skip('kept-for-age', 'younger than minAge now');
    } else if (approved.has(key)) {
      const failure = problemsAbout(layout, category, item, dir, report.errors)[0];
      if (failure) skip('failed', failure.message);
      else skip('needed-by-kept-item', KINDS[category].neededBecause);
    } else if (!(await exists(storage, marker))) {
      skip('gone', category === 'manifests' ? 'no longer a revision of the repository (deleted meanwhile)' : 'already gone');
    } else {
      const warning = problemsAbout(layout, category, item, dir, fresh.warnings)[0];
      if (category === 'uploads' || (warning && category !== 'repositories')) skip('changed', warning?.message ?? KINDS.uploads.keptBecause);
      else if (category === 'repositories') skip('no-longer-empty', KINDS.repositories.keptBecause);
      else skip('no-longer-unreferenced', KINDS[category].keptBecause);
    }
  }
  const notInPlan = Object.fromEntries(
    CATEGORIES.map((c) => [c, (freshItems[c] as readonly PlannedItem[]).filter((item) => !planned.has(identity(c, item)))]),
  ) as unknown as PlanItems;

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
    deleted: deleted as unknown as PlanItems,
    deletedBytes: deletedBytes(report),
    skipped,
    notInPlan,
    report,
  };
}
