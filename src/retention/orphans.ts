/**
 * Orphaned referrer tags (spec §9, `deleteOrphanedTags`): cosign and the
 * OCI referrers tag schema name a tag after its subject, `sha256-<hex>`
 * (an index of referrers) or `sha256-<hex>.sig`, `.att`, `.sbom`. Such a
 * tag is orphaned when `sha256:<hex>` is no revision that stays in its
 * repository after this run; it then goes, with what only it kept.
 *
 * Which revisions stay depends on which tags stay (each is a root), so the
 * referrer tags are decided to a fixpoint: first every other tag that stays
 * is a root; a referrer tag whose subject stays then is kept and becomes a
 * root too, which may keep another subject; the rest are orphans. Keeping
 * only grows, so it ends, and what it keeps is all a kept tag needs.
 */
import { ALGORITHMS, digestOf, isValidHex, type Digest } from '../registry/digest.js';
import type { TagDeletion } from './select.js';

const REFERRER_TAG = /^(sha256|sha384|sha512)-([0-9a-f]+)(?:\.(?:sig|att|sbom))?$/;

/**
 * The referrers tag schema keeps at most 64 characters of the subject's
 * digest (`sha512-<first 64 hex>`): such a tag names every digest of its
 * algorithm that starts so.
 */
const SCHEMA_HEX_LIMIT = 64;

/** What a referrer tag names: its subject's digest, or (truncated by the schema) the start of it; undefined for any other tag. */
export function referrerSubject(tag: string): { readonly digest: Digest } | { readonly prefix: string } | undefined {
  const m = REFERRER_TAG.exec(tag);
  if (m === null) return undefined;
  const algorithm = ALGORITHMS.find((a) => a === m[1])!;
  const hex = m[2]!;
  if (isValidHex(algorithm, hex)) return { digest: digestOf(algorithm, hex) };
  return algorithm !== 'sha256' && hex.length === SCHEMA_HEX_LIMIT ? { prefix: `${algorithm}:${hex}` } : undefined;
}

export function isReferrerTag(tag: string): boolean {
  return referrerSubject(tag) !== undefined;
}

/** Whether the subject `tag` names is among `revisions`. */
function subjectIn(tag: string, revisions: ReadonlySet<Digest>): boolean {
  const subject = referrerSubject(tag)!;
  if ('digest' in subject) return revisions.has(subject.digest);
  for (const digest of revisions) if (digest.startsWith(subject.prefix)) return true;
  return false;
}

export const ORPHANED_REFERRER = 'orphaned-referrer';

/** A tag of the repository that stays unless it is an orphan. */
export interface ReferrerTag {
  readonly name: string;
  readonly current: Digest;
}

/**
 * The referrer tags of `repository` that are orphans. `staying(kept)`: the
 * revisions that stay when the tags that stay are the others plus `kept`.
 */
export function orphanedTags<T extends ReferrerTag>(repository: string, candidates: readonly T[], staying: (kept: ReadonlySet<string>) => ReadonlySet<Digest>): TagDeletion[] {
  const kept = new Set<string>();
  let pending: readonly T[] = candidates;
  for (;;) {
    const stays = staying(kept);
    const keptNow = pending.filter((tag) => subjectIn(tag.name, stays));
    if (keptNow.length === 0) break;
    for (const tag of keptNow) kept.add(tag.name);
    pending = pending.filter((tag) => !kept.has(tag.name));
  }
  return pending.map((tag) => ({ repository, tag: tag.name, digest: tag.current, rule: ORPHANED_REFERRER }));
}
