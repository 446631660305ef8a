/**
 * Offline goldens (issue 4): trees that Debian's docker-registry 2.8.2 wrote
 * through its API, with what its own `garbage-collect --dry-run [-m]` said
 * about them, recorded by `npm run record-fixtures` into fixtures/reference/.
 * No registry binary is needed here: on any machine, collectGarbage on a copy
 * of each tree must
 *   - without -m, delete exactly the blobs the reference deleted;
 *   - with -m, delete exactly the reference's blobs and manifests minus the
 *     recorded divergence (the reference's known losses, distribution #3178),
 *     which the model must still predict from the recorded scenario;
 *   - collect exactly the stale uploads (their `startedat` is rewritten
 *     against this test's clock), touch nothing in a dry run, and after a real
 *     -m run leave every file a pull of each expected ref needs.
 */
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { collectGarbage } from '../../src/collect/collect-garbage.js';
import { expectedDivergence, manifestKey, pullClosure, stateAfterRegistryGc } from '../../harness/gc-model.js';
import { GOLDEN_DIR, loadGoldens, recreateEmptyDirectories, type Golden } from '../../harness/golden.js';
import { V2, applyUploadAges } from '../../harness/scenarios.js';
import { copyTree, snapshot } from '../../harness/tree.js';

const goldens = loadGoldens();
const minus = (a: readonly string[], b: readonly string[]): string[] => a.filter((x) => !b.includes(x));
const blobPath = (root: string, digest: string): string => join(root, V2, 'blobs', 'sha256', digest.slice(7, 9), digest.slice(7), 'data');

const copies: string[] = [];
afterEach(() => {
  for (const dir of copies.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A private copy of the recorded tree, as the registry left it, with uploads aged against now. */
async function prepare(golden: Golden): Promise<string> {
  const root = copyTree(join(GOLDEN_DIR, golden.scenario));
  copies.push(root);
  recreateEmptyDirectories(root, golden.emptyDirectories);
  await applyUploadAges(root, golden.state.uploads, Date.now());
  return root;
}

describe('offline goldens recorded from docker-registry 2.8.2', () => {
  it('are present and cover index children and referrers', () => {
    expect(goldens.map((g) => g.scenario)).toEqual(
      expect.arrayContaining(['docker-manifest-list', 'oci-index', 'referrer-of-live-image', 'stale-and-fresh-uploads']),
    );
    // Each golden's tree is there, and the divergence it records is not vacuous everywhere.
    for (const g of goldens) expect(existsSync(join(GOLDEN_DIR, g.scenario, V2, 'blobs')), g.scenario).toBe(true);
    expect(goldens.some((g) => g.expectedDivergence.deleteUntagged.blobs.length > 0)).toBe(true);
  });

  describe.each(goldens.map((g) => [g.scenario, g] as const))('%s', (_, golden) => {
    const ref = golden.reference;
    const refManifests = ref.dryRunDeleteUntagged.manifests.map((m) => manifestKey(m.repository ?? '', m.digest)).sort();

    it('records a divergence the model still predicts from the recorded scenario', () => {
      expect(expectedDivergence(golden.state, 'default')).toEqual(golden.expectedDivergence.default);
      expect(expectedDivergence(golden.state, 'deleteUntagged')).toEqual(golden.expectedDivergence.deleteUntagged);
      expect(golden.expectedDivergence.default).toEqual({ blobs: [], manifests: [] });
    });

    it('dry run without -m: the same blobs as the reference, the stale uploads, nothing touched', async () => {
      const root = await prepare(golden);
      const before = snapshot(root);
      const report = await collectGarbage(root, { dryRun: true, deleteUntagged: false });
      expect(report.errors).toEqual([]);
      expect(report.blobs.deleted.map((b) => b.digest)).toEqual(ref.dryRun.blobs);
      expect(report.manifests.deleted).toEqual([]);
      expect(report.uploads.deleted.map((u) => u.id).sort()).toEqual(golden.expect.staleUploads);
      expect(snapshot(root)).toEqual(before);
    });

    it('dry run with -m: the reference minus exactly the recorded divergence', async () => {
      const root = await prepare(golden);
      const before = snapshot(root);
      const report = await collectGarbage(root, { dryRun: true, deleteUntagged: true });
      const divergence = golden.expectedDivergence.deleteUntagged;
      expect(report.errors).toEqual([]);
      expect(report.blobs.deleted.map((b) => b.digest)).toEqual(minus(ref.dryRunDeleteUntagged.blobs, divergence.blobs));
      expect(report.manifests.deleted.map((m) => manifestKey(m.repository, m.digest)).sort()).toEqual(minus(refManifests, divergence.manifests));
      // The divergence is a subset of what the reference deletes: registry-gc only ever keeps more.
      expect(minus(divergence.blobs, ref.dryRunDeleteUntagged.blobs)).toEqual([]);
      expect(minus(divergence.manifests, refManifests)).toEqual([]);
      expect(report.uploads.deleted.map((u) => u.id).sort()).toEqual(golden.expect.staleUploads);
      expect(snapshot(root)).toEqual(before);
    });

    it('a real -m run keeps every file a pull of each expected ref needs, and a second run finds nothing', async () => {
      const root = await prepare(golden);
      const report = await collectGarbage(root, { deleteUntagged: true });
      expect(report.errors).toEqual([]);
      const after = stateAfterRegistryGc(golden.state, 'deleteUntagged');
      const refs = [
        ...golden.expect.tagged.map((t) => [t.repository, t.digest] as const),
        ...golden.expect.indexChildren.flatMap((i) => i.children.map((c) => [i.repository, c] as const)),
        ...golden.expect.referrers.map((r) => [r.repository, r.digest] as const),
      ];
      for (const [repository, digest] of refs) {
        const needed = pullClosure(after, repository, digest);
        expect(needed, `${repository}@${digest} pullable`).toBeDefined();
        for (const d of needed ?? []) expect(existsSync(blobPath(root, d)), `${repository}@${digest} needs ${d}`).toBe(true);
        expect(existsSync(join(root, V2, 'repositories', repository, '_manifests', 'revisions', 'sha256', digest.slice(7), 'link'))).toBe(true);
      }
      for (const d of report.blobs.deleted) expect(existsSync(blobPath(root, d.digest))).toBe(false);
      const again = await collectGarbage(root, { dryRun: true, deleteUntagged: true });
      expect([again.blobs.deleted, again.manifests.deleted, again.uploads.deleted]).toEqual([[], [], []]);
    });
  });
});
