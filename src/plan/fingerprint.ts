/**
 * The fingerprint of a plan: per category the count and a sha256 over the
 * sorted canonical lines of its items (each kind's fingerprint fields, in
 * order: report/kinds.ts), and one sha256 over all of it: a checksum
 * against a damaged or edited file, not a signature.
 */
import { createHash } from 'node:crypto';
import { CATEGORIES, identity, KINDS, type Category, type ItemFields } from '../report/kinds.js';
import { compareStrings } from '../report/order.js';
import { optionValues } from './options.js';
import type { CategoryFingerprint, Plan, PlanItems, PlannedItem } from './types.js';

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

/** The canonical line of an item in the fingerprint: its kind's fields, in a fixed order. */
function fingerprintLine(category: Category, item: ItemFields): string {
  return JSON.stringify(KINDS[category].fingerprint.map((field) => item[field]));
}

function categoryFingerprint(category: Category, items: readonly PlannedItem[]): CategoryFingerprint {
  const lines = items.map((item) => fingerprintLine(category, item)).sort(compareStrings);
  return { count: items.length, sha256: sha256(lines.join('\n')) };
}

export function fingerprintCategories(items: PlanItems): Plan['fingerprint']['categories'] {
  return Object.fromEntries(CATEGORIES.map((c) => [c, categoryFingerprint(c, items[c])])) as unknown as Plan['fingerprint']['categories'];
}

export function planSha256(plan: Omit<Plan, 'fingerprint' | 'items' | 'warnings' | 'totals'>, categories: Plan['fingerprint']['categories']): string {
  const s = plan.scanned;
  return sha256(
    JSON.stringify([
      plan.format,
      plan.formatVersion,
      plan.registryGcVersion,
      plan.createdAt,
      plan.root,
      optionValues(plan.options),
      [s.repositories, s.tags, s.manifests, s.blobs, s.markedDigests],
      // Tags only where there are some: a plan of 0.1.0 (which has none) keeps its fingerprint.
      CATEGORIES.filter((c) => c !== 'tags' || categories.tags.count > 0).map((c) => [c, categories[c].count, categories[c].sha256]),
    ]),
  );
}

export function itemsOf(items: PlanItems): Array<[Category, PlannedItem]> {
  return CATEGORIES.flatMap((category) => items[category].map((item): [Category, PlannedItem] => [category, item]));
}

export function keysOf(items: PlanItems): Set<string> {
  return new Set(itemsOf(items).map(([category, item]) => identity(category, item)));
}
