/**
 * The bundled sample (fixtures/sample): the dry run shows the deletions the
 * sample was built to have, and a real -m run on a copy leaves every tagged
 * image complete: each manifest, every child of every index, every referrer
 * of a kept image, and every blob each of them names.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { Digest } from '../../src/registry/digest.js';
import { collectGarbage } from '../../src/collect/collect-garbage.js';
import { RegistryLayout } from '../../src/registry/layout.js';
import { parseManifest } from '../../src/registry/manifest.js';
import { copyTree, snapshot } from '../../harness/tree.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const sample = path.join(repoRoot, 'fixtures', 'sample');
const expected = JSON.parse(fs.readFileSync(path.join(repoRoot, 'fixtures', 'sample.expected.json'), 'utf8'));

/** Walks an image from its manifest as a pull would, asserting every blob it needs exists. */
function assertComplete(root: string, repository: string, digest: Digest): number {
  const layout = new RegistryLayout(root);
  expect(fs.existsSync(layout.revisionLink(repository, digest)), `${repository}@${digest} revision`).toBe(true);
  const manifest = parseManifest(fs.readFileSync(layout.blobData(digest)));
  let blobs = 1;
  for (const blob of manifest.blobs) {
    if (blob === `sha256:${'f'.repeat(64)}`) continue; // the sample's foreign layer, never in blobs/
    expect(fs.existsSync(layout.blobData(blob)), `${blob} of ${repository}@${digest}`).toBe(true);
    blobs++;
  }
  for (const child of manifest.children) blobs += assertComplete(root, repository, child);
  return blobs;
}

describe('fixtures/sample', () => {
  it('dry run lists exactly the orphans by default and the untagged images with -m', async () => {
    const before = snapshot(sample);
    const plain = await collectGarbage(sample, { dryRun: true });
    const untagged = await collectGarbage(sample, { dryRun: true, deleteUntagged: true });
    expect(plain.blobs.deleted.map((b) => b.digest)).toEqual(expected.default.blobs);
    expect(plain.manifests.deleted).toEqual([]);
    expect(untagged.blobs.deleted.map((b) => b.digest)).toEqual(expected.deleteUntagged.blobs);
    expect(untagged.manifests.deleted).toEqual(expected.deleteUntagged.manifests);
    expect(plain.warnings.map((w) => w.code)).toEqual(['upload_startedat_invalid']);
    expect(snapshot(sample)).toEqual(before);
  });

  it('-m on a copy keeps every tagged image, index child and referrer complete', async () => {
    const root = copyTree(sample);
    await collectGarbage(root, { deleteUntagged: true });
    let checked = 0;
    for (const [repository, tags] of Object.entries(expected.tagged as Record<string, Record<string, Digest>>)) {
      for (const [tag, digest] of Object.entries(tags)) {
        const layout = new RegistryLayout(root);
        expect(fs.readFileSync(layout.tagCurrentLink(repository, tag), 'utf8')).toBe(digest);
        checked += assertComplete(root, repository, digest);
      }
    }
    for (const referrer of expected.referrers as Digest[]) {
      const repository = ['library/app', 'library/multi'].find((r) => fs.existsSync(new RegistryLayout(root).revisionLink(r, referrer)));
      expect(repository, `referrer ${referrer} still a revision`).toBeDefined();
      checked += assertComplete(root, repository!, referrer);
    }
    expect(checked).toBeGreaterThan(20);
  });
});

describe('fixtures/sample, the whole report', () => {
  it('-m with every cleanup option, dry run, matches the report worked out by hand', async () => {
    // Worked out from scripts/make-sample.ts: v0, the signature of v0, worker's old image and
    // old/project's only image are untagged; their configs and own layers go, with the two
    // orphans; their layer links go, and so do team/service's link to an orphan; the upload
    // from 2025 is stale, the one from last night is not, the garbled one stays and warns;
    // library/app's history names a manifest deleted long ago; old/project ends up empty.
    const { durations, root, ...report } = await collectGarbage(sample, {
      dryRun: true,
      deleteUntagged: true,
      pruneLayerLinks: true,
      removeEmptyRepositories: true,
      now: new Date('2026-11-29T12:00:00Z'),
    });
    expect(Object.keys(durations).sort()).toEqual(
      ['discover', 'scan', 'blobs', 'mark', 'inspect-blobs', 'sweep-tags', 'sweep-manifests', 'sweep-blobs', 'sweep-layer-links', 'sweep-tag-history', 'sweep-uploads', 'sweep-repositories'].sort(),
    );
    expect(root).toBe(sample);
    expect(report).toEqual({
      dryRun: true,
      deleteUntagged: true,
      blobs: {
        total: 52,
        marked: 39,
        deleted: [
          { digest: 'sha256:0296f59d2ce8298fac7f5e6c9f15558b4b3705c85261a32b0ecbafb85c30039a', size: 728 },
          { digest: 'sha256:031b6d92ddc33e8e68b1586b6dfa7441885486d53811f3684bf3ac98a13a0867', size: 16 },
          { digest: 'sha256:153aee6183fbd18e8740caf26896ddd2712bb0264e572e270ecc73574a0b7cd0', size: 15 },
          { digest: 'sha256:1b868edc0c1eae3808c392b051856048eb1aa204f95a63fa71d1e4c266d16cbf', size: 11 },
          { digest: 'sha256:2202d1a2e755c743fef8437c76651901e852a6d79827300d298f53e46708d568', size: 143 },
          { digest: 'sha256:2681dce30943b95c09bc5ddbe24d5034cd263025e1e2941b40323fc379a287d2', size: 15 },
          { digest: 'sha256:3c1383047768f34724811d1902e4f176f81833940b1d3f6f2037f8670c470db2', size: 31 },
          { digest: 'sha256:4694ecbfcd5d9ff7784fd5c101dc8395b6c8db6d6f1c05e58bae59d5ca7fee19', size: 225 },
          { digest: 'sha256:5252c1b03b9c6c7424c8a768f48b56a60f597e3d83e074853bfcf54b7fe67ba5', size: 776 },
          { digest: 'sha256:82c60c6b6719013d163b55f5b93c1cc5b25c53563f76a87b19171fde3d8cb589', size: 217 },
          { digest: 'sha256:9ae7077593e9fa2e371c364cbab725db50841b4537ba8d39ee4db8a00c454209', size: 31 },
          { digest: 'sha256:c19f35bec7b064c085dd555ea26bdd0b572f71e9e69655761b89590f0015b209', size: 522 },
          { digest: 'sha256:c746511886f2b6a99676a4597d9c747dd36a26005db4e4e6747923b619d9d31f', size: 728 },
          { digest: 'sha256:cfb8f9a3ce2b6d28ff02f826d91f08b26757e40365988e01b0cf2e79fcab7a5d', size: 143 }
        ],
        deletedBytes: 3601,
        keptForAge: [],
      },
      manifests: {
        total: 18,
        keptForAge: [],
        deleted: [
          { repository: 'library/app', digest: 'sha256:0296f59d2ce8298fac7f5e6c9f15558b4b3705c85261a32b0ecbafb85c30039a' },
          { repository: 'library/app', digest: 'sha256:5252c1b03b9c6c7424c8a768f48b56a60f597e3d83e074853bfcf54b7fe67ba5' },
          { repository: 'old/project', digest: 'sha256:c19f35bec7b064c085dd555ea26bdd0b572f71e9e69655761b89590f0015b209' },
          { repository: 'team/service/worker', digest: 'sha256:c746511886f2b6a99676a4597d9c747dd36a26005db4e4e6747923b619d9d31f' }
        ],
      },
      layerLinks: {
        deleted: [
          { repository: 'library/app', digest: 'sha256:153aee6183fbd18e8740caf26896ddd2712bb0264e572e270ecc73574a0b7cd0' },
          { repository: 'library/app', digest: 'sha256:1b868edc0c1eae3808c392b051856048eb1aa204f95a63fa71d1e4c266d16cbf' },
          { repository: 'library/app', digest: 'sha256:2202d1a2e755c743fef8437c76651901e852a6d79827300d298f53e46708d568' },
          { repository: 'library/app', digest: 'sha256:82c60c6b6719013d163b55f5b93c1cc5b25c53563f76a87b19171fde3d8cb589' },
          { repository: 'old/project', digest: 'sha256:031b6d92ddc33e8e68b1586b6dfa7441885486d53811f3684bf3ac98a13a0867' },
          { repository: 'old/project', digest: 'sha256:cfb8f9a3ce2b6d28ff02f826d91f08b26757e40365988e01b0cf2e79fcab7a5d' },
          { repository: 'team/service', digest: 'sha256:3c1383047768f34724811d1902e4f176f81833940b1d3f6f2037f8670c470db2' },
          { repository: 'team/service/worker', digest: 'sha256:2681dce30943b95c09bc5ddbe24d5034cd263025e1e2941b40323fc379a287d2' },
          { repository: 'team/service/worker', digest: 'sha256:4694ecbfcd5d9ff7784fd5c101dc8395b6c8db6d6f1c05e58bae59d5ca7fee19' }
        ],
      },
      uploads: {
        deleted: [{ repository: 'team/service', id: '6f1d0a3c-58a9-4c2c-9f0e-0d7c2b1e4a11', size: 12 + 5 + 20, startedAt: '2025-01-01T00:00:00Z' }],
        deletedBytes: 37,
        keptForAge: [],
      },
      tagHistory: {
        deleted: [{ repository: 'library/app', tag: 'latest', digest: 'sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef' }],
      },
      repositories: { total: 6, deleted: [{ repository: 'old/project' }] },
      tags: { total: 8, deleted: [] },
      warnings: [
        {
          code: 'upload_startedat_invalid',
          path: 'docker/registry/v2/repositories/legacy/old/_uploads/9d2e4f10-3c5b-4a7d-8e6f-2a1b0c9d8e7f',
          message: 'startedat is not an RFC 3339 time: "last tuesday"; kept',
        },
      ],
      errors: [],
    });
  });
});
