/**
 * Minimal reproductions of the bugs that the properties of apply's
 * incremental re-check (recheck.property.test.ts) and the retention kill
 * points (crash-retention.test.ts) found, fixed since: kept as plain tests so
 * that each one reads as the story of its bug and fails alone, fast, if it
 * comes back.
 */
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { applyPlan, makePlan } from '../../src/plan/plan.js';
import { blobExists, tempDir, TreeBuilder } from '../../harness/tree.js';
import { keys } from '../support/recheck-model.js';
import { LATER, NOW, STALE, uuid } from '../support/recheck-scenarios.js';
import { writeLink } from '../support/recheck-writes.js';
import { RACY_MS } from '../../src/plan/versions.js';

describe('apply, incremental re-check: what the property found', () => {
  it('a blob mounted into a planned-empty repository after the plan keeps its link (the repository is used again)', async () => {
    const t = new TreeBuilder(tempDir('registry-gc-recheck-'));
    try {
      t.image('app', { tag: 'v1' });
      const layer = t.blob('a layer pushed, never referenced'); // planned: unreferenced
      t.upload('scratch', uuid('scratch upload'), STALE); // `scratch` holds only a stale upload: planned empty
      const plan = await makePlan(t.root, { deleteUntagged: true, removeEmptyRepositories: true, now: NOW });
      expect(keys(plan.items)).toContain('repositories scratch');
      expect(keys(plan.items)).toContain(`blobs ${layer.digest}`);
      // A client pushing into `scratch` mounts the layer (POST …/blobs/uploads/?mount=…&from=app); its manifest will follow.
      writeLink(t.layout.layerLink('scratch', layer.digest), layer.digest);
      const result = await applyPlan(plan, { now: LATER });
      expect(result.recheck.rescanned).toContain('scratch');
      expect(blobExists(t.root, layer.digest)).toBe(true); // spared: "a link to it in scratch was written since the plan"
      // …and so is `scratch` with the link: else the manifest put that follows would fail (blob unknown).
      expect(fs.existsSync(t.layout.layerLink('scratch', layer.digest))).toBe(true);
    } finally {
      fs.rmSync(t.root, { recursive: true, force: true });
    }
  });

  it('after an apply killed in its blob phase, applying again deletes the links of the blobs it had moved (without pruneLayerLinks)', async () => {
    const t = new TreeBuilder(tempDir('registry-gc-recheck-'));
    try {
      t.image('app', { tag: 'v1' });
      const old = t.image('app'); // untagged: its manifest, config, layer and their links are planned
      const plan = await makePlan(t.root, { deleteUntagged: true, now: NOW });
      const layerLinks = old.layers.map((l) => t.layout.layerLink('app', l.digest));
      expect(layerLinks.every((f) => fs.existsSync(f))).toBe(true);
      // What the killed apply had done: the manifest's revision, then the layer's blob, moved out.
      fs.rmSync(t.layout.revisionDir('app', old.manifest.digest), { recursive: true });
      fs.rmSync(t.layout.blobDir(old.layers[0]!.digest), { recursive: true });
      const again = await applyPlan(plan, { now: LATER });
      expect(again.report.errors).toEqual([]);
      // The links went although their blob was gone before this apply: it converges to what one whole apply leaves.
      expect(layerLinks.some((f) => fs.existsSync(f))).toBe(false);
      expect(blobExists(t.root, old.config.digest)).toBe(false);
    } finally {
      fs.rmSync(t.root, { recursive: true, force: true });
    }
  });

  it('after an apply killed half-way through a stale upload (its data moved, its startedat not yet), applying again finishes it', async () => {
    const t = new TreeBuilder(tempDir('registry-gc-recheck-'));
    try {
      t.image('app', { tag: 'v1' });
      t.upload('app', uuid('half'), STALE);
      await new Promise((resolve) => setTimeout(resolve, RACY_MS + 200));
      const plan = await makePlan(t.root, { deleteUntagged: true, now: NOW });
      expect(keys(plan.items)).toContain(`uploads app ${uuid('half')}`);
      // What the killed apply had done: every entry but startedat moved out (it goes last).
      const dir = t.layout.uploadDir('app', uuid('half'));
      for (const name of ['data', 'hashstates']) fs.rmSync(`${dir}/${name}`, { recursive: true });
      const again = await applyPlan(plan, { now: LATER });
      expect(keys(again.deleted)).toContain(`uploads app ${uuid('half')}`);
      expect(fs.existsSync(dir)).toBe(false);
    } finally {
      fs.rmSync(t.root, { recursive: true, force: true });
    }
  });

  it('reports a planned repository that is already gone as gone, not as deleted', async () => {
    const t = new TreeBuilder(tempDir('registry-gc-recheck-'));
    try {
      t.image('app', { tag: 'v1' });
      t.upload('scratch', uuid('scratch upload'), STALE);
      const plan = await makePlan(t.root, { deleteUntagged: true, removeEmptyRepositories: true, now: NOW });
      const first = await applyPlan(plan, { now: LATER });
      expect(keys(first.deleted)).toEqual(['repositories scratch', `uploads scratch ${uuid('scratch upload')}`]);
      expect(fs.existsSync(t.layout.repositoryDir('scratch'))).toBe(false);
      // Applied again (or `scratch` removed by hand before apply): `scratch` is gone, as the full re-check says; the incremental one used to report it deleted.
      const again = await applyPlan(plan, { now: LATER });
      expect(keys(again.deleted)).toEqual([]);
    } finally {
      fs.rmSync(t.root, { recursive: true, force: true });
    }
  });
});
