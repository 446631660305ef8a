/**
 * Properties over generated registries (fast-check). A small model of pushes
 * (images over a shared layer pool, indexes over earlier manifests, referrers,
 * tags, orphan blobs) is written to disk with the tree builder; reachability is
 * computed independently from the model, not from the files, and compared with
 * what collectGarbage does on disk:
 *   - exactly the unreachable blobs (and untagged manifests) are deleted,
 *     so every reachable blob survives and every deleted one was unreachable;
 *   - dry-run lists exactly what the real run deletes, in every category;
 *   - a second run deletes nothing, in any category (every cleanup option on);
 *   - nothing outside docker/registry/v2 changes.
 */
import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Digest } from '../../src/registry/digest.js';
import { collectGarbage } from '../../src/collect/collect-garbage.js';
import { blobExists, snapshot, tempDir, TreeBuilder, type Descriptor } from '../../harness/tree.js';

const REPOSITORIES = ['a', 'a/b', 'c', 'team/x'] as const;

type Push =
  | { kind: 'image'; repo: number; layers: number[]; format: 'docker' | 'oci'; tag: number | null }
  | { kind: 'index'; repo: number; children: number[]; format: 'docker' | 'oci'; tag: number | null }
  | { kind: 'referrer'; repo: number; subject: number; layers: number[] };

const repo = fc.nat(REPOSITORIES.length - 1);
const tag = fc.option(fc.nat(3), { nil: null });
const push: fc.Arbitrary<Push> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('image' as const), repo, layers: fc.array(fc.nat(7), { minLength: 1, maxLength: 3 }), format: fc.constantFrom('docker' as const, 'oci' as const), tag }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('index' as const), repo, children: fc.array(fc.nat(), { minLength: 1, maxLength: 3 }), format: fc.constantFrom('docker' as const, 'oci' as const), tag }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('referrer' as const), repo, subject: fc.nat(), layers: fc.array(fc.nat(7), { maxLength: 1 }) }) },
);
const scenario = fc.record({ pushes: fc.array(push, { minLength: 1, maxLength: 12 }), orphans: fc.nat(3) });

interface Built {
  root: string;
  /** Every blob written. */
  blobs: Set<Digest>;
  /** Per repository: revisions, and tag → current target. */
  revisions: Map<string, Set<Digest>>;
  tags: Map<string, Map<string, Digest>>;
  /** Per manifest digest: the blobs and child manifests it names, and its subject. */
  refs: Map<Digest, { blobs: Digest[]; children: Digest[]; subject: Digest | undefined }>;
}

function build(s: { pushes: Push[]; orphans: number }): Built {
  const t = new TreeBuilder(tempDir());
  const layerPool = Array.from({ length: 8 }, (_, i) => t.blob(`pool layer ${i}`));
  const built: Built = { root: t.root, blobs: new Set(layerPool.map((l) => l.digest)), revisions: new Map(), tags: new Map(), refs: new Map() };
  const manifests: Descriptor[] = [];
  const record = (repoName: string, manifest: Descriptor, refs: { blobs: Digest[]; children: Digest[]; subject: Digest | undefined }, tagIndex: number | null) => {
    manifests.push(manifest);
    built.blobs.add(manifest.digest);
    for (const b of refs.blobs) built.blobs.add(b);
    built.refs.set(manifest.digest, refs);
    if (!built.revisions.has(repoName)) built.revisions.set(repoName, new Set());
    built.revisions.get(repoName)!.add(manifest.digest);
    if (tagIndex !== null) {
      if (!built.tags.has(repoName)) built.tags.set(repoName, new Map());
      built.tags.get(repoName)!.set(`t${tagIndex}`, manifest.digest);
    }
  };
  s.pushes.forEach((p, i) => {
    const repoName = REPOSITORIES[p.repo]!;
    const tagName = 'tag' in p && p.tag !== null ? `t${p.tag}` : undefined;
    if (p.kind === 'image') {
      const image = t.image(repoName, { sharedLayers: p.layers.map((l) => layerPool[l]!), layers: [], format: p.format, tag: tagName, config: `config ${i}` });
      record(repoName, image.manifest, { blobs: [image.config.digest, ...image.layers.map((l) => l.digest)], children: [], subject: undefined }, p.tag);
    } else if (p.kind === 'index') {
      if (manifests.length === 0) return;
      const children = [...new Set(p.children.map((c) => manifests[c % manifests.length]!))];
      const index = t.index(repoName, children, { format: p.format, tag: tagName });
      record(repoName, index, { blobs: [], children: children.map((c) => c.digest), subject: undefined }, p.tag);
    } else {
      if (manifests.length === 0) return;
      const subject = manifests[p.subject % manifests.length]!;
      const referrer = t.image(repoName, { format: 'oci', artifactType: 'application/vnd.example.sig', subject, sharedLayers: p.layers.map((l) => layerPool[l]!), layers: [], config: `referrer config ${i}` });
      record(repoName, referrer.manifest, { blobs: [referrer.config.digest, ...referrer.layers.map((l) => l.digest)], children: [], subject: subject.digest }, null);
    }
  });
  for (let i = 0; i < s.orphans; i++) {
    const orphan = t.blob(`orphan ${i}`);
    built.blobs.add(orphan.digest);
    t.layerLink(REPOSITORIES[i % REPOSITORIES.length]!, orphan.digest);
    t.upload(REPOSITORIES[i % REPOSITORIES.length]!, `upload-${i}`, i % 2 === 0 ? '2020-01-01T00:00:00Z' : '2026-11-29T11:00:00Z');
  }
  // Files outside v2 that must never change.
  fs.writeFileSync(path.join(t.root, 'outside-v2.txt'), 'sentinel');
  fs.writeFileSync(path.join(t.root, 'docker', 'registry', 'beside-v2.txt'), 'sentinel');
  return built;
}

/** Spec §3, computed from the model. */
function expected(b: Built, deleteUntagged: boolean): { blobs: Digest[]; manifests: string[] } {
  const marked = new Set<Digest>();
  const manifests: string[] = [];
  for (const [repoName, revisions] of b.revisions) {
    const kept = new Set<Digest>();
    const keep = (d: Digest): void => {
      if (kept.has(d)) return;
      kept.add(d);
      marked.add(d);
      const refs = b.refs.get(d);
      refs?.blobs.forEach((x) => marked.add(x));
      refs?.children.forEach(keep);
    };
    const tagged = [...(b.tags.get(repoName)?.values() ?? [])];
    (deleteUntagged ? tagged : [...revisions, ...tagged]).forEach(keep);
    for (let changed = true; changed; ) {
      changed = false;
      for (const d of revisions) {
        const subject = b.refs.get(d)?.subject;
        if (!kept.has(d) && subject && kept.has(subject)) {
          keep(d);
          changed = true;
        }
      }
    }
    for (const d of revisions) if (!kept.has(d)) manifests.push(`${repoName}@${d}`);
  }
  return { blobs: [...b.blobs].filter((d) => !marked.has(d)).sort(), manifests: manifests.sort() };
}

describe('properties over generated registries', () => {
  for (const deleteUntagged of [false, true]) {
    it(`${deleteUntagged ? '-m' : 'default'}: exactly the unreachable is deleted; dry-run = real run; second run deletes nothing; outside v2 untouched`, async () => {
      await fc.assert(
        fc.asyncProperty(scenario, async (s) => {
          const b = build(s);
          const want = expected(b, deleteUntagged);
          const outside = [...snapshot(b.root)].filter(([f]) => !f.startsWith(path.join('docker', 'registry', 'v2')));

          const options = { deleteUntagged, pruneLayerLinks: true, removeEmptyRepositories: true, now: new Date('2026-11-29T12:00:00Z') };
          const dry = await collectGarbage(b.root, { ...options, dryRun: true });
          const real = await collectGarbage(b.root, options);
          const again = await collectGarbage(b.root, options);
          const categories = (r: typeof real) => [r.blobs, r.manifests, r.layerLinks, r.uploads, r.tagHistory, r.repositories].map((c) => c.deleted);

          expect(real.blobs.deleted.map((d) => d.digest)).toEqual(want.blobs);
          expect(real.manifests.deleted.map((m) => `${m.repository}@${m.digest}`).sort()).toEqual(want.manifests);
          for (const d of b.blobs) expect(blobExists(b.root, d)).toBe(!want.blobs.includes(d));
          expect(categories(dry)).toEqual(categories(real));
          expect(categories(again)).toEqual([[], [], [], [], [], []]);
          expect([...snapshot(b.root)].filter(([f]) => !f.startsWith(path.join('docker', 'registry', 'v2')))).toEqual(outside);
          fs.rmSync(b.root, { recursive: true, force: true });
        }),
        { numRuns: 60 },
      );
    }, 120_000);
  }
});
