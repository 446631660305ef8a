/**
 * Issue 13, safety 1: a folder of repository data under a name the collector
 * does not accept (a stray) is left alone, and left alone means whole.
 * Nothing in it is deleted, and every blob its manifests name stays (its
 * untagged ones too, with -m and every cleanup option); a stray whose
 * manifests cannot be read stops the run before anything is deleted; a stray
 * that appears between `plan` and `apply` keeps what it names as well.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { collectGarbage } from '../../src/collect/collect-garbage.js';
import { applyPlan, makePlan } from '../../src/plan/plan.js';
import { RegistryGcError } from '../../src/report/errors.js';
import { blobExists, snapshot, tempDir, TreeBuilder } from '../../harness/tree.js';
import { imageBlobs } from '../support/servable.js';

const ALL = { deleteUntagged: true, pruneLayerLinks: true, removeEmptyRepositories: true };

/** A registry with one kept image, one garbage blob, and a stray `Team/App` holding a tagged and an untagged image. */
function withStray(strayName = 'Team/App') {
  const t = new TreeBuilder(tempDir());
  const kept = t.image('app', { tag: 'v1' });
  const garbage = t.blob('nobody names this');
  const tagged = t.image('moved', { tag: 'v1', layers: ['only the stray names this'] });
  const untagged = t.image('moved', { layers: ['an untagged image of the stray'] });
  const stray = path.join(t.layout.repositoriesDir, strayName);
  fs.mkdirSync(path.dirname(stray), { recursive: true });
  fs.renameSync(t.layout.repositoryDir('moved'), stray);
  return { t, kept, garbage, tagged, untagged, stray };
}

const below = (files: Map<string, number>, dir: string, root: string) => [...files].filter(([file]) => path.join(root, file).startsWith(`${dir}/`));

describe('a stray folder of repository data', () => {
  for (const name of ['Team/App', '_restored/app', 'app@broken', `${'a'.repeat(200)}/${'b'.repeat(100)}`]) {
    it(`"${name.slice(0, 40)}": nothing in it deleted, every blob its manifests name kept, with -m and every cleanup option`, async () => {
      const { t, kept, garbage, tagged, untagged, stray } = withStray(name);
      const before = below(snapshot(t.root), stray, t.root);
      const report = await collectGarbage(t.root, ALL);
      expect(report.blobs.deleted.map((b) => b.digest)).toEqual([garbage.digest]);
      for (const digest of [...imageBlobs(kept), ...imageBlobs(tagged), ...imageBlobs(untagged)]) expect(blobExists(t.root, digest), digest).toBe(true);
      expect(below(snapshot(t.root), stray, t.root)).toEqual(before);
      const warning = report.warnings.find((w) => w.code === 'repository_name_invalid' && w.message.includes('kept'));
      expect(warning?.message).toMatch(/left alone: nothing in it is deleted, and its manifests and every blob they reference are kept/);
      // A second run agrees: nothing more to delete.
      const again = await collectGarbage(t.root, { ...ALL, dryRun: true });
      expect(again.blobs.deleted).toEqual([]);
    });
  }

  it('whose manifest cannot be read: the run fails closed, nothing is deleted', async () => {
    const { t, untagged, stray } = withStray();
    // The untagged manifest's blob is replaced by something that is no manifest.
    fs.writeFileSync(t.layout.blobData(untagged.manifest.digest), '{ not json');
    const before = snapshot(t.root);
    const error = await collectGarbage(t.root, ALL).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RegistryGcError);
    expect((error as RegistryGcError).code).toBe('E_MARK_INCOMPLETE');
    expect(snapshot(t.root)).toEqual(before);
    expect(fs.existsSync(stray)).toBe(true);
  });

  it('that appears between plan and apply keeps what it names: apply spares those planned blobs', async () => {
    const t = new TreeBuilder(tempDir());
    t.image('app', { tag: 'v1' });
    const orphaned = t.image('old', { layers: ['planned, then named by a stray'] });
    const plan = await makePlan(t.root, ALL);
    expect(plan.items.blobs.map((b) => b.digest)).toEqual(expect.arrayContaining(imageBlobs(orphaned)));
    // Someone restores the repository under a name the collector does not accept.
    fs.renameSync(t.layout.repositoryDir('old'), path.join(t.layout.repositoriesDir, 'Old'));
    const result = await applyPlan(plan);
    expect(result.recheck.mode).toBe('incremental');
    for (const digest of imageBlobs(orphaned)) expect(blobExists(t.root, digest), digest).toBe(true);
    expect(result.skipped.filter((s) => s.category === 'blobs').map((s) => s.reason)).toEqual(imageBlobs(orphaned).map(() => 'no-longer-unreferenced'));
  });
});

describe('a revision folder left alone for its name', () => {
  for (const [what, folder] of [
    ['a bad digest name', (hex: string) => path.join('sha256', `${hex.slice(0, 10)}-copy`)],
    ['an unknown algorithm folder', (hex: string) => path.join('md5', hex.slice(0, 32))],
  ] as const) {
    it(`${what}: what its link names is kept (with -m and every cleanup option), and the folder stays as it is`, async () => {
      const t = new TreeBuilder(tempDir());
      t.image('app', { tag: 'v1' });
      // The only thing that names this image is an odd folder whose link holds its digest.
      const image = t.image('solo', { layers: ['named only by an odd revision folder'] });
      const hex = image.manifest.digest.slice('sha256:'.length);
      fs.rmSync(t.layout.revisionDir('solo', image.manifest.digest), { recursive: true });
      const odd = path.join(t.layout.revisionsDir('solo'), folder(hex));
      fs.mkdirSync(odd, { recursive: true });
      fs.writeFileSync(path.join(odd, 'link'), image.manifest.digest);
      const report = await collectGarbage(t.root, ALL);
      for (const digest of imageBlobs(image)) expect(blobExists(t.root, digest), digest).toBe(true);
      expect(fs.readFileSync(path.join(odd, 'link'), 'utf8')).toBe(image.manifest.digest);
      expect(report.repositories.deleted).toEqual([]);
      expect(report.warnings.some((w) => w.code === 'odd_revision_kept')).toBe(true);
    });
  }
});
