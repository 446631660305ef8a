/**
 * What the generator wrote, as a graph, and what a collector must therefore
 * do with it. The expectations are computed from the graph (not from the
 * generator's intentions), in three modes:
 *
 * - `default`: every revision of every repository is a root (the spec's and
 *   the reference's default mode). The deletable blobs are exactly the
 *   orphans the generator planted; `generateRegistry` asserts this.
 * - `deleteUntagged`: the spec's `-m` (§3): roots are the tags' current
 *   manifests; a kept index keeps its children recursively with their
 *   blobs; a revision whose `subject` is a kept manifest of the same
 *   repository is kept, to a fixpoint.
 * - `referenceDeleteUntagged`: what Debian's 2.8.2 `garbage-collect -m`
 *   decides: roots are revisions a tag's current link names; each marks
 *   itself and its direct references only, so index children (untagged
 *   revisions) are deleted and only their manifest blobs stay.
 *
 * Sweep steps 3 and 4 follow from these: layer links whose blob is deleted,
 * and uploads older than the upload age.
 */
import type { Digest } from '../../src/registry/digest.js';

export type ManifestKind = 'image' | 'index' | 'child' | 'attestation' | 'referrer' | 'referrersIndex';

export interface ManifestNode {
  readonly kind: ManifestKind;
  readonly mediaType: string;
  readonly size: number;
  /** Config, layers and artifact blobs (foreign layers included, though they have no blob). */
  readonly blobs: readonly Digest[];
  /** Manifests an index names. */
  readonly children: readonly Digest[];
  readonly subject?: Digest;
}

export interface TagModel {
  current: Digest;
  /** Every digest the tag ever pointed at, oldest first, `current` last. */
  history: Digest[];
}

export interface UploadModel {
  readonly id: string;
  readonly startedAt: string;
  readonly size: number;
  readonly stale: boolean;
}

export interface RepositoryModel {
  readonly name: string;
  readonly revisions: Digest[];
  readonly revisionSet: Set<Digest>;
  readonly tags: Map<string, TagModel>;
  readonly layerLinks: Set<Digest>;
  readonly uploads: UploadModel[];
}

export interface RepositoryRef {
  repository: string;
  digest: Digest;
}

export interface ModeExpectation {
  /** Revisions deleted (0 in default mode). */
  deletedManifests: number;
  /** `_manifests/tags/*\/index/<alg>/<hex>` entries of deleted revisions. */
  deletedTagIndexEntries: number;
  keptBlobs: number;
  deletedBlobs: number;
  deletedBytes: number;
  /** Layer links whose blob is deleted (spec §4 step 3). */
  deletedLayerLinks: number;
  /** Uploads older than the upload age (spec §4 step 4; 168 h). */
  deletedUploads: number;
}

export interface ModeLists {
  deletedManifests: RepositoryRef[];
  deletedBlobs: Digest[];
  deletedLayerLinks: RepositoryRef[];
  deletedUploads: { repository: string; id: string }[];
}

export interface Expectations {
  default: ModeExpectation;
  deleteUntagged: ModeExpectation;
  referenceDeleteUntagged: ModeExpectation;
}

export interface ExpectationLists {
  default: ModeLists;
  deleteUntagged: ModeLists;
  referenceDeleteUntagged: ModeLists;
}

export interface TreeModel {
  readonly repositories: readonly RepositoryModel[];
  readonly manifests: ReadonlyMap<Digest, ManifestNode>;
  readonly blobs: ReadonlyMap<Digest, number>;
}

type Marker = (repository: RepositoryModel, mark: (d: Digest) => void) => Set<Digest>;

/** Marks `d` and, for an index, its children (whenever their blob exists), recursively. */
function closure(model: TreeModel, kept: Set<Digest>, mark: (d: Digest) => void, d: Digest): void {
  if (kept.has(d)) return;
  kept.add(d);
  mark(d);
  const node = model.manifests.get(d);
  if (node === undefined) return;
  for (const b of node.blobs) mark(b);
  for (const c of node.children) if (model.blobs.has(c)) closure(model, kept, mark, c);
}

function currentTargets(repository: RepositoryModel): Set<Digest> {
  return new Set([...repository.tags.values()].map((t) => t.current));
}

const markers: Record<keyof Expectations, (model: TreeModel) => Marker> = {
  default: (model) => (repository, mark) => {
    const kept = new Set<Digest>();
    for (const r of repository.revisions) closure(model, kept, mark, r);
    return kept;
  },
  deleteUntagged: (model) => (repository, mark) => {
    const kept = new Set<Digest>();
    for (const root of currentTargets(repository)) closure(model, kept, mark, root);
    for (let changed = true; changed; ) {
      changed = false;
      for (const r of repository.revisions) {
        const subject = model.manifests.get(r)?.subject;
        if (!kept.has(r) && subject !== undefined && kept.has(subject)) {
          closure(model, kept, mark, r);
          changed = true;
        }
      }
    }
    return kept;
  },
  referenceDeleteUntagged: (model) => (repository, mark) => {
    const kept = new Set<Digest>();
    const tagged = currentTargets(repository);
    for (const r of repository.revisions) {
      if (!tagged.has(r)) continue;
      kept.add(r);
      mark(r);
      const node = model.manifests.get(r);
      for (const b of node?.blobs ?? []) mark(b);
      for (const c of node?.children ?? []) mark(c);
    }
    return kept;
  },
};

function expect(model: TreeModel, marker: Marker): ModeLists {
  const marked = new Set<Digest>();
  const mark = (d: Digest): void => void marked.add(d);
  const lists: ModeLists = { deletedManifests: [], deletedBlobs: [], deletedLayerLinks: [], deletedUploads: [] };
  for (const repository of model.repositories) {
    const kept = marker(repository, mark);
    for (const r of repository.revisions) {
      if (!kept.has(r)) lists.deletedManifests.push({ repository: repository.name, digest: r });
    }
  }
  for (const d of model.blobs.keys()) if (!marked.has(d)) lists.deletedBlobs.push(d);
  const deleted = new Set(lists.deletedBlobs);
  for (const repository of model.repositories) {
    for (const d of repository.layerLinks) {
      if (deleted.has(d)) lists.deletedLayerLinks.push({ repository: repository.name, digest: d });
    }
    for (const u of repository.uploads) if (u.stale) lists.deletedUploads.push({ repository: repository.name, id: u.id });
  }
  const byRepo = (a: { repository: string }, b: { repository: string }): number =>
    a.repository < b.repository ? -1 : a.repository > b.repository ? 1 : 0;
  const byKey = <T extends { repository: string }>(key: (x: T) => string) => (a: T, b: T): number =>
    byRepo(a, b) || (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0);
  lists.deletedManifests.sort(byKey((x) => x.digest));
  lists.deletedLayerLinks.sort(byKey((x) => x.digest));
  lists.deletedUploads.sort(byKey((x) => x.id));
  lists.deletedBlobs.sort();
  return lists;
}

function summarize(model: TreeModel, lists: ModeLists): ModeExpectation {
  const deletedRevisions = new Set(lists.deletedManifests.map((m) => `${m.repository}@${m.digest}`));
  let deletedTagIndexEntries = 0;
  for (const repository of model.repositories) {
    for (const tag of repository.tags.values()) {
      for (const d of new Set(tag.history)) if (deletedRevisions.has(`${repository.name}@${d}`)) deletedTagIndexEntries++;
    }
  }
  return {
    deletedManifests: lists.deletedManifests.length,
    deletedTagIndexEntries,
    keptBlobs: model.blobs.size - lists.deletedBlobs.length,
    deletedBlobs: lists.deletedBlobs.length,
    deletedBytes: lists.deletedBlobs.reduce((sum, d) => sum + (model.blobs.get(d) ?? 0), 0),
    deletedLayerLinks: lists.deletedLayerLinks.length,
    deletedUploads: lists.deletedUploads.length,
  };
}

export function computeExpectations(model: TreeModel): { expectations: Expectations; lists: ExpectationLists } {
  const lists: ExpectationLists = {
    default: expect(model, markers.default(model)),
    deleteUntagged: expect(model, markers.deleteUntagged(model)),
    referenceDeleteUntagged: expect(model, markers.referenceDeleteUntagged(model)),
  };
  return {
    lists,
    expectations: {
      default: summarize(model, lists.default),
      deleteUntagged: summarize(model, lists.deleteUntagged),
      referenceDeleteUntagged: summarize(model, lists.referenceDeleteUntagged),
    },
  };
}
