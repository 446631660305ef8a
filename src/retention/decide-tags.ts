/**
 * The tags a run deletes, decided after the scan and before marking, and
 * the scans marking and the sweep then see: without those tags (a deleted
 * tag is no root, and its history goes with its folder), with protected
 * digests as roots.
 *
 * Never touched: a stray, and a repository one of whose tags has an
 * unknown target (marking keeps it whole). The `allow` hook is asked here,
 * as marking asks it for manifests: a tag it refuses stays a root.
 */
import type { Digest } from '../registry/digest.js';
import type { RegistryLayout } from '../registry/layout.js';
import { isTagName } from '../registry/names.js';
import { mayDelete, type AllowDeletion } from '../report/candidate.js';
import type { Findings } from '../report/findings.js';
import type { RepositoryScan, TagScan } from '../scan/repository.js';
import { isNotFound } from '../storage/errno.js';
import type { TreeReader } from '../storage/storage.js';
import { isReferrerTag, ORPHANED_REFERRER, orphanedTags, type ReferrerTag } from './orphans.js';
import { orphansGo, ruleOf, type CheckedRetention } from './policy.js';
import { isYoungTag, selectTags, type SelectContext, type TagDeletion, type TagFacts } from './select.js';

export interface TagDecisionInput {
  readonly layout: RegistryLayout;
  readonly reader: TreeReader;
  readonly findings: Findings;
  readonly retention: CheckedRetention;
  readonly now: Date;
  /** Milliseconds. */
  readonly minAge: number;
  readonly allow: AllowDeletion | undefined;
  /** The revisions of `scan` that stay when its tags are `scan.tags` (a mark of that repository alone). */
  readonly staying: (scan: RepositoryScan<unknown>) => ReadonlySet<Digest>;
}

export interface TagDecision<Scan extends RepositoryScan<unknown>> {
  readonly deletions: readonly TagDeletion[];
  /** The scans as marking and the sweep see them. */
  readonly scans: readonly Scan[];
}

/** The push time of each tag (the mtime of its current link); undefined where it cannot be read (said: the tag is kept). */
function factsOf(input: TagDecisionInput, scan: RepositoryScan<unknown>): TagFacts[] {
  return scan.tags.map((tag) => {
    if (tag.current === undefined || !isTagName(tag.name)) return { name: tag.name, current: undefined, pushedAt: undefined };
    const link = input.layout.tagCurrentLink(scan.name, tag.name);
    try {
      return { name: tag.name, current: tag.current, pushedAt: input.reader.entry(link).mtimeMs };
    } catch (error) {
      if (!isNotFound(error)) input.findings.warn('unreadable', link, `cannot tell when ${scan.name}:${tag.name} was pushed (${(error as Error).message}); no rule deletes it`);
      return { name: tag.name, current: tag.current, pushedAt: undefined };
    }
  });
}

/**
 * The referrer tags of `retained` that are orphans (orphans.ts), among those the hook lets go.
 * `facts`: the repository's tags with their push times, read once for it.
 */
function orphansOf(input: TagDecisionInput, retained: RepositoryScan<unknown>, facts: readonly TagFacts[], select: SelectContext, may: (d: TagDeletion) => boolean): TagDeletion[] {
  const { protectDigests } = input.retention;
  // As for every tag: one pushed less than minAge ago, or whose push time cannot be told, stays.
  const settled = new Set(facts.filter((f) => f.pushedAt !== undefined && !isYoungTag(f.pushedAt, select)).map((f) => f.name));
  // One the hook refuses is a root from the start, like every tag that is no candidate.
  const candidates = retained.tags.filter(
    (t): t is TagScan & ReferrerTag =>
      t.current !== undefined &&
      isReferrerTag(t.name) &&
      settled.has(t.name) &&
      !protectDigests.has(t.current) &&
      may({ repository: retained.name, tag: t.name, digest: t.current, rule: ORPHANED_REFERRER }),
  );
  if (candidates.length === 0) return [];
  const candidateNames = new Set(candidates.map((t) => t.name));
  const others = retained.tags.filter((t) => !candidateNames.has(t.name));
  return orphanedTags(retained.name, candidates, (kept) => input.staying({ ...retained, tags: [...others, ...candidates.filter((t) => kept.has(t.name))] }));
}

export function decideTags<Scan extends RepositoryScan<unknown>>(input: TagDecisionInput, scans: readonly Scan[]): TagDecision<Scan> {
  const { retention, allow } = input;
  const select: SelectContext = { retention, now: input.now.getTime(), minAge: input.minAge };
  const may = (d: TagDeletion) => mayDelete(allow, { kind: 'tag', repository: d.repository, tag: d.tag, digest: d.digest });
  const deletions: TagDeletion[] = [];
  const without = (scan: Scan, gone: readonly TagDeletion[]): Scan => {
    if (gone.length === 0) return scan;
    const names = new Set(gone.map((d) => d.tag));
    return { ...scan, tags: scan.tags.filter((t) => !names.has(t.name)) };
  };
  const decided = scans.map((scan): Scan => {
    if (scan.leftAlone || scan.tagTargetsUncertain) return scan;
    const protectedRevisions = scan.revisions.filter((d) => retention.protectDigests.has(d));
    const pinned = protectedRevisions.length === 0 ? scan : { ...scan, pinned: [...scan.pinned, ...protectedRevisions] };
    const rule = ruleOf(retention, scan.name);
    const orphansToo = orphansGo(retention, rule);
    // Each tag's push time is read once (an lstat), and only where a rule or the orphan rule looks at it.
    const facts = rule?.active || orphansToo ? factsOf(input, scan) : [];
    const byRule = rule?.active ? selectTags(scan.name, facts, rule, select).filter(may) : [];
    const retained = without(pinned, byRule);
    const orphans = orphansToo ? orphansOf(input, retained, facts, select, may) : [];
    deletions.push(...byRule, ...orphans);
    return without(retained, orphans);
  });
  return { deletions, scans: decided };
}
