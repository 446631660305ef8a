/**
 * Scenarios for the properties of apply's incremental re-check
 * (test/plan/recheck.property.test.ts): a fast-check arbitrary of a registry
 * as it stands at plan time and of the writes the running registry makes
 * between plan and apply, and `build`, which makes that registry on disk
 * (and an identical twin) while recording it in the model
 * (recheck-model.ts). The writes themselves are made by recheck-writes.ts,
 * after the plan, since they aim at what the plan lists.
 *
 * At plan time: images (Docker or OCI, layers of their own and from a shared
 * pool, tagged or not), indexes over images of their repository, referrers of
 * a manifest of their repository, in four repositories (one nested in
 * another); orphan blobs, stale and fresh uploads, a history entry of a
 * manifest deleted through the API, a dangling layer link, an image deleted
 * through the API (blobs, links and a history entry left behind); with or
 * without link pruning and empty-repository removal. Always -m.
 *
 * Everything is named by a small number taken modulo what exists when it is
 * used (`pick`), so that every generated scenario means something and shrinks
 * well: an index over "child 7" of a repository holding two images takes the
 * second one.
 */
import fs from 'node:fs';
import fc from 'fast-check';
import type { CollectOptions } from '../../src/collect/options.js';
import { computeDigest } from '../../src/registry/digest.js';
import { copyTree, tempDir, TreeBuilder } from '../../harness/tree.js';
import { Model } from './recheck-model.js';

/** The plan runs at NOW, apply (and the dry runs judging it) at LATER. */
export const NOW = new Date('2026-11-29T12:00:00Z');
export const LATER = new Date('2026-11-29T13:00:00Z');
/** Upload start times: STALE is planned for removal, FRESH is not, STARTED_MEANWHILE is an upload begun after the plan. */
export const STALE = '2020-01-01T00:00:00Z';
const FRESH = '2026-11-29T11:30:00Z';
export const STARTED_MEANWHILE = '2026-11-29T12:30:00Z';

/** `a/b` is nested in `a`: a removed `a` must leave `a/b` whole. */
const REPOS = ['a', 'a/b', 'c', 'd'] as const;
/** Writes may also go into a repository that did not exist at plan time. */
export const WRITE_REPOS = [...REPOS, 'n'] as const;
export const TAGS = ['t0', 't1', 't2'] as const;
/** Layers shared between images, so that one blob can be needed from several repositories. */
const POOL = 5;
export const LAYER_TYPE = 'application/vnd.oci.image.layer.v1.tar+gzip';

type BasePush =
  | { kind: 'image'; repo: number; shared: number[]; own: boolean; oci: boolean; tag: number | null }
  | { kind: 'index'; repo: number; children: number[]; oci: boolean; tag: number | null }
  | { kind: 'referrer'; repo: number; subject: number; shared: number[] };

/** A registry write made after the plan; `target`, `blob` name a planned item (modulo how many there are). */
export type Write =
  | { kind: 'push'; repo: number; reuse: number[]; own: boolean; shape: 'image' | 'index' | 'referrer'; target: number; tag: number | null }
  | { kind: 'repush'; target: number }
  | { kind: 'retag'; target: number; tag: number }
  | { kind: 'mount'; blob: number; repo: number }
  | { kind: 'upload'; repo: number }
  | { kind: 'resume'; target: number }
  | { kind: 'revive'; target: number; tag: number | null };

export interface Scenario {
  pushes: BasePush[];
  orphans: number;
  uploads: { repo: number; stale: boolean }[];
  deadHistory: boolean;
  danglingLink: number | null;
  /** An image deleted through the API before the plan: its blobs and links are planned, a history entry may name it. */
  deletedImage: number | null;
  prune: boolean;
  removeEmpty: boolean;
  writes: Write[];
}

const repo = fc.nat(REPOS.length - 1);
const writeRepo = fc.nat(WRITE_REPOS.length - 1);
const tag = fc.option(fc.nat(TAGS.length - 1), { nil: null });
const pick = fc.nat(15);
const shared = fc.uniqueArray(fc.nat(POOL - 1), { maxLength: 2 });

const basePush: fc.Arbitrary<BasePush> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('image' as const), repo, shared, own: fc.boolean(), oci: fc.boolean(), tag }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('index' as const), repo, children: fc.uniqueArray(pick, { minLength: 1, maxLength: 2 }), oci: fc.boolean(), tag }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('referrer' as const), repo, subject: pick, shared }) },
);

const write: fc.Arbitrary<Write> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('push' as const),
      repo: writeRepo,
      reuse: fc.uniqueArray(pick, { maxLength: 2 }),
      own: fc.boolean(),
      shape: fc.constantFrom('image' as const, 'index' as const, 'referrer' as const),
      target: pick,
      tag,
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('repush' as const), target: pick }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('retag' as const), target: pick, tag: fc.nat(TAGS.length - 1) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('mount' as const), blob: pick, repo: writeRepo }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('upload' as const), repo: writeRepo }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('resume' as const), target: pick }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('revive' as const), target: pick, tag }) },
);

export const scenario: fc.Arbitrary<Scenario> = fc.record({
  pushes: fc.array(basePush, { minLength: 2, maxLength: 10 }),
  orphans: fc.nat(2),
  uploads: fc.array(fc.record({ repo, stale: fc.boolean() }), { maxLength: 3 }),
  deadHistory: fc.boolean(),
  danglingLink: fc.option(repo, { nil: null }),
  deletedImage: fc.option(repo, { nil: null }),
  prune: fc.boolean(),
  removeEmpty: fc.boolean(),
  // A quarter of the scenarios have no write: incremental must then equal full.
  writes: fc.oneof({ weight: 1, arbitrary: fc.constant([] as Write[]) }, { weight: 3, arbitrary: fc.array(write, { minLength: 1, maxLength: 5 }) }),
});

/** A stable upload id: the same scenario makes the same tree, so a replay compares like with like. */
export const uuid = (seed: string): string => {
  const hex = computeDigest(seed).slice('sha256:'.length);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
};

export interface Built {
  readonly s: Scenario;
  readonly root: string;
  /** An identical copy, made before the pause: the full re-check runs on it, with the same writes. */
  readonly twin: string;
  readonly model: Model;
  readonly options: CollectOptions;
}

/** Makes the registry of `s` as it stands at plan time (not its writes), its twin, and its model. */
export function build(s: Scenario): Built {
  const t = new TreeBuilder(tempDir('registry-gc-recheck-'));
  const model = new Model();
  const pool = Array.from({ length: POOL }, (_, i) => t.blob(`pool layer ${i}`, LAYER_TYPE));
  for (const p of pool) model.blobs.add(p.digest);
  s.pushes.forEach((p, i) => {
    const name = REPOS[p.repo]!;
    const r = model.repo(name);
    if (p.kind === 'image') {
      const tagName = p.tag === null ? undefined : TAGS[p.tag];
      const image = t.image(name, {
        sharedLayers: p.shared.map((k) => pool[k]!),
        layers: p.own || p.shared.length === 0 ? [`own layer ${i} of ${name}`] : [],
        format: p.oci ? 'oci' : 'docker',
        config: `config ${i}`,
        tag: tagName,
      });
      model.record(name, image.manifest, { blobs: [image.config, ...image.layers].map((d) => d.digest), children: [], subject: undefined }, tagName);
    } else if (p.kind === 'index') {
      const images = [...r.revisions].filter((d) => model.manifests.get(d)!.children.length === 0);
      if (images.length === 0) return;
      const children = [...new Set(p.children.map((c) => images[c % images.length]!))];
      const tagName = p.tag === null ? undefined : TAGS[p.tag];
      const index = t.index(name, children.map((d) => model.descriptors.get(d)!), { format: p.oci ? 'oci' : 'docker', tag: tagName });
      model.record(name, index, { blobs: [], children, subject: undefined }, tagName);
    } else {
      const subjects = [...r.revisions];
      if (subjects.length === 0) return;
      const subject = subjects[p.subject % subjects.length]!;
      const referrer = t.image(name, {
        format: 'oci',
        artifactType: 'application/vnd.example.signature.v1+json',
        subject: model.descriptors.get(subject)!,
        sharedLayers: p.shared.map((k) => pool[k]!),
        layers: p.shared.length === 0 ? [`signature ${i}`] : [],
        config: `referrer config ${i}`,
      });
      model.record(name, referrer.manifest, { blobs: [referrer.config, ...referrer.layers].map((d) => d.digest), children: [], subject }, undefined);
    }
  });
  for (let i = 0; i < s.orphans; i++) model.blobs.add(t.blob(`orphan ${i}`).digest);
  s.uploads.forEach((u, i) => {
    const name = REPOS[u.repo]!;
    const id = uuid(`upload ${i}`);
    t.upload(name, id, u.stale ? STALE : FRESH, `upload data ${i}`);
    model.repo(name).uploads.add(id);
  });
  if (s.deadHistory) {
    // A history entry of a manifest deleted through the API: `not-a-revision`.
    const tagged = [...model.repos].find(([, r]) => r.tags.size > 0);
    if (tagged) t.history(tagged[0], [...tagged[1].tags.keys()][0]!, computeDigest(`deleted through the API from ${tagged[0]}`));
  }
  if (s.deletedImage !== null) {
    const name = REPOS[s.deletedImage]!;
    const image = t.image(name, { layers: [`layer of an image deleted from ${name}`], sharedLayers: [pool[0]!], config: `deleted config ${name}` });
    model.record(name, image.manifest, { blobs: [image.config, ...image.layers].map((d) => d.digest), children: [], subject: undefined }, undefined);
    // DELETE /v2/<name>/manifests/<digest>: the revision goes, a history entry of it stays behind.
    fs.rmSync(t.layout.revisionDir(name, image.manifest.digest), { recursive: true });
    model.repo(name).revisions.delete(image.manifest.digest);
    model.deleted.push({ repo: name, digest: image.manifest.digest });
    const tagged = [...model.repo(name).tags.keys()][0];
    if (tagged !== undefined) t.history(name, tagged, image.manifest.digest);
  }
  if (s.danglingLink !== null) {
    const name = REPOS[s.danglingLink]!;
    const missing = computeDigest(`never pushed to ${name}`);
    t.layerLink(name, missing);
    model.repo(name).links.add(missing);
  }
  const options: CollectOptions = { deleteUntagged: true, pruneLayerLinks: s.prune, removeEmptyRepositories: s.removeEmpty };
  return { s, root: t.root, twin: copyTree(t.root), model, options };
}
