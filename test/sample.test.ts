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
import type { Digest } from '../src/digest.js';
import { collectGarbage } from '../src/gc.js';
import { RegistryLayout } from '../src/layout.js';
import { parseManifest } from '../src/manifest.js';
import { copyTree, snapshot } from './support/tree.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
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
    expect(plain.warnings).toEqual([]);
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
