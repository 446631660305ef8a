/**
 * Which tags of one repository its retention rule deletes (spec §9): a pure
 * function of the tags, their push times and the rule, so that the model
 * in the tests can be written independently of it.
 *
 * Push time: the mtime of `current/link`, which the registry rewrites on
 * every push of the tag. `keepLast` ranks the repository's tags by it,
 * newest first; between equal times, the name that sorts later (by code
 * unit) counts as newer, so `build-10` ranks above `build-09`.
 *
 * Never deleted by a rule, whatever it says: `latest` (unless keepLatest is
 * false), a tag that points at a protected digest, a tag pushed less than
 * minAge ago, a tag whose push time cannot be read, and referrer tags
 * (`sha256-<hex>…`), which live and die with their subject (orphans.ts)
 * and do not count towards keepLast.
 */
import type { Digest } from '../registry/digest.js';
import { isReferrerTag } from './orphans.js';
import type { CheckedRetention, CheckedRule } from './policy.js';

/** A tag as retention sees it. */
export interface TagFacts {
  readonly name: string;
  /** What it points at; undefined (a missing or bad link): not a candidate. */
  readonly current: Digest | undefined;
  /** Milliseconds since the epoch; undefined when it could not be read (kept). */
  readonly pushedAt: number | undefined;
}

/** A tag a run deletes, and the rule that deletes it. */
export interface TagDeletion {
  readonly repository: string;
  readonly tag: string;
  readonly digest: Digest;
  /** The retention rule's name, or `orphaned-referrer`. */
  readonly rule: string;
}

export interface SelectContext {
  readonly retention: CheckedRetention;
  /** Milliseconds since the epoch. */
  readonly now: number;
  /** Milliseconds: tags pushed more recently are kept. */
  readonly minAge: number;
}

/** Pushed less than minAge ago (a push may be in progress): no rule deletes it, nor the orphan rule. */
export function isYoungTag(pushedAt: number, { now, minAge }: Pick<SelectContext, 'now' | 'minAge'>): boolean {
  return minAge > 0 && now - pushedAt < minAge;
}

/** Newest first; equal times: the later name first. */
function newerFirst(a: TagFacts, b: TagFacts): number {
  return b.pushedAt! - a.pushedAt! || (a.name < b.name ? 1 : a.name > b.name ? -1 : 0);
}

/** The tags `rule` deletes from `tags` of `repository`. */
export function selectTags(repository: string, tags: readonly TagFacts[], rule: CheckedRule | undefined, context: SelectContext): TagDeletion[] {
  const { retention, now } = context;
  if (rule === undefined || !rule.active) return [];
  const ranked = tags.filter((t) => t.current !== undefined && t.pushedAt !== undefined && !isReferrerTag(t.name)).sort(newerFirst);
  const deletions: TagDeletion[] = [];
  for (const [rank, tag] of ranked.entries()) {
    const age = now - tag.pushedAt!;
    const kept =
      (rule.keepLast !== undefined && rank < rule.keepLast) ||
      rule.keepTags.some((re) => re.test(tag.name)) ||
      (retention.keepLatest && tag.name === 'latest') ||
      retention.protectDigests.has(tag.current!) ||
      isYoungTag(tag.pushedAt!, context);
    if (kept) continue;
    const deletable = (rule.olderThan === undefined || age > rule.olderThan) && (rule.deleteTags.length === 0 || rule.deleteTags.some((re) => re.test(tag.name)));
    if (deletable) deletions.push({ repository, tag: tag.name, digest: tag.current!, rule: rule.name });
  }
  return deletions;
}
