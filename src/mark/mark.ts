/**
 * Marking (spec §3): which manifests each repository keeps, and which blobs
 * the whole registry keeps.
 *
 * Per repository, the roots are every revision (default) or every tag's
 * current target (`deleteUntagged`). From each kept manifest the walk keeps
 * its config and layers and, for lists and indexes, every child manifest,
 * recursively, wherever the child's blob exists. Under `deleteUntagged` a
 * revision whose `subject` is a kept manifest of the same repository is kept
 * too, repeated to a fixpoint (a signature of an SBOM of an image).
 *
 * The mark set is global: a blob kept by any repository stays. Anything
 * uncertain about a manifest that is kept (or might be, for an unreadable
 * revision that could be a referrer) is a problem: the run must then fail
 * before deleting. A manifest whose blob is already gone is only a warning.
 */
import type { ProblemCode } from '../report/report.js';
import { mayDelete, type AllowDeletion } from '../report/candidate.js';
import type { Digest } from '../registry/digest.js';
import { DigestBits, type DigestId } from '../registry/digest-ids.js';
import type { Findings } from '../report/findings.js';
import type { RegistryLayout } from '../registry/layout.js';
import type { ManifestStore } from '../scan/manifest-store.js';
import type { RepositoryScan } from '../scan/repository.js';

export type KeepReason = 'revision' | 'tag' | 'child' | 'referrer' | 'young';

export interface MarkResult {
  /** Every digest reachable from a root: manifests, configs, layers (ids of the store's DigestIds). */
  readonly marked: DigestBits;
  /** Per repository, the revisions it no longer keeps (empty unless deleteUntagged). */
  readonly untagged: ReadonlyMap<string, readonly Digest[]>;
  /**
   * Per repository, what its kept manifests reference, themselves included:
   * for pruning layer links, so only filled when `trackReferences` is set
   * (a set per repository is as large as the mark set).
   */
  readonly referencedBy: ReadonlyMap<string, ReadonlySet<DigestId>>;
  /** Untagged revisions kept only because they are younger than minAge. */
  readonly keptForAge: readonly { repository: string; digest: Digest }[];
}

export interface MarkOptions {
  readonly deleteUntagged: boolean;
  /** True for a revision written less than minAge ago (its link's mtime). */
  readonly isYoungRevision: (repository: string, digest: Digest) => boolean;
  /** An untagged revision this refuses is a root (with what it needs): CollectOptions.allow. */
  readonly allow?: AllowDeletion | undefined;
  /** Fill `referencedBy` (pruneLayerLinks). */
  readonly trackReferences?: boolean;
  /** Repositories marked so far; called every few repositories. */
  readonly onRepository?: (done: number) => void;
  /**
   * The mark set to fill; a new one by default. A trial mark of one
   * repository (retention) passes one set for all its trials: a new set per
   * trial would grow to the run's highest id each time (~125 KB for a
   * million ids), and a trial reads only `untagged`.
   */
  readonly into?: DigestBits;
}

/** Repositories between two progress calls. */
const PROGRESS_EVERY = 64;

const MISSING_CODE: Record<KeepReason, ProblemCode> = {
  revision: 'manifest_blob_missing',
  tag: 'tag_target_missing',
  child: 'child_manifest_missing',
  referrer: 'manifest_blob_missing',
  young: 'manifest_blob_missing',
};

export function mark(
  scans: readonly RepositoryScan<unknown>[],
  store: ManifestStore,
  findings: Findings,
  layout: RegistryLayout,
  { deleteUntagged, isYoungRevision, allow, onRepository, trackReferences = false, into }: MarkOptions,
): MarkResult {
  const { ids } = store;
  const marked = into ?? new DigestBits();
  const untagged = new Map<string, Digest[]>();
  const referencedBy = new Map<string, Set<DigestId>>();
  const keptForAge: { repository: string; digest: Digest }[] = [];

  for (const [index, scan] of scans.entries()) {
    if (index % PROGRESS_EVERY === 0) onRepository?.(index);
    const kept = new Set<DigestId>();
    // A set, not bits: a repository references few of the run's ids, and there are thousands of repositories.
    const referenced = new Set<DigestId>();
    if (trackReferences) referencedBy.set(scan.name, referenced);
    // Depth-first with an explicit stack: deep or cyclic indexes cannot blow the call stack.
    const keepId = (root: DigestId, rootReason: KeepReason): void => {
      const stack: Array<[DigestId, KeepReason]> = [[root, rootReason]];
      for (let item = stack.pop(); item; item = stack.pop()) {
        const [id, reason] = item;
        if (kept.has(id)) continue;
        kept.add(id);
        marked.add(id);
        if (trackReferences) referenced.add(id);
        const read = store.get(id);
        if (read.state === 'missing') {
          findings.warn(MISSING_CODE[reason], store.pathOf(id), `${scan.name}: ${reason} manifest ${ids.digest(id)} has no blob; skipped`);
        } else if (read.state === 'bad') {
          findings.fail(read.code, store.pathOf(id), `${scan.name}: ${reason} manifest ${ids.digest(id)}: ${read.message}`);
        } else {
          for (const blob of read.blobs) {
            marked.add(blob);
            if (trackReferences) referenced.add(blob);
          }
          for (const child of read.children) stack.push([child, 'child']);
        }
      }
    };
    const keep = (digest: Digest, reason: KeepReason): void => keepId(ids.id(digest), reason);

    if (scan.leftAlone) {
      // A stray keeps whatever it names: every revision, every tag's target and history.
      for (const digest of [...scan.revisions, ...scan.pinned]) keep(digest, 'revision');
      for (const tag of scan.tags) for (const digest of [...(tag.current === undefined ? [] : [tag.current]), ...tag.history]) keep(digest, 'tag');
      continue;
    }
    const keepAllRevisions = !deleteUntagged || scan.tagTargetsUncertain;
    if (deleteUntagged && scan.tagTargetsUncertain) {
      findings.warn('repository_kept_whole', layout.repositoryDir(scan.name), `${scan.name}: a tag's target is unknown, so no revision of this repository is collected`);
    }
    const revisions = new Set(scan.revisions);
    for (const tag of scan.tags) {
      if (!tag.current) continue;
      if (!revisions.has(tag.current)) {
        findings.warn('tag_target_missing', layout.tagCurrentLink(scan.name, tag.name), `${scan.name}:${tag.name} names ${tag.current}, which is no revision of this repository: the tag cannot be pulled`);
      }
      keep(tag.current, 'tag');
    }
    for (const revision of scan.pinned) keep(revision, 'revision');
    if (keepAllRevisions) for (const revision of scan.revisions) keep(revision, 'revision');
    if (!deleteUntagged) continue;

    // Each revision's id once: the passes below ask about each revision several times.
    const revisionIds = scan.revisions.map((digest) => ids.id(digest));
    const notKept = (i: number) => !kept.has(revisionIds[i]!);
    // Young revisions may be a push in progress: roots, like tags (a no-op unless minAge is set).
    for (const [i, digest] of scan.revisions.entries()) {
      if (notKept(i) && isYoungRevision(scan.name, digest)) {
        keptForAge.push({ repository: scan.name, digest });
        keepId(revisionIds[i]!, 'young');
      }
    }
    // Untagged revisions that may not go (applyPlan: not in the plan) are roots too, before referrers.
    for (const [i, digest] of scan.revisions.entries()) {
      if (notKept(i) && !mayDelete(allow, { kind: 'manifest', repository: scan.name, digest })) keepId(revisionIds[i]!, 'revision');
    }
    // Referrers, to a fixpoint: each pass may keep a manifest that is itself a subject. Candidates are indexes.
    let candidates = [...scan.revisions.keys()].filter(notKept);
    for (let changed = true; changed; ) {
      changed = false;
      for (const i of candidates) {
        const subject = subjectOf(store, revisionIds[i]!);
        if (subject !== undefined && subject !== 'unknown' && kept.has(subject)) {
          keepId(revisionIds[i]!, 'referrer');
          changed = true;
        }
      }
      candidates = candidates.filter(notKept);
    }
    for (const i of candidates) {
      const id = revisionIds[i]!;
      if (subjectOf(store, id) === 'unknown') {
        const read = store.get(id);
        const why = read.state === 'bad' ? read.message : 'unknown subject';
        // A link keeps its own code, so a run stopped only by links says so (E_SYMLINK).
        const code = read.state === 'bad' && read.code === 'symlink' ? 'symlink' : 'referrer_uncertain';
        findings.fail(code, store.pathOf(id), `${scan.name}: untagged manifest ${scan.revisions[i]} may be a referrer of a kept image: ${why}`);
      }
    }
    untagged.set(scan.name, candidates.map((i) => scan.revisions[i]!));
  }
  return { marked, untagged, referencedBy, keptForAge };
}

/** The subject of a revision as far as it can be known; 'unknown' when it cannot be read. */
function subjectOf(store: ManifestStore, id: DigestId): DigestId | 'unknown' | undefined {
  const read = store.get(id);
  if (read.state === 'ok') return read.subject;
  if (read.state === 'missing') return undefined;
  // What an unparsable manifest seems to name weighs as a parsed subject would.
  const { subject } = read;
  if (subject === undefined) return undefined;
  if (subject === 'unknown') return 'unknown';
  return store.ids.id(subject);
}
