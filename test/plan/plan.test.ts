/**
 * Plan and apply through the library (issue 7): a plan lists what a dry run
 * would delete, with reasons and a fingerprint; apply deletes only what the
 * plan lists AND a fresh mark still finds deletable, keeps what those kept
 * items need, reports every skipped item with its reason, and leaves new
 * garbage alone. Every outcome is checked on disk.
 */
import fs from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Digest } from '../../src/registry/digest.js';
import { RegistryGcError } from '../../src/report/errors.js';
import { collectGarbage } from '../../src/collect/collect-garbage.js';
import type { CollectOptions } from '../../src/collect/options.js';
import { applyPlan, makePlan, parsePlan, PLAN_CATEGORIES, type Plan, type PlanCategory, type PlanItems, type PlannedItem } from '../../src/plan/plan.js';
import type { Report } from '../../src/report/report.js';
import { blobExists, copyTree, snapshot, tempDir, TreeBuilder } from '../../harness/tree.js';
import { brokenRevisions, imageBlobs } from '../support/servable.js';

const NOW = new Date('2026-11-29T12:00:00Z');
const LATER = new Date('2026-11-29T13:00:00Z');
const STALE = '2026-11-01T00:00:00Z';
const FRESH = '2026-11-29T11:30:00Z';
const ALL: CollectOptions = { deleteUntagged: true, pruneLayerLinks: true, removeEmptyRepositories: true };

/** `category item-identity`, the way a test names an item. */
function keyOf(category: PlanCategory, item: PlannedItem | Record<string, unknown>): string {
  const i = item as Record<string, unknown>;
  const parts = [i['repository'], i['tag'], i['id'], i['digest']].filter((p) => p !== undefined);
  return `${category} ${parts.join(' ')}`;
}

function keys(items: PlanItems): string[] {
  return PLAN_CATEGORIES.flatMap((c) => items[c].map((item) => keyOf(c, item))).sort();
}

function reportKeys(report: Report): string[] {
  const categories: Record<PlanCategory, readonly object[]> = {
    tags: report.tags.deleted,
    manifests: report.manifests.deleted,
    blobs: report.blobs.deleted,
    layerLinks: report.layerLinks.deleted,
    tagHistory: report.tagHistory.deleted,
    uploads: report.uploads.deleted,
    repositories: report.repositories.deleted,
  };
  return PLAN_CATEGORIES.flatMap((c) => categories[c].map((item) => keyOf(c, item as Record<string, unknown>))).sort();
}


/**
 * A registry with one of everything a plan can list:
 * - `app`: a tagged image (kept), untagged images `untagged` and `old`, a dead tag-history entry,
 *   a stale and a fresh upload, a link to a blob that is gone;
 * - `solo`: a repository holding only an untagged image (empty after -m);
 * - an orphan blob.
 */
function registry() {
  const t = new TreeBuilder(tempDir());
  const kept = t.image('app', { tag: 'v1' });
  const untagged = t.image('app');
  const old = t.image('app');
  t.history('app', 'v1', `sha256:${'d'.repeat(64)}` as Digest);
  t.upload('app', 'stale-upload', STALE, 'half a layer');
  t.upload('app', 'fresh-upload', FRESH);
  const missing = `sha256:${'e'.repeat(64)}` as Digest;
  t.layerLink('app', missing);
  const solo = t.image('solo');
  const orphan = t.blob('pushed, never referenced');
  return { t, kept, untagged, old, solo, orphan, missing };
}

describe('makePlan', () => {
  it('lists what a dry run would delete, each item with its reason and size, and deletes nothing', async () => {
    const { t, untagged, old, solo, orphan, missing } = registry();
    const before = snapshot(t.root);
    const plan = await makePlan(t.root, { ...ALL, now: NOW });
    expect(snapshot(t.root)).toEqual(before);

    const dry = await collectGarbage(t.root, { ...ALL, now: NOW, dryRun: true });
    expect(keys(plan.items)).toEqual(reportKeys(dry));
    expect(plan).toMatchObject({ format: 'registry-gc-plan', formatVersion: 1, root: t.root, createdAt: NOW.toISOString() });
    expect(plan.options).toEqual({
      deleteUntagged: true,
      pruneLayerLinks: true,
      removeEmptyRepositories: true,
      keepUploads: false,
      uploadAge: 168 * 3_600_000,
      minAge: 0,
      maxManifestBytes: 4 * 1024 * 1024,
    });
    expect(plan.items.manifests).toEqual(
      [untagged, old]
        .map((i) => ({ repository: 'app', digest: i.manifest.digest, reason: 'untagged' }))
        .concat([{ repository: 'solo', digest: solo.manifest.digest, reason: 'untagged' }])
        .sort((a, b) => a.repository.localeCompare(b.repository) || a.digest.localeCompare(b.digest)),
    );
    const blob = plan.items.blobs.find((b) => b.digest === orphan.digest);
    expect(blob).toEqual({ digest: orphan.digest, size: orphan.size, reason: 'unreferenced' });
    for (const d of [...imageBlobs(untagged), ...imageBlobs(old), ...imageBlobs(solo)]) {
      expect(plan.items.blobs.map((b) => b.digest)).toContain(d);
    }
    expect(plan.items.layerLinks).toContainEqual({ repository: 'app', digest: missing, reason: 'blob-missing' });
    expect(plan.items.layerLinks).toContainEqual({ repository: 'app', digest: untagged.config.digest, reason: 'blob-deleted' });
    expect(plan.items.tagHistory).toEqual([{ repository: 'app', tag: 'v1', digest: `sha256:${'d'.repeat(64)}`, reason: 'not-a-revision' }]);
    expect(plan.items.uploads).toEqual([
      { repository: 'app', id: 'stale-upload', size: expect.any(Number), startedAt: STALE, reason: 'stale' },
    ]);
    expect(plan.items.uploads[0]!.size).toBeGreaterThan('half a layer'.length);
    expect(plan.items.repositories).toEqual([{ repository: 'solo', reason: 'empty' }]);
    expect(plan.totals.bytes).toBe(dry.blobs.deletedBytes + dry.uploads.deletedBytes);
    expect(plan.totals.items).toBe(keys(plan.items).length);
    expect(plan.scanned).toEqual({ repositories: 2, tags: 1, manifests: 4, blobs: dry.blobs.total, markedDigests: dry.blobs.marked });
    for (const c of PLAN_CATEGORIES) {
      expect(plan.fingerprint.categories[c].count).toBe(plan.items[c].length);
      expect(plan.fingerprint.categories[c].sha256).toMatch(/^[0-9a-f]{64}$/);
    }
    // A plan survives a trip through JSON unchanged, and checks out.
    expect(parsePlan(JSON.parse(JSON.stringify(plan)))).toEqual(plan);
  });

  it('names the reason of a layer link pruned while its blob stays: unreferenced-in-repository', async () => {
    const t = new TreeBuilder(tempDir());
    const shared = t.blob('shared layer');
    t.image('a', { sharedLayers: [shared] }); // untagged: goes with -m
    t.image('a', { tag: 'keep' });
    t.image('b', { sharedLayers: [shared], tag: 'v1' });
    const plan = await makePlan(t.root, { deleteUntagged: true, pruneLayerLinks: true, now: NOW });
    expect(plan.items.layerLinks).toContainEqual({ repository: 'a', digest: shared.digest, reason: 'unreferenced-in-repository' });
    expect(plan.items.blobs.map((b) => b.digest)).not.toContain(shared.digest);
  });
});

describe('applyPlan', () => {
  it('on an unchanged tree deletes exactly what a run deletes, skipping nothing', async () => {
    const { t } = registry();
    const twin = copyTree(t.root);
    const plan = await makePlan(t.root, { ...ALL, now: NOW });
    const result = await applyPlan(plan, { now: LATER });
    const run = await collectGarbage(twin, { ...ALL, now: LATER });
    expect(keys(result.deleted)).toEqual(reportKeys(run));
    expect(keys(result.deleted)).toEqual(keys(plan.items));
    expect(result.skipped).toEqual([]);
    expect(keys(result.notInPlan)).toEqual([]);
    expect(result.deletedBytes).toBe(plan.totals.bytes);
    expect(result.dryRun).toBe(false);
    expect(snapshot(t.root)).toEqual(snapshot(twin));
    expect(brokenRevisions(t.root)).toEqual([]);
  });

  it('skips an image tagged between plan and apply (manifest, blobs, links) and deletes the rest of the plan', async () => {
    const { t, kept, untagged, old, orphan, missing } = registry();
    const plan = await makePlan(t.root, { ...ALL, now: NOW });
    expect(plan.items.manifests.map((m) => m.digest)).toContain(untagged.manifest.digest);

    // Meanwhile someone tags the untagged image.
    t.tag('app', 'rescued', untagged.manifest.digest);
    const result = await applyPlan(plan, { now: LATER });

    const skipped = new Map(result.skipped.map((s) => [keyOf(s.category, s.item), s]));
    expect(skipped.get(`manifests app ${untagged.manifest.digest}`)).toMatchObject({ reason: 'no-longer-unreferenced', message: expect.stringContaining('tag') });
    for (const d of imageBlobs(untagged)) expect(skipped.get(`blobs ${d}`)?.reason).toBe('no-longer-unreferenced');
    for (const d of [untagged.config.digest, ...untagged.layers.map((l) => l.digest)]) {
      expect(skipped.get(`layerLinks app ${d}`)?.reason).toBe('no-longer-unreferenced');
    }
    // Exactly those were skipped; everything else in the plan went.
    const skippedKeys = [...skipped.keys()].sort();
    expect(skippedKeys).toEqual(
      [
        `manifests app ${untagged.manifest.digest}`,
        ...imageBlobs(untagged).map((d) => `blobs ${d}`),
        ...[untagged.config.digest, ...untagged.layers.map((l) => l.digest)].map((d) => `layerLinks app ${d}`),
      ].sort(),
    );
    expect(keys(result.deleted)).toEqual(keys(plan.items).filter((k) => !skipped.has(k)));

    // On disk: the rescued image is complete, the rest of the plan is gone.
    for (const d of imageBlobs(untagged)) expect(blobExists(t.root, d)).toBe(true);
    for (const d of imageBlobs(kept)) expect(blobExists(t.root, d)).toBe(true);
    expect(fs.readFileSync(t.layout.revisionLink('app', untagged.manifest.digest), 'utf8')).toBe(untagged.manifest.digest);
    for (const l of untagged.layers) expect(fs.readFileSync(t.layout.layerLink('app', l.digest), 'utf8')).toBe(l.digest);
    for (const d of imageBlobs(old)) expect(blobExists(t.root, d)).toBe(false);
    expect(fs.existsSync(t.layout.revisionDir('app', old.manifest.digest))).toBe(false);
    expect(blobExists(t.root, orphan.digest)).toBe(false);
    expect(fs.existsSync(t.layout.layerLinkDir('app', missing))).toBe(false);
    expect(fs.existsSync(t.layout.uploadDir('app', 'stale-upload'))).toBe(false);
    expect(fs.existsSync(t.layout.uploadDir('app', 'fresh-upload'))).toBe(true);
    expect(fs.existsSync(t.layout.repositoryDir('solo'))).toBe(false);
    expect(brokenRevisions(t.root)).toEqual([]);
  });

  it('reports items that went meanwhile as gone, and deletes what is left', async () => {
    const { t, old, orphan } = registry();
    const plan = await makePlan(t.root, { ...ALL, now: NOW });
    // Someone cleaned a little by hand: the orphan blob, the old image's revision, the stale upload.
    fs.rmSync(t.layout.blobDir(orphan.digest), { recursive: true });
    fs.rmSync(t.layout.revisionDir('app', old.manifest.digest), { recursive: true });
    fs.rmSync(t.layout.uploadDir('app', 'stale-upload'), { recursive: true });
    const result = await applyPlan(plan, { now: LATER });
    const gone = result.skipped.filter((s) => s.reason === 'gone').map((s) => keyOf(s.category, s.item)).sort();
    expect(gone).toEqual([`blobs ${orphan.digest}`, `manifests app ${old.manifest.digest}`, 'uploads app stale-upload'].sort());
    expect(result.skipped.filter((s) => s.reason !== 'gone')).toEqual([]);
    // The old image's blobs were planned as well and are still garbage: they went.
    for (const d of imageBlobs(old)) expect(blobExists(t.root, d)).toBe(false);
    expect(result.deleted.blobs.length).toBe(plan.items.blobs.length - 1);
    expect(brokenRevisions(t.root)).toEqual([]);
  });

  it('leaves garbage that appeared after the plan alone, and keeps what it needs even when the plan lists it (full re-check)', async () => {
    const { t, old } = registry();
    const plan = await makePlan(t.root, { ...ALL, now: NOW });
    // After the plan: an orphan blob, and an untagged image that shares a layer with the planned `old` image.
    const newOrphan = t.blob('new garbage');
    const newcomer = t.image('app', { sharedLayers: [old.layers[0]!], layers: ['a layer of its own'] });
    const solo2 = t.image('solo'); // makes `solo` hold a manifest the plan does not list

    const result = await applyPlan(plan, { now: LATER, recheck: 'full' });
    // New garbage is reported, not deleted.
    const notInPlan = keys(result.notInPlan);
    expect(notInPlan).toContain(`blobs ${newOrphan.digest}`);
    expect(notInPlan).toContain(`manifests app ${newcomer.manifest.digest}`);
    expect(notInPlan).toContain(`manifests solo ${solo2.manifest.digest}`);
    expect(blobExists(t.root, newOrphan.digest)).toBe(true);
    for (const d of imageBlobs(newcomer)) expect(blobExists(t.root, d)).toBe(true);
    for (const d of imageBlobs(solo2)) expect(blobExists(t.root, d)).toBe(true);
    // The shared layer was planned (unreferenced then) and the fresh run would delete it, but the
    // newcomer stays (not approved) and needs it.
    const shared = result.skipped.find((s) => keyOf(s.category, s.item) === `blobs ${old.layers[0]!.digest}`);
    expect(shared).toMatchObject({ reason: 'needed-by-kept-item' });
    expect(blobExists(t.root, old.layers[0]!.digest)).toBe(true);
    // `solo` would be empty after a full run, but it keeps a manifest: not empty, not removed.
    expect(result.skipped.find((s) => s.category === 'repositories')).toMatchObject({ reason: 'needed-by-kept-item', item: { repository: 'solo' } });
    expect(fs.readFileSync(t.layout.revisionLink('solo', solo2.manifest.digest), 'utf8')).toBe(solo2.manifest.digest);
    // The old image itself went.
    expect(fs.existsSync(t.layout.revisionDir('app', old.manifest.digest))).toBe(false);
    expect(blobExists(t.root, old.manifest.digest)).toBe(false);
    expect(brokenRevisions(t.root)).toEqual([]);
    // Deleted ⊆ plan.
    const planned = new Set(keys(plan.items));
    for (const k of keys(result.deleted)) expect(planned.has(k)).toBe(true);
  });

  it('an upload replaced under the same id is "changed"; a repository that got a tag is "no-longer-empty" (full re-check)', async () => {
    const { t, solo } = registry();
    const plan = await makePlan(t.root, { ...ALL, now: NOW });
    fs.writeFileSync(t.layout.uploadStartedAt('app', 'stale-upload'), '2026-11-10T00:00:00Z');
    t.tag('solo', 'latest', solo.manifest.digest);
    const result = await applyPlan(plan, { now: LATER, recheck: 'full' });
    const reasons = new Map(result.skipped.map((s) => [keyOf(s.category, s.item), s.reason]));
    expect(reasons.get('uploads app stale-upload')).toBe('changed');
    expect(reasons.get('repositories solo')).toBe('no-longer-empty');
    expect(reasons.get(`manifests solo ${solo.manifest.digest}`)).toBe('no-longer-unreferenced');
    // The replaced upload is stale too, but the plan approved another one: it stays for a new plan.
    expect(fs.existsSync(t.layout.uploadDir('app', 'stale-upload'))).toBe(true);
    expect(keys(result.notInPlan)).toContain('uploads app stale-upload');
    expect(fs.existsSync(t.layout.revisionLink('solo', solo.manifest.digest))).toBe(true);
  });

  it('an image and its signature, both planned, both stay when the image is tagged meanwhile', async () => {
    const t = new TreeBuilder(tempDir());
    t.image('app', { tag: 'v1' });
    const image = t.image('app', { format: 'oci' });
    const signature = t.image('app', { format: 'oci', subject: image.manifest, artifactType: 'application/vnd.example.sig' });
    const plan = await makePlan(t.root, { deleteUntagged: true, now: NOW });
    expect(plan.items.manifests.map((m) => m.digest).sort()).toEqual([image.manifest.digest, signature.manifest.digest].sort());
    t.tag('app', 'v2', image.manifest.digest);
    const result = await applyPlan(plan, { now: LATER });
    expect(result.deleted.manifests).toEqual([]);
    expect(result.skipped.filter((s) => s.category === 'manifests').map((s) => s.reason)).toEqual(['no-longer-unreferenced', 'no-longer-unreferenced']);
    for (const d of [...imageBlobs(image), ...imageBlobs(signature)]) expect(blobExists(t.root, d)).toBe(true);
    expect(brokenRevisions(t.root)).toEqual([]);
  });

  it('an untagged manifest the plan does not list is kept while marking: its referrers stay too, even planned ones (full re-check)', async () => {
    const t = new TreeBuilder(tempDir());
    t.image('app', { tag: 'v1' });
    const image = t.image('app', { format: 'oci' });
    const signature = t.image('app', { format: 'oci', subject: image.manifest, artifactType: 'application/vnd.example.sig' });
    // At plan time the signature's subject is no revision (pushed referrer-first); it comes back afterwards.
    fs.rmSync(t.layout.revisionDir('app', image.manifest.digest), { recursive: true });
    const plan = await makePlan(t.root, { deleteUntagged: true, now: NOW });
    expect(plan.items.manifests.map((m) => m.digest)).toEqual([signature.manifest.digest]);
    expect(plan.items.blobs.map((b) => b.digest)).toEqual(expect.arrayContaining([...imageBlobs(image), ...imageBlobs(signature)]));
    t.revision('app', image.manifest.digest);

    // A full run would now delete both (the image is untagged); the plan approved only the signature.
    const fresh = await collectGarbage(t.root, { deleteUntagged: true, now: LATER, dryRun: true });
    expect(fresh.manifests.deleted.map((m) => m.digest).sort()).toEqual([image.manifest.digest, signature.manifest.digest].sort());
    const result = await applyPlan(plan, { now: LATER, recheck: 'full' });
    expect(result.deleted.manifests).toEqual([]);
    expect(result.deleted.blobs).toEqual([]);
    expect(result.skipped.find((s) => s.category === 'manifests')).toMatchObject({ reason: 'needed-by-kept-item', item: { digest: signature.manifest.digest } });
    expect(keys(result.notInPlan)).toEqual([`manifests app ${image.manifest.digest}`]);
    for (const d of [...imageBlobs(image), ...imageBlobs(signature)]) expect(blobExists(t.root, d)).toBe(true);
    expect(fs.readFileSync(t.layout.revisionLink('app', signature.manifest.digest), 'utf8')).toBe(signature.manifest.digest);
    expect(brokenRevisions(t.root)).toEqual([]);
  });

  it('dryRun deletes nothing and lists what a real apply then deletes', async () => {
    const { t, untagged } = registry();
    const plan = await makePlan(t.root, { ...ALL, now: NOW });
    t.tag('app', 'rescued', untagged.manifest.digest);
    const before = snapshot(t.root);
    const dry = await applyPlan(plan, { now: LATER, dryRun: true });
    expect(snapshot(t.root)).toEqual(before);
    expect(dry.dryRun).toBe(true);
    expect(dry.deleted.blobs.length).toBeGreaterThan(0);
    const real = await applyPlan(plan, { now: LATER });
    expect(keys(real.deleted)).toEqual(keys(dry.deleted));
    expect(real.skipped).toEqual(dry.skipped);
    for (const b of dry.deleted.blobs) expect(blobExists(t.root, b.digest)).toBe(false);
  });

  it('fails closed like a run: an unreadable kept manifest stops it before anything is deleted', async () => {
    const { t, kept } = registry();
    const plan = await makePlan(t.root, { ...ALL, now: NOW });
    fs.writeFileSync(t.layout.blobData(kept.manifest.digest), '{ not json');
    const before = snapshot(t.root);
    await expect(applyPlan(plan, { now: LATER })).rejects.toMatchObject({ code: 'E_MARK_INCOMPLETE' });
    expect(snapshot(t.root)).toEqual(before);
  });

  it('refuses a plan for another root, and a plan changed after it was written, before reading the tree', async () => {
    const { t } = registry();
    const other = registry().t;
    const plan = await makePlan(t.root, { ...ALL, now: NOW });
    const before = snapshot(t.root);
    const otherBefore = snapshot(other.root);

    const refused = async (input: unknown, root?: string) => {
      const error = await applyPlan(input, { now: LATER, ...(root ? { root } : {}) }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(RegistryGcError);
      expect((error as RegistryGcError).code).toBe('E_INVALID_PLAN');
      return (error as RegistryGcError).message;
    };
    expect(await refused(plan, other.root)).toContain(`this plan is for ${t.root}`);
    const edited = JSON.parse(JSON.stringify(plan)) as { items: { blobs: unknown[] }; root: string; options: { uploadAge: number } };
    edited.items.blobs.pop();
    expect(await refused(edited)).toContain('do not match its fingerprint (blobs)');
    const moved = { ...(JSON.parse(JSON.stringify(plan)) as Plan), root: other.root };
    expect(await refused(moved)).toContain('does not match its fingerprint');
    const retuned = JSON.parse(JSON.stringify(plan)) as { options: { uploadAge: number } };
    retuned.options.uploadAge = 0;
    expect(await refused(retuned)).toContain('does not match its fingerprint');
    expect(await refused({ format: 'something-else' })).toContain('not a registry-gc plan');
    expect(await refused({ ...plan, formatVersion: 2 })).toContain('version 2 is not supported');
    expect(await refused('{')).toContain('not a registry-gc plan');
    const hostile = JSON.parse(JSON.stringify(plan)) as { items: { blobs: Array<{ digest: string }> } };
    hostile.items.blobs[0]!.digest = '../../../../etc';
    expect(await refused(hostile)).toContain('not valid');
    // Each problem names the item and the field, and only the bad ones are named.
    const last = hostile.items.blobs.length - 1;
    hostile.items.blobs[last]!.digest = 'sha256:nothex';
    const problems = await applyPlan(hostile, { now: LATER }).then(
      () => [],
      (e: unknown) => (e as RegistryGcError).problems.map((p) => p.path),
    );
    expect(problems).toEqual(last === 0 ? ['items.blobs[0].digest'] : ['items.blobs[0].digest', `items.blobs[${last}].digest`]);

    expect(snapshot(t.root)).toEqual(before);
    expect(snapshot(other.root)).toEqual(otherBefore);
    // The same plan with its own root is fine.
    const ok = await applyPlan(plan, { now: LATER, root: `${t.root}/` });
    expect(keys(ok.deleted)).toEqual(keys(plan.items));
  });
});

describe('the allow hook of collectGarbage', () => {
  it('allow: () => false keeps every candidate, and a real run then deletes nothing', async () => {
    const { t } = registry();
    const before = snapshot(t.root);
    const asked = new Set<string>();
    const report = await collectGarbage(t.root, {
      ...ALL,
      now: NOW,
      allow: (c) => {
        asked.add(c.kind);
        return false;
      },
    });
    expect(reportKeys(report)).toEqual([]);
    expect(snapshot(t.root)).toEqual(before);
    expect([...asked].sort()).toEqual(['blob', 'layer-link', 'manifest', 'tag-history', 'upload']);
  });

  it('rejects an allow that is not a function', async () => {
    const { t } = registry();
    await expect(collectGarbage(t.root, { allow: 'everything' as never })).rejects.toMatchObject({ code: 'E_INVALID_OPTION' });
  });
});

describe('plan, change, apply over generated registries (fast-check)', () => {
  const change = fc.record({
    tagUntagged: fc.array(fc.nat(), { maxLength: 3 }),
    newImages: fc.array(fc.record({ layers: fc.uniqueArray(fc.nat(5), { maxLength: 2 }), tagged: fc.boolean() }), { maxLength: 3 }),
    newOrphans: fc.nat(2),
  });
  const scenario = fc.record({
    images: fc.array(fc.record({ repo: fc.nat(2), layers: fc.uniqueArray(fc.nat(5), { minLength: 1, maxLength: 3 }), tagged: fc.boolean(), oci: fc.boolean() }), { minLength: 1, maxLength: 8 }),
    indexes: fc.array(fc.record({ repo: fc.nat(2), children: fc.uniqueArray(fc.nat(), { minLength: 1, maxLength: 2 }), tagged: fc.boolean() }), { maxLength: 2 }),
    orphans: fc.nat(2),
    change,
  });
  const REPOS = ['a', 'a/b', 'c'];

  it('apply deletes only planned items a fresh run would delete, never breaks an image, and leaves new garbage', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async (s) => {
        const t = new TreeBuilder(tempDir());
        const pool = Array.from({ length: 6 }, (_, i) => t.blob(`pool layer ${i}`));
        const pushed: Array<{ repo: string; digest: Digest }> = [];
        s.images.forEach((img, i) => {
          const repo = REPOS[img.repo]!;
          const image = t.image(repo, { sharedLayers: img.layers.map((l) => pool[l]!), layers: [], format: img.oci ? 'oci' : 'docker', config: `config ${i}`, tag: img.tagged ? `t${i}` : undefined });
          pushed.push({ repo, digest: image.manifest.digest });
        });
        s.indexes.forEach((idx, i) => {
          const repo = REPOS[idx.repo]!;
          const children = [...new Set(idx.children.map((c) => pushed[c % pushed.length]!.digest))].map((digest) => ({ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest, size: 1 }));
          const index = t.index(repo, children, { tag: idx.tagged ? `i${i}` : undefined });
          pushed.push({ repo, digest: index.digest });
        });
        for (let i = 0; i < s.orphans; i++) t.blob(`orphan ${i}`);

        const plan = await makePlan(t.root, { ...ALL, now: NOW });
        // The change between plan and apply.
        const untaggedNow = plan.items.manifests;
        for (const n of s.change.tagUntagged) {
          const m = untaggedNow[n % Math.max(1, untaggedNow.length)];
          if (m) t.tag(m.repository, `rescued${n}`, m.digest);
        }
        s.change.newImages.forEach((img, i) => {
          t.image('c', { sharedLayers: img.layers.map((l) => pool[l]!), layers: [], config: `late config ${i}`, tag: img.tagged ? `late${i}` : undefined });
        });
        for (let i = 0; i < s.change.newOrphans; i++) t.blob(`late orphan ${i}`);

        const fresh = await collectGarbage(t.root, { ...ALL, now: LATER, dryRun: true });
        const result = await applyPlan(plan, { now: LATER });
        const planned = new Set(keys(plan.items));
        const freshKeys = new Set(reportKeys(fresh));
        for (const k of keys(result.deleted)) {
          expect(planned.has(k)).toBe(true);
          expect(freshKeys.has(k)).toBe(true);
        }
        // Every planned item is either deleted or skipped with a reason, never both.
        expect(keys(result.deleted).length + result.skipped.length).toBe(planned.size);
        // What the plan does not list is still there.
        for (const b of result.notInPlan.blobs) expect(blobExists(t.root, b.digest)).toBe(true);
        for (const m of result.notInPlan.manifests) expect(fs.existsSync(t.layout.revisionLink(m.repository, m.digest))).toBe(true);
        expect(brokenRevisions(t.root)).toEqual([]);
        fs.rmSync(t.root, { recursive: true, force: true });
      }),
      { numRuns: 40 },
    );
  }, 120_000);
});
