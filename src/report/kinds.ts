/**
 * The one table of what a run can delete. Every kind is one entry, in the
 * order the sweep deletes them (spec §4); the report's categories, the plan's
 * categories, identities and fingerprints, the human summaries, the sweep's
 * phases and the `allow` hook's names all come from here. Adding a kind is
 * an entry here, its report field (report.ts) and its sweep function
 * (sweep/sweep.ts).
 */
import type { Digest } from '../registry/digest.js';
import type { RegistryLayout } from '../registry/layout.js';
import type { DeletionCandidate } from './candidate.js';
import type { Phase, Report } from './report.js';

/** In sweep order. */
export const CATEGORIES = ['tags', 'manifests', 'blobs', 'layerLinks', 'tagHistory', 'uploads', 'repositories'] as const;
/** A kind of item a run can delete: a category of the report and of a plan. */
export type Category = (typeof CATEGORIES)[number];

/** One entry of `report[category].deleted`. */
export type DeletedItem<C extends Category> = Report[C]['deleted'][number];

/** Every field any kind has, as items, candidates and plan lines name them. */
export type ItemField = 'repository' | 'digest' | 'tag' | 'id' | 'startedAt' | 'size' | 'rule' | 'reason';
export type ItemFields = Partial<Readonly<Record<ItemField, string | number>>>;

export interface Kind {
  /** The `kind` of its DeletionCandidate: what the `allow` hook is told. */
  readonly candidate: DeletionCandidate['kind'];
  readonly phase: Phase;
  /** In summaries: the plural and one item. */
  readonly label: string;
  readonly one: string;
  /** The fields that name the object on disk: its identity, and its order in a report. */
  readonly identity: readonly ItemField[];
  /** The fields of its line in a plan's fingerprint, in order. */
  readonly fingerprint: readonly ItemField[];
  /** The reasons a plan gives for it; the first is the reason when there is only one. */
  readonly reasons: readonly string[];
  /** Its items have a size, summed as the category's `deletedBytes`. */
  readonly sized: boolean;
  /** The folder it is, and the file or folder whose presence says it is still there. */
  where(layout: RegistryLayout, item: ItemFields): { readonly dir: string; readonly marker: string };
  /** Why apply skips it when a fresh run keeps it, and when something kept needs it. */
  readonly keptBecause: string;
  readonly neededBecause: string;
}

/** Items reach `where` already validated (a plan is checked first): their fields as the layout takes them. */
const fields = (item: ItemFields) => item as unknown as { repository: string; digest: Digest; tag: string; id: string };

export const KINDS: { readonly [C in Category]: Kind } = {
  tags: {
    candidate: 'tag',
    phase: 'sweep-tags',
    label: 'tags',
    one: 'tag',
    // The digest too: a tag that points elsewhere now is another item than the one planned.
    identity: ['repository', 'tag', 'digest'],
    fingerprint: ['repository', 'tag', 'digest', 'rule', 'reason'],
    reasons: ['retention', 'orphaned-referrer'],
    sized: false,
    where: (layout, item) => {
      const { repository, tag } = fields(item);
      return { dir: layout.tagDir(repository, tag), marker: layout.tagCurrentLink(repository, tag) };
    },
    keptBecause: 'no rule deletes it now (it was pushed again, or moved)',
    neededBecause: 'it was pushed again or moved since the plan',
  },
  manifests: {
    candidate: 'manifest',
    phase: 'sweep-manifests',
    label: 'manifests',
    one: 'manifest',
    identity: ['repository', 'digest'],
    fingerprint: ['repository', 'digest', 'reason'],
    reasons: ['untagged'],
    sized: false,
    where: (layout, item) => {
      const { repository, digest } = fields(item);
      return { dir: layout.revisionDir(repository, digest), marker: layout.revisionLink(repository, digest) };
    },
    keptBecause: 'a tag, a kept index or a kept subject reaches it now',
    neededBecause: 'a manifest that stays (not in the plan, or skipped) names it as a child, or it is a referrer of one',
  },
  blobs: {
    candidate: 'blob',
    phase: 'sweep-blobs',
    label: 'blobs',
    one: 'blob',
    identity: ['digest'],
    fingerprint: ['digest', 'size', 'reason'],
    reasons: ['unreferenced'],
    sized: true,
    where: (layout, item) => folder(layout.blobDir(fields(item).digest)),
    keptBecause: 'a kept manifest references it now',
    neededBecause: 'a manifest that stays (not in the plan, or skipped) references it',
  },
  layerLinks: {
    candidate: 'layer-link',
    phase: 'sweep-layer-links',
    label: 'layer links',
    one: 'layer link',
    identity: ['repository', 'digest'],
    fingerprint: ['repository', 'digest', 'reason'],
    reasons: ['blob-deleted', 'blob-missing', 'unreferenced-in-repository'],
    sized: false,
    where: (layout, item) => folder(layout.layerLinkDir(fields(item).repository, fields(item).digest)),
    keptBecause: 'its blob stays now (or a kept manifest of the repository references it)',
    neededBecause: 'its blob stays, because something that stays needs it',
  },
  tagHistory: {
    candidate: 'tag-history',
    phase: 'sweep-tag-history',
    label: 'tag history',
    one: 'tag-history entry',
    identity: ['repository', 'tag', 'digest'],
    fingerprint: ['repository', 'tag', 'digest', 'reason'],
    reasons: ['not-a-revision'],
    sized: false,
    where: (layout, item) => {
      const { repository, tag, digest } = fields(item);
      return folder(layout.tagIndexEntryDir(repository, tag, digest));
    },
    keptBecause: 'it names a revision of the repository now, or the tag points at it',
    neededBecause: 'its manifest stays',
  },
  uploads: {
    candidate: 'upload',
    phase: 'sweep-uploads',
    label: 'uploads',
    one: 'upload',
    identity: ['repository', 'id', 'startedAt'],
    fingerprint: ['repository', 'id', 'startedAt', 'size', 'reason'],
    reasons: ['stale'],
    sized: true,
    where: (layout, item) => folder(layout.uploadDir(fields(item).repository, fields(item).id)),
    keptBecause: 'its startedat is not what the plan saw (another upload under this id, or unreadable)',
    neededBecause: 'the run kept it',
  },
  repositories: {
    candidate: 'repository',
    phase: 'sweep-repositories',
    label: 'repositories',
    one: 'repository',
    identity: ['repository'],
    fingerprint: ['repository', 'reason'],
    reasons: ['empty'],
    sized: false,
    where: (layout, item) => folder(layout.repositoryDir(fields(item).repository)),
    keptBecause: 'the repository holds a tag, a revision or an upload now',
    neededBecause: 'something in it stays (not in the plan, or skipped)',
  },
};

function folder(dir: string): { dir: string; marker: string } {
  return { dir, marker: dir };
}

/** The category of an `allow` candidate. */
export const CATEGORY_OF_CANDIDATE = Object.fromEntries(CATEGORIES.map((c) => [KINDS[c].candidate, c])) as {
  readonly [K in DeletionCandidate['kind']]: Category;
};

/**
 * Identities made, per category and item object. Items are values (their
 * fields are never written after they are made), and apply asks for the same
 * plan item's identity four or five times while it decides, reports and
 * gates: building and hashing a fresh key each time was ~1 us a call,
 * 0.6 s of a 150,000-item apply. A key made once is also hashed once.
 */
const made = new Map<Category, WeakMap<object, string>>(CATEGORIES.map((c) => [c, new WeakMap()]));

/** What names an item: two items (or candidates) with the same identity are the same object on disk. */
export function identity(category: Category, item: ItemFields): string {
  const known = made.get(category)!;
  let key = known.get(item);
  if (key === undefined) {
    key = identityKey(category, item);
    known.set(item, key);
  }
  return key;
}

/** An identity made afresh: for an object asked about once (an `allow` candidate). */
export function identityKey(category: Category, item: ItemFields): string {
  // JSON.stringify of [category, ...fields], built by hand where no field needs escaping: apply makes
  // ~450,000 of these for a plan of 150,000 items (175 ms as JSON.stringify, 40 ms so).
  let key = `["${category}"`;
  for (const field of KINDS[category].identity) {
    const value = item[field];
    key += typeof value === 'string' && PLAIN.test(value) ? `,"${value}"` : `,${JSON.stringify(value) ?? 'null'}`;
  }
  return `${key}]`;
}

/** A string JSON.stringify writes as it is, between quotes. */
const PLAIN = /^[^"\\\u0000-\u001f\ud800-\udfff]*$/;

export function candidateIdentity(candidate: DeletionCandidate): string {
  return identityKey(CATEGORY_OF_CANDIDATE[candidate.kind], candidate);
}
