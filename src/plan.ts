/**
 * Plan and apply (issue 7): review what a run will delete before it does.
 *
 * makePlan() is a dry run that records every deletion with its reason and
 * size, the options that decided them, and a fingerprint: per category the
 * count and a sha256 over the sorted items, and one sha256 over all of it
 * (a checksum against a damaged or edited file, not a signature).
 *
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
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { AllowDeletion, DeletionCandidate } from './candidate.js';
import { isDigest, splitDigest, type Digest } from './digest.js';
import { RegistryGcError, errorCode, type Problem } from './errors.js';
import { nodeFileSystem, type FileSystem } from './file-system.js';
import { collectGarbage } from './gc.js';
import { RegistryLayout } from './layout.js';
import { isRepositoryName } from './names.js';
import { normalizeOptions, type CollectOptions, type ProgressEvent } from './options.js';
import { compareStrings, type Report, type Warning } from './report.js';
import { packageVersion } from './usage.js';

export const PLAN_FORMAT = 'registry-gc-plan';
export const PLAN_FORMAT_VERSION = 1;

/** The categories of a plan, in the order a run deletes them (spec §4). */
export const PLAN_CATEGORIES = ['manifests', 'blobs', 'layerLinks', 'tagHistory', 'uploads', 'repositories'] as const;
export type PlanCategory = (typeof PLAN_CATEGORIES)[number];

/** An untagged revision (`deleteUntagged`); its tag-history entries go with it. */
export interface PlannedManifest {
  readonly repository: string;
  readonly digest: Digest;
  readonly reason: 'untagged';
}

export interface PlannedBlob {
  readonly digest: Digest;
  readonly size: number;
  readonly reason: 'unreferenced';
}

/**
 * `blob-deleted`: its blob goes in the same plan; `blob-missing`: its blob
 * was already gone; `unreferenced-in-repository`: no kept manifest of the
 * repository references it (pruneLayerLinks).
 */
export type LayerLinkReason = 'blob-deleted' | 'blob-missing' | 'unreferenced-in-repository';

export interface PlannedLayerLink {
  readonly repository: string;
  readonly digest: Digest;
  readonly reason: LayerLinkReason;
}

export interface PlannedTagHistoryEntry {
  readonly repository: string;
  readonly tag: string;
  readonly digest: Digest;
  readonly reason: 'not-a-revision';
}

export interface PlannedUpload {
  readonly repository: string;
  readonly id: string;
  readonly size: number;
  /** The upload's `startedat`: apply deletes this upload only while it still says this. */
  readonly startedAt: string;
  readonly reason: 'stale';
}

export interface PlannedRepository {
  readonly repository: string;
  readonly reason: 'empty';
}

export interface PlanItems {
  readonly manifests: readonly PlannedManifest[];
  readonly blobs: readonly PlannedBlob[];
  readonly layerLinks: readonly PlannedLayerLink[];
  readonly tagHistory: readonly PlannedTagHistoryEntry[];
  readonly uploads: readonly PlannedUpload[];
  readonly repositories: readonly PlannedRepository[];
}

export type PlannedItem = PlanItems[PlanCategory][number];

/** The options that decide what is deleted; apply runs with exactly these. */
export interface PlanOptions {
  readonly deleteUntagged: boolean;
  readonly pruneLayerLinks: boolean;
  readonly removeEmptyRepositories: boolean;
  readonly keepUploads: boolean;
  /** Milliseconds. */
  readonly uploadAge: number;
  /** Milliseconds. */
  readonly minAge: number;
  readonly maxManifestBytes: number;
}

export interface CategoryFingerprint {
  readonly count: number;
  /** Hex sha256 over the category's items, one canonical line each, sorted. */
  readonly sha256: string;
}

export interface Plan {
  readonly format: typeof PLAN_FORMAT;
  readonly formatVersion: typeof PLAN_FORMAT_VERSION;
  readonly registryGcVersion: string;
  /** When the dry run looked (ISO 8601); uploads were aged against this time. */
  readonly createdAt: string;
  /** The absolute registry root. */
  readonly root: string;
  readonly options: PlanOptions;
  /** What the dry run looked at. */
  readonly scanned: {
    readonly repositories: number;
    readonly tags: number;
    readonly manifests: number;
    readonly blobs: number;
    readonly markedDigests: number;
  };
  readonly totals: { readonly items: number; readonly bytes: number };
  readonly fingerprint: {
    readonly categories: { readonly [C in PlanCategory]: CategoryFingerprint };
    /** Hex sha256 over the format, version, time, root, options, scanned counts and every category's fingerprint. */
    readonly sha256: string;
  };
  readonly items: PlanItems;
  /** The dry run's warnings, for the reviewer (not part of the fingerprint). */
  readonly warnings: readonly Warning[];
}

/** The options of a plan's dry run: those of a run, without dryRun and allow. */
export type MakePlanOptions = Omit<CollectOptions, 'dryRun' | 'allow'>;

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

// Keys and fingerprints -----------------------------------------------------------

const CATEGORY_OF_KIND: { readonly [K in DeletionCandidate['kind']]: PlanCategory } = {
  manifest: 'manifests',
  blob: 'blobs',
  'layer-link': 'layerLinks',
  'tag-history': 'tagHistory',
  upload: 'uploads',
  repository: 'repositories',
};

/** The fields of any item, candidate or report entry, for keys and fingerprint lines. */
interface Fieldset {
  readonly repository?: string;
  readonly digest?: string;
  readonly tag?: string;
  readonly id?: string;
  readonly startedAt?: string;
  readonly size?: number;
  readonly reason?: string;
}

/** What names an item: two items with the same identity are the same object on disk. */
function identity(category: PlanCategory, i: Fieldset): string {
  switch (category) {
    case 'manifests':
    case 'layerLinks':
      return JSON.stringify([category, i.repository, i.digest]);
    case 'blobs':
      return JSON.stringify([category, i.digest]);
    case 'tagHistory':
      return JSON.stringify([category, i.repository, i.tag, i.digest]);
    case 'uploads':
      return JSON.stringify([category, i.repository, i.id, i.startedAt]);
    case 'repositories':
      return JSON.stringify([category, i.repository]);
  }
}

export function candidateKey(candidate: DeletionCandidate): string {
  return identity(CATEGORY_OF_KIND[candidate.kind], candidate);
}

/** The canonical line of an item in the fingerprint: every field, in a fixed order. */
function fingerprintLine(category: PlanCategory, i: Fieldset): string {
  switch (category) {
    case 'manifests':
    case 'layerLinks':
      return JSON.stringify([i.repository, i.digest, i.reason]);
    case 'blobs':
      return JSON.stringify([i.digest, i.size, i.reason]);
    case 'tagHistory':
      return JSON.stringify([i.repository, i.tag, i.digest, i.reason]);
    case 'uploads':
      return JSON.stringify([i.repository, i.id, i.startedAt, i.size, i.reason]);
    case 'repositories':
      return JSON.stringify([i.repository, i.reason]);
  }
}

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

function categoryFingerprint(category: PlanCategory, items: readonly PlannedItem[]): CategoryFingerprint {
  const lines = items.map((item) => fingerprintLine(category, item)).sort(compareStrings);
  return { count: items.length, sha256: sha256(lines.join('\n')) };
}

function planSha256(plan: Omit<Plan, 'fingerprint' | 'items' | 'warnings' | 'totals'>, categories: Plan['fingerprint']['categories']): string {
  const o = plan.options;
  const s = plan.scanned;
  return sha256(
    JSON.stringify([
      plan.format,
      plan.formatVersion,
      plan.registryGcVersion,
      plan.createdAt,
      plan.root,
      [o.deleteUntagged, o.pruneLayerLinks, o.removeEmptyRepositories, o.keepUploads, o.uploadAge, o.minAge, o.maxManifestBytes],
      [s.repositories, s.tags, s.manifests, s.blobs, s.markedDigests],
      PLAN_CATEGORIES.map((c) => [c, categories[c].count, categories[c].sha256]),
    ]),
  );
}

function itemsOf(items: PlanItems): Array<[PlanCategory, PlannedItem]> {
  return PLAN_CATEGORIES.flatMap((category) => items[category].map((item): [PlanCategory, PlannedItem] => [category, item]));
}

function keysOf(items: PlanItems): Set<string> {
  return new Set(itemsOf(items).map(([category, item]) => identity(category, item)));
}

function totalsOf(items: PlanItems): { items: number; bytes: number } {
  const sum = (list: readonly { size: number }[]) => list.reduce((n, x) => n + x.size, 0);
  return { items: itemsOf(items).length, bytes: sum(items.blobs) + sum(items.uploads) };
}

// From a report ---------------------------------------------------------------------

function exists(fileSystem: FileSystem, target: string): boolean {
  try {
    fileSystem.entry(target);
    return true;
  } catch (error) {
    const code = errorCode(error);
    return code !== 'ENOENT' && code !== 'ENOTDIR';
  }
}

/** The deletions of a dry run as plan items, each with its reason. */
function itemsOfReport(report: Report, layout: RegistryLayout, pruneLayerLinks: boolean, fileSystem: FileSystem): PlanItems {
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
function deletedKeys(report: Report): Set<string> {
  const keys = new Set<string>();
  for (const m of report.manifests.deleted) keys.add(identity('manifests', m));
  for (const b of report.blobs.deleted) keys.add(identity('blobs', b));
  for (const l of report.layerLinks.deleted) keys.add(identity('layerLinks', l));
  for (const t of report.tagHistory.deleted) keys.add(identity('tagHistory', t));
  for (const u of report.uploads.deleted) keys.add(identity('uploads', u));
  for (const r of report.repositories.deleted) keys.add(identity('repositories', r));
  return keys;
}

function keptForAgeKeys(report: Report): Set<string> {
  return new Set([
    ...report.manifests.keptForAge.map((m) => identity('manifests', m)),
    ...report.blobs.keptForAge.map((b) => identity('blobs', b)),
    ...report.uploads.keptForAge.map((u) => identity('uploads', u)),
  ]);
}

// makePlan --------------------------------------------------------------------------

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

function fingerprintCategories(items: PlanItems): Plan['fingerprint']['categories'] {
  return {
    manifests: categoryFingerprint('manifests', items.manifests),
    blobs: categoryFingerprint('blobs', items.blobs),
    layerLinks: categoryFingerprint('layerLinks', items.layerLinks),
    tagHistory: categoryFingerprint('tagHistory', items.tagHistory),
    uploads: categoryFingerprint('uploads', items.uploads),
    repositories: categoryFingerprint('repositories', items.repositories),
  };
}

// parsePlan -------------------------------------------------------------------------

function invalidPlan(message: string, problems: Problem[] = []): RegistryGcError {
  return new RegistryGcError('E_INVALID_PLAN', message, problems);
}

type Fields = Readonly<Record<string, unknown>>;

function isObject(value: unknown): value is Fields {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const isCount = (value: unknown): value is number => typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
const isPlainComponent = (value: unknown): value is string =>
  typeof value === 'string' && value !== '' && value !== '.' && value !== '..' && !/[/\\\0]/.test(value);

/** Field checks of each category's items; reasons are checked against the allowed ones. */
const ITEM_FIELDS: { readonly [C in PlanCategory]: Readonly<Record<string, (value: unknown) => boolean>> } = {
  manifests: { repository: isRepositoryNameValue, digest: isDigest, reason: (v) => v === 'untagged' },
  blobs: { digest: isDigest, size: isCount, reason: (v) => v === 'unreferenced' },
  layerLinks: { repository: isRepositoryNameValue, digest: isDigest, reason: (v) => v === 'blob-deleted' || v === 'blob-missing' || v === 'unreferenced-in-repository' },
  tagHistory: { repository: isRepositoryNameValue, tag: isPlainComponent, digest: isDigest, reason: (v) => v === 'not-a-revision' },
  uploads: { repository: isRepositoryNameValue, id: isPlainComponent, size: isCount, startedAt: (v) => typeof v === 'string', reason: (v) => v === 'stale' },
  repositories: { repository: isRepositoryNameValue, reason: (v) => v === 'empty' },
};

function isRepositoryNameValue(value: unknown): boolean {
  return typeof value === 'string' && isRepositoryName(value);
}

function checkItems(value: unknown): PlanItems {
  if (!isObject(value)) throw invalidPlan('the plan has no items object');
  const problems: Problem[] = [];
  for (const category of PLAN_CATEGORIES) {
    const list = value[category];
    if (!Array.isArray(list)) {
      problems.push({ code: 'plan_invalid', path: `items.${category}`, message: 'not a list' });
      continue;
    }
    list.forEach((item: unknown, index) => {
      const where = `items.${category}[${index}]`;
      if (!isObject(item)) {
        problems.push({ code: 'plan_invalid', path: where, message: 'not an object' });
        return;
      }
      for (const [field, valid] of Object.entries(ITEM_FIELDS[category])) {
        if (!valid(item[field])) problems.push({ code: 'plan_invalid', path: `${where}.${field}`, message: `invalid value ${JSON.stringify(item[field])?.slice(0, 80)}` });
      }
    });
  }
  if (problems.length > 0) throw invalidPlan(`the plan's items are not valid (${problems.length} problems)`, problems.slice(0, 100));
  return value as unknown as PlanItems;
}

/**
 * Checks that `value` is a plan this version can apply, unchanged since it
 * was written (its fingerprint matches its content). Throws E_INVALID_PLAN.
 */
export function parsePlan(value: unknown): Plan {
  if (!isObject(value) || value['format'] !== PLAN_FORMAT) throw invalidPlan(`not a registry-gc plan (no "format": "${PLAN_FORMAT}")`);
  if (value['formatVersion'] !== PLAN_FORMAT_VERSION) {
    throw invalidPlan(`plan format version ${JSON.stringify(value['formatVersion'])} is not supported (this registry-gc reads version ${PLAN_FORMAT_VERSION})`);
  }
  const { root, createdAt, registryGcVersion, options, scanned, fingerprint } = value as Record<string, unknown>;
  if (typeof root !== 'string' || !path.isAbsolute(root)) throw invalidPlan('the plan names no absolute root');
  if (typeof createdAt !== 'string' || Number.isNaN(Date.parse(createdAt))) throw invalidPlan('the plan has no valid createdAt');
  if (typeof registryGcVersion !== 'string') throw invalidPlan('the plan has no registryGcVersion');
  const booleans = ['deleteUntagged', 'pruneLayerLinks', 'removeEmptyRepositories', 'keepUploads'];
  if (!isObject(options) || !booleans.every((k) => typeof options[k] === 'boolean') || !['uploadAge', 'minAge'].every((k) => isCount(options[k]))) {
    throw invalidPlan('the plan\'s options are not valid');
  }
  if (!isCount(options['maxManifestBytes']) || options['maxManifestBytes'] < 1) throw invalidPlan('the plan\'s options are not valid (maxManifestBytes)');
  if (!isObject(scanned) || !['repositories', 'tags', 'manifests', 'blobs', 'markedDigests'].every((k) => isCount(scanned[k]))) {
    throw invalidPlan('the plan\'s scanned counts are not valid');
  }
  const items = checkItems(value['items']);
  if (!isObject(fingerprint) || !isObject(fingerprint['categories']) || typeof fingerprint['sha256'] !== 'string') throw invalidPlan('the plan has no fingerprint');
  const plan = value as unknown as Plan;

  // The fingerprint must match the content: anything else is a damaged or edited file.
  const categories = fingerprintCategories(items);
  const mismatched = PLAN_CATEGORIES.filter((c) => {
    const recorded = (fingerprint['categories'] as Fields)[c];
    return !isObject(recorded) || recorded['count'] !== categories[c].count || recorded['sha256'] !== categories[c].sha256;
  });
  if (mismatched.length > 0) {
    throw invalidPlan(`the plan's items do not match its fingerprint (${mismatched.join(', ')}): the file was changed or damaged after it was written`);
  }
  if (planSha256(plan, categories) !== fingerprint['sha256']) {
    throw invalidPlan('the plan does not match its fingerprint: its root, time, options or counts were changed after it was written');
  }
  // A plan can only list what its own options produce.
  if (!plan.options.deleteUntagged && items.manifests.length > 0) throw invalidPlan('the plan lists manifests but was made without deleteUntagged');
  if (!plan.options.removeEmptyRepositories && items.repositories.length > 0) throw invalidPlan('the plan lists repositories but was made without removeEmptyRepositories');
  if (plan.options.keepUploads && items.uploads.length > 0) throw invalidPlan('the plan lists uploads but was made with keepUploads');
  return plan;
}

// applyPlan -------------------------------------------------------------------------

function sameFolder(a: string, b: string): boolean {
  if (path.resolve(a) === path.resolve(b)) return true;
  try {
    return fs.realpathSync(a) === fs.realpathSync(b);
  } catch {
    return false;
  }
}

/** Where each item lives, for "is it still there" and for matching problems to it. */
function locate(layout: RegistryLayout, category: PlanCategory, item: PlannedItem): { dir: string; marker: string } {
  const i = item as PlannedTagHistoryEntry & Omit<PlannedUpload, 'reason'>;
  switch (category) {
    case 'manifests':
      return { dir: layout.revisionDir(i.repository, i.digest), marker: layout.revisionLink(i.repository, i.digest) };
    case 'blobs':
      return { dir: layout.blobDir(i.digest), marker: layout.blobDir(i.digest) };
    case 'layerLinks':
      return { dir: layout.layerLinkDir(i.repository, i.digest), marker: layout.layerLinkDir(i.repository, i.digest) };
    case 'tagHistory':
      return { dir: layout.tagIndexEntryDir(i.repository, i.tag, i.digest), marker: layout.tagIndexEntryDir(i.repository, i.tag, i.digest) };
    case 'uploads':
      return { dir: layout.uploadDir(i.repository, i.id), marker: layout.uploadDir(i.repository, i.id) };
    case 'repositories':
      return { dir: layout.repositoryDir(i.repository), marker: layout.repositoryDir(i.repository) };
  }
}

/** Problems about an item: below its folder, or (a manifest) one of its tag-history entries. */
function problemsAbout(layout: RegistryLayout, category: PlanCategory, item: PlannedItem, dir: string, problems: readonly Problem[]): Problem[] {
  const rel = layout.relative(dir);
  const under = (p: Problem) => p.path === rel || p.path.startsWith(`${rel}/`);
  if (category !== 'manifests') return problems.filter(under);
  const m = item as PlannedManifest;
  const { algorithm, hex } = splitDigest(m.digest);
  const tags = `${layout.relative(layout.tagsDir(m.repository))}/`;
  return problems.filter((p) => under(p) || (p.path.startsWith(tags) && p.path.includes(`/index/${algorithm}/${hex}`)));
}

const KEPT_MESSAGE: { readonly [C in PlanCategory]: string } = {
  manifests: 'a tag, a kept index or a kept subject reaches it now',
  blobs: 'a kept manifest references it now',
  layerLinks: 'its blob stays now (or a kept manifest of the repository references it)',
  tagHistory: 'it names a revision of the repository now, or the tag points at it',
  uploads: 'its startedat is not what the plan saw (another upload under this id, or unreadable)',
  repositories: 'the repository holds a tag, a revision or an upload now',
};

const NEEDED_MESSAGE: { readonly [C in PlanCategory]: string } = {
  manifests: 'a manifest that stays (not in the plan, or skipped) names it as a child, or it is a referrer of one',
  blobs: 'a manifest that stays (not in the plan, or skipped) references it',
  layerLinks: 'its blob stays, because something that stays needs it',
  tagHistory: 'its manifest stays',
  uploads: 'the run kept it',
  repositories: 'something in it stays (not in the plan, or skipped)',
};

/** Applies a plan: see the module comment. Throws like collectGarbage (fail closed), or E_INVALID_PLAN. */
export async function applyPlan(planInput: unknown, options: ApplyOptions = {}): Promise<ApplyReport> {
  const plan = parsePlan(planInput);
  if (options.root !== undefined && !sameFolder(plan.root, options.root)) {
    throw invalidPlan(`this plan is for ${plan.root}, not for ${path.resolve(options.root)}: make a plan of this registry first`);
  }
  const fileSystem = options.fileSystem ?? nodeFileSystem;
  const base: CollectOptions = {
    deleteUntagged: plan.options.deleteUntagged,
    pruneLayerLinks: plan.options.pruneLayerLinks,
    removeEmptyRepositories: plan.options.removeEmptyRepositories,
    keepUploads: plan.options.keepUploads,
    uploadAge: plan.options.uploadAge,
    minAge: plan.options.minAge,
    maxManifestBytes: plan.options.maxManifestBytes,
    concurrency: options.concurrency,
    signal: options.signal,
    onProgress: options.onProgress,
    strict: options.strict,
    now: options.now ?? new Date(),
    fileSystem,
  };
  const layout = new RegistryLayout(plan.root);

  // 1. A fresh mark of the tree as it is now: what would a run delete?
  const fresh = await collectGarbage(plan.root, { ...base, dryRun: true });
  const freshItems = itemsOfReport(fresh, layout, plan.options.pruneLayerLinks, fileSystem);
  const freshKeys = keysOf(freshItems);
  const planned = keysOf(plan.items);
  const approved = new Set([...planned].filter((key) => freshKeys.has(key)));

  // 2. The run that deletes: only approved candidates may go; the rest stay, with what they need.
  const allow: AllowDeletion = (candidate) => approved.has(candidateKey(candidate));
  const report = await collectGarbage(plan.root, { ...base, dryRun: options.dryRun ?? false, allow });

  const done = deletedKeys(report);
  const young = new Set([...keptForAgeKeys(fresh), ...keptForAgeKeys(report)]);
  const deleted: { [C in PlanCategory]: PlannedItem[] } = { manifests: [], blobs: [], layerLinks: [], tagHistory: [], uploads: [], repositories: [] };
  const skipped: SkippedItem[] = [];
  for (const [category, item] of itemsOf(plan.items)) {
    const key = identity(category, item);
    if (done.has(key)) {
      deleted[category].push(item);
      continue;
    }
    const skip = (reason: SkipReason, message: string) => skipped.push({ category, item, reason, message });
    const { dir, marker } = locate(layout, category, item);
    if (young.has(key)) {
      skip('kept-for-age', 'younger than minAge now');
    } else if (approved.has(key)) {
      const failure = problemsAbout(layout, category, item, dir, report.errors)[0];
      if (failure) skip('failed', failure.message);
      else skip('needed-by-kept-item', NEEDED_MESSAGE[category]);
    } else if (!exists(fileSystem, marker)) {
      skip('gone', category === 'manifests' ? 'no longer a revision of the repository (deleted meanwhile)' : 'already gone');
    } else {
      const warning = problemsAbout(layout, category, item, dir, fresh.warnings)[0];
      if (category === 'uploads' || (warning && category !== 'repositories')) skip('changed', warning?.message ?? KEPT_MESSAGE.uploads);
      else if (category === 'repositories') skip('no-longer-empty', KEPT_MESSAGE.repositories);
      else skip('no-longer-unreferenced', KEPT_MESSAGE[category]);
    }
  }
  const notInPlan = Object.fromEntries(
    PLAN_CATEGORIES.map((c) => [c, (freshItems[c] as readonly PlannedItem[]).filter((item) => !planned.has(identity(c, item)))]),
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
    deletedBytes: report.blobs.deletedBytes + report.uploads.deletedBytes,
    skipped,
    notInPlan,
    report,
  };
}
