/**
 * What each collector should delete, predicted from a scenario's own record
 * (ScenarioState: what was pushed, tagged and deleted), never from the tree
 * and never through src/. The differential tests compare both collectors with
 * these predictions and with each other; the difference between the two
 * predictions is the expected divergence, which the tests assert exactly.
 *
 * The reference (Debian's docker-registry 2.8.2), per repository:
 *   roots   every revision, or with -m only revisions some tag's current link names;
 *   marks   each root's own blob and its direct references (config, layers, and
 *           for a list or index the child manifests' blobs), without recursing.
 *   -m deletes every revision that is no root: index children and referrers
 *   included (distribution #3178), and then the configs and layers that only
 *   they referenced, since nothing marked them.
 *
 * registry-gc (spec §3), per repository:
 *   roots   every revision and tag target, or with -m the tag targets only;
 *   keeps   recursively every child of a kept list or index whose blob exists,
 *           with its config and layers; with -m also every revision whose
 *           `subject` is a kept manifest of the same repository, to a fixpoint.
 *
 * Both mark sets are global: a blob marked by any repository stays.
 */
import type { ScenarioState } from './scenarios.js';

export type Mode = 'default' | 'deleteUntagged';

export interface Prediction {
  /** Digests each collector marks (some may not be in `blobs/`). */
  readonly marked: ReadonlySet<string>;
  /** Manifests kept per repository (revisions and, for registry-gc, children reached). */
  readonly kept: ReadonlyMap<string, ReadonlySet<string>>;
  /** Blobs deleted: sorted. */
  readonly blobs: readonly string[];
  /** Revisions deleted, as "repository@digest": sorted. */
  readonly manifests: readonly string[];
}

export interface Divergence {
  /** Blobs the reference deletes and registry-gc keeps. */
  readonly blobs: readonly string[];
  /** Revisions ("repository@digest") the reference deletes and registry-gc keeps. */
  readonly manifests: readonly string[];
}

export const manifestKey = (repository: string, digest: string): string => `${repository}@${digest}`;

const sorted = (xs: Iterable<string>): string[] => [...xs].sort();

function finish(state: ScenarioState, marked: Set<string>, kept: Map<string, Set<string>>): Prediction {
  const manifests: string[] = [];
  for (const [name, repo] of Object.entries(state.repositories)) {
    const k = kept.get(name) ?? new Set<string>();
    for (const digest of repo.revisions) if (!k.has(digest)) manifests.push(manifestKey(name, digest));
  }
  return { marked, kept, blobs: state.blobs.filter((d) => !marked.has(d)), manifests: sorted(manifests) };
}

export function predictReference(state: ScenarioState, mode: Mode): Prediction {
  const marked = new Set<string>();
  const kept = new Map<string, Set<string>>();
  for (const [name, repo] of Object.entries(state.repositories)) {
    const tagged = new Set(Object.values(repo.tags));
    const roots = new Set(repo.revisions.filter((d) => mode === 'default' || tagged.has(d)));
    kept.set(name, roots);
    for (const digest of roots) {
      marked.add(digest);
      const facts = state.manifests[digest];
      if (!facts) throw new Error(`scenario record has no facts for manifest ${digest}`);
      for (const d of [...facts.blobs, ...facts.children]) marked.add(d);
    }
  }
  return finish(state, marked, kept);
}

export function predictRegistryGc(state: ScenarioState, mode: Mode): Prediction {
  const marked = new Set<string>();
  const kept = new Map<string, Set<string>>();
  const present = new Set(state.blobs);
  for (const [name, repo] of Object.entries(state.repositories)) {
    const k = new Set<string>();
    const keep = (digest: string): void => {
      if (k.has(digest)) return;
      k.add(digest);
      marked.add(digest);
      if (!present.has(digest)) return;
      const facts = state.manifests[digest];
      if (!facts) throw new Error(`scenario record has no facts for manifest ${digest}`);
      for (const blob of facts.blobs) marked.add(blob);
      for (const child of facts.children) keep(child);
    };
    for (const digest of Object.values(repo.tags)) keep(digest);
    if (mode === 'default') {
      for (const digest of repo.revisions) keep(digest);
    } else {
      for (let changed = true; changed; ) {
        changed = false;
        for (const digest of repo.revisions) {
          const subject = state.manifests[digest]?.subject;
          if (!k.has(digest) && subject !== undefined && k.has(subject)) {
            keep(digest);
            changed = true;
          }
        }
      }
    }
    kept.set(name, k);
  }
  return finish(state, marked, kept);
}

/**
 * Repositories on which the reference's `-m` aborts before deleting anything
 * ("failed to retrieve tags unknown repository"): it looks up the tags of
 * every revision, and a repository whose manifests were all pushed by digest
 * has no `_manifests/tags` folder. registry-gc treats it as a repository
 * without tags.
 */
export function referenceUntaggedFailures(state: ScenarioState): string[] {
  return Object.entries(state.repositories)
    .filter(([, repo]) => repo.revisions.length > 0 && !repo.tagsDirectory)
    .map(([name]) => name)
    .sort();
}

const minus = (a: readonly string[], b: readonly string[]): string[] => {
  const drop = new Set(b);
  return a.filter((x) => !drop.has(x));
};

/** What the reference deletes and registry-gc keeps; registry-gc never deletes more. */
export function expectedDivergence(state: ScenarioState, mode: Mode): Divergence {
  const ref = predictReference(state, mode);
  const ours = predictRegistryGc(state, mode);
  const extra = { blobs: minus(ours.blobs, ref.blobs), manifests: minus(ours.manifests, ref.manifests) };
  if (extra.blobs.length > 0 || extra.manifests.length > 0) {
    throw new Error(`model: registry-gc would delete what the reference keeps: ${JSON.stringify(extra)}`);
  }
  return { blobs: minus(ref.blobs, ours.blobs), manifests: minus(ref.manifests, ours.manifests) };
}

/** The record after `registry-gc` ran in `mode` for real: what the next run starts from. */
export function stateAfterRegistryGc(state: ScenarioState, mode: Mode): ScenarioState {
  const prediction = predictRegistryGc(state, mode);
  const repositories = Object.fromEntries(
    Object.entries(state.repositories).map(([name, repo]) => {
      const kept = prediction.kept.get(name) ?? new Set<string>();
      return [name, { ...repo, revisions: repo.revisions.filter((d) => kept.has(d)) }];
    }),
  );
  return { ...state, blobs: state.blobs.filter((d) => prediction.marked.has(d)), repositories };
}

/**
 * What a pull of `digest` through `repository` fetches: the manifest, each
 * child recursively, and every config and layer. Undefined when the registry
 * cannot serve it: some manifest on the way is no revision of `repository`
 * (2.8.2 serves a manifest by digest only through a repository that links it).
 */
export function pullClosure(state: ScenarioState, repository: string, digest: string): string[] | undefined {
  const revisions = new Set(state.repositories[repository]?.revisions ?? []);
  const layers = new Set(state.repositories[repository]?.layers ?? []);
  const present = new Set(state.blobs);
  const fetched = new Set<string>();
  const visit = (d: string): boolean => {
    if (fetched.has(d)) return true;
    const facts = state.manifests[d];
    if (!revisions.has(d) || !present.has(d) || !facts) return false;
    fetched.add(d);
    for (const child of facts.children) if (!visit(child)) return false;
    for (const blob of facts.blobs) {
      if (!layers.has(blob) || !present.has(blob)) return false;
      fetched.add(blob);
    }
    return true;
  };
  return visit(digest) ? sorted(fetched) : undefined;
}

export interface DerivedExpectations {
  readonly tagged: { repository: string; tag: string; digest: string }[];
  readonly indexChildren: { repository: string; index: string; children: string[] }[];
  readonly referrers: { repository: string; subject: string; digest: string }[];
  readonly staleUploads: string[];
}

/** Uploads older than this are stale for registry-gc's default upload age (the registry's own 168 h). */
export const DEFAULT_UPLOAD_AGE_HOURS = 168;

/**
 * What must survive `registry-gc -m` and stay pullable, walked from the
 * record: every tag, every kept index with its children, every manifest kept
 * only as a referrer. Refs the registry could not serve even before any
 * collection (an index whose child was deleted through the API) are left out.
 */
export function deriveExpectations(state: ScenarioState): DerivedExpectations {
  const ours = predictRegistryGc(state, 'deleteUntagged');
  const result: DerivedExpectations = { tagged: [], indexChildren: [], referrers: [], staleUploads: [] };
  for (const [repository, repo] of Object.entries(state.repositories)) {
    const pullable = (digest: string): boolean => pullClosure(state, repository, digest) !== undefined;
    const fromTags = new Set<string>();
    const walk = (digest: string): void => {
      if (fromTags.has(digest)) return;
      fromTags.add(digest);
      for (const child of state.manifests[digest]?.children ?? []) walk(child);
    };
    for (const [tag, digest] of Object.entries(repo.tags)) {
      walk(digest);
      if (pullable(digest)) result.tagged.push({ repository, tag, digest });
    }
    for (const digest of [...(ours.kept.get(repository) ?? [])].sort()) {
      const facts = state.manifests[digest];
      if (!facts || !pullable(digest)) continue;
      if (facts.children.length > 0) result.indexChildren.push({ repository, index: digest, children: [...facts.children] });
      if (!fromTags.has(digest) && facts.subject !== undefined) result.referrers.push({ repository, subject: facts.subject, digest });
    }
  }
  result.staleUploads.push(...state.uploads.filter((u) => u.ageHours > DEFAULT_UPLOAD_AGE_HOURS).map((u) => u.id).sort());
  return result;
}
