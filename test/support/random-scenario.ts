/**
 * Random scenarios for the differential tests: a fast-check arbitrary of API
 * operations (push, retag, push by digest, index, referrer, copy to another
 * repository, delete, abandon an upload) and a driver that applies them to a
 * live registry through a ScenarioRegistry. Operations name their targets by
 * index into what exists at that point (modulo its length), so every
 * generated sequence is meaningful and shrinks well; an operation the
 * registry would refuse (an index over a deleted child) is skipped, never
 * sent, so that the record only holds what the registry accepted.
 */
import fc from 'fast-check';
import { randomLayer, type BuiltManifest, type RegistryClient } from '../../harness/registry-client.js';
import { deriveExpectations } from '../../harness/gc-model.js';
import { FRESH_UPLOAD_HOURS, STALE_UPLOAD_HOURS, ScenarioRegistry, type ScenarioOutcome } from '../../harness/scenarios.js';

export const RANDOM_REPOSITORIES = ['r', 'r/nested', 'other'] as const;
const TAGS = ['latest', 'v1', 'v2'] as const;
const LAYER_POOL = 6;
const CONFIG_POOL = 5;

export type Op =
  | { kind: 'image'; repo: number; tag: number | null; layers: number[]; config: number; oci: boolean }
  | { kind: 'index'; repo: number; tag: number | null; children: number[]; oci: boolean }
  | { kind: 'referrer'; repo: number; subject: number; layer: number }
  | { kind: 'retag'; repo: number; tag: number; target: number }
  | { kind: 'copy'; from: number; to: number; target: number; tag: number | null }
  | { kind: 'delete'; repo: number; target: number }
  | { kind: 'upload'; repo: number; stale: boolean };

const repo = fc.nat(RANDOM_REPOSITORIES.length - 1);
const tag = fc.nat(TAGS.length - 1);
const pick = fc.nat(31);

const imageOp = fc.record({
  kind: fc.constant('image' as const),
  repo,
  tag: fc.option(tag, { nil: null }),
  layers: fc.uniqueArray(fc.nat(LAYER_POOL - 1), { minLength: 1, maxLength: 3 }),
  config: fc.nat(CONFIG_POOL - 1),
  oci: fc.boolean(),
});

export const opArbitrary: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: imageOp },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('index' as const), repo, tag: fc.option(tag, { nil: null }), children: fc.uniqueArray(pick, { minLength: 1, maxLength: 3 }), oci: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('referrer' as const), repo, subject: pick, layer: fc.nat(LAYER_POOL - 1) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('retag' as const), repo, tag, target: pick }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('copy' as const), from: repo, to: repo, target: pick, tag: fc.option(tag, { nil: null }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('delete' as const), repo, target: pick }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('upload' as const), repo, stale: fc.boolean() }) },
);

/**
 * A few dozen operations at most: each is one or a few HTTP requests. The
 * first pushes an image: on a registry that never stored anything there is
 * no `repositories/` folder, and the reference fails ("Path not found").
 */
export const opsArbitrary: fc.Arbitrary<Op[]> = fc
  .tuple(imageOp, fc.array(opArbitrary, { minLength: 3, maxLength: 29 }))
  .map(([first, rest]) => [first, ...rest]);

const layerBytes = (i: number): Uint8Array => randomLayer(`pool-${i}`, 96 + 64 * i);
const nth = <T>(xs: readonly T[], i: number): T | undefined => (xs.length === 0 ? undefined : xs[i % xs.length]);
const repoName = (i: number): string => RANDOM_REPOSITORIES[i] ?? 'r';
const tagName = (i: number | null): string | undefined => (i === null ? undefined : TAGS[i]);

/** Applies `ops`; returns the record and what must survive, derived from it. */
export async function runOps(client: RegistryClient, ops: readonly Op[]): Promise<ScenarioOutcome> {
  const r = new ScenarioRegistry(client);
  /** Per repository, every manifest ever pushed there, in push order (deleted ones included). */
  const history = new Map<string, string[]>();
  const pushed = (name: string, m: BuiltManifest): void => {
    const list = history.get(name) ?? [];
    if (!list.includes(m.digest)) list.push(m.digest);
    history.set(name, list);
  };
  /** The registry accepts an index only over children that are revisions of the repository. */
  const pushable = (name: string, digest: string): boolean =>
    (r.manifestFacts(digest)?.children ?? []).every((child) => r.revisions(name).includes(child));

  for (const [step, op] of ops.entries()) {
    switch (op.kind) {
      case 'image': {
        const name = repoName(op.repo);
        const m = await r.pushImage(name, { seed: `cfg-${op.config}`, layers: op.layers.map(layerBytes), oci: op.oci, ...(op.tag === null ? {} : { tag: tagName(op.tag) }) });
        pushed(name, m);
        break;
      }
      case 'index': {
        const name = repoName(op.repo);
        const images = r.revisions(name).filter((d) => (r.manifestFacts(d)?.children.length ?? 0) === 0);
        const children = [...new Set(op.children.map((i) => nth(images, i)).filter((d) => d !== undefined))];
        const built = children.map((d) => r.builtManifest(d)).filter((m) => m !== undefined);
        if (built.length === 0) break;
        pushed(name, await r.pushIndex(name, built, op.oci ? 'oci' : 'docker', tagName(op.tag)));
        break;
      }
      case 'referrer': {
        // Any manifest ever pushed here, deleted ones included: a referrer of a deleted image.
        const name = repoName(op.repo);
        const subject = nth(history.get(name) ?? [], op.subject);
        const built = subject === undefined ? undefined : r.builtManifest(subject);
        if (!built) break;
        const m = await r.pushImage(name, {
          seed: `referrer-${step}`,
          layers: [layerBytes(op.layer)],
          subject: built,
          artifactType: 'application/vnd.example.signature.v1+json',
        });
        pushed(name, m);
        break;
      }
      case 'retag': {
        // Pushing a manifest again under a tag; a deleted one comes back as a revision.
        const name = repoName(op.repo);
        const target = nth(history.get(name) ?? [], op.target);
        const built = target === undefined ? undefined : r.builtManifest(target);
        if (!built || !pushable(name, built.digest)) break;
        await r.pushManifest(name, built, tagName(op.tag));
        break;
      }
      case 'copy': {
        // What `crane copy` does for an image: mount its blobs, then push the same bytes.
        const from = repoName(op.from);
        const to = repoName(op.to);
        const target = nth(r.revisions(from).filter((d) => (r.manifestFacts(d)?.children.length ?? 0) === 0), op.target);
        const built = target === undefined ? undefined : r.builtManifest(target);
        if (!built || from === to) break;
        for (const blob of r.manifestFacts(built.digest)?.blobs ?? []) if (!r.hasLayer(to, blob)) await r.mountBlob(to, blob, from);
        await r.pushManifest(to, built, tagName(op.tag));
        pushed(to, built);
        break;
      }
      case 'delete': {
        const name = repoName(op.repo);
        const target = nth(r.revisions(name), op.target);
        if (target !== undefined) await r.deleteManifest(name, target);
        break;
      }
      case 'upload': {
        const name = repoName(op.repo);
        await r.abandonUpload(name, op.stale ? STALE_UPLOAD_HOURS : FRESH_UPLOAD_HOURS, randomLayer(`upload-${step}`, 64 + step));
        break;
      }
    }
  }
  const state = r.state();
  return { state, expect: deriveExpectations(state) };
}
