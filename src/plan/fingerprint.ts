/**
 * The identity and fingerprint of plan items. An item's identity names the
 * object on disk (two items with the same identity are the same object), so
 * a plan, a fresh run and the collector's candidates can be compared. The
 * fingerprint records per category the count and a sha256 over the sorted
 * canonical lines of its items, and one sha256 over all of it: a checksum
 * against a damaged or edited file, not a signature.
 */
import { createHash } from 'node:crypto';
import type { DeletionCandidate } from '../report/candidate.js';
import { PLAN_CATEGORIES, type CategoryFingerprint, type Plan, type PlanCategory, type PlanItems, type PlannedItem } from './types.js';
import { compareStrings } from '../report/report.js';

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
export function identity(category: PlanCategory, i: Fieldset): string {
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

export function fingerprintCategories(items: PlanItems): Plan['fingerprint']['categories'] {
  return {
    manifests: categoryFingerprint('manifests', items.manifests),
    blobs: categoryFingerprint('blobs', items.blobs),
    layerLinks: categoryFingerprint('layerLinks', items.layerLinks),
    tagHistory: categoryFingerprint('tagHistory', items.tagHistory),
    uploads: categoryFingerprint('uploads', items.uploads),
    repositories: categoryFingerprint('repositories', items.repositories),
  };
}

export function planSha256(plan: Omit<Plan, 'fingerprint' | 'items' | 'warnings' | 'totals'>, categories: Plan['fingerprint']['categories']): string {
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

export function itemsOf(items: PlanItems): Array<[PlanCategory, PlannedItem]> {
  return PLAN_CATEGORIES.flatMap((category) => items[category].map((item): [PlanCategory, PlannedItem] => [category, item]));
}

export function keysOf(items: PlanItems): Set<string> {
  return new Set(itemsOf(items).map(([category, item]) => identity(category, item)));
}
