/**
 * What the plan and apply tests check of a tree after a deletion: every
 * revision left is still servable, and the blobs an image is made of.
 */
import fs from 'node:fs';
import type { Digest } from '../../src/registry/digest.js';
import { RegistryLayout } from '../../src/registry/layout.js';
import { parseManifest } from '../../src/registry/manifest.js';
import { listRepositories, readRepository } from '../../src/scan/model.js';
import { blobExists, type Image } from '../../harness/tree.js';

/** The blobs an image is made of: its manifest, config and layers. */
export const imageBlobs = (image: Image): Digest[] => [image.manifest.digest, image.config.digest, ...image.layers.map((l) => l.digest)];

/** Every revision left must be servable: its manifest blob, and every blob and child it names, exist. */
export function brokenRevisions(root: string): string[] {
  const layout = new RegistryLayout(root);
  const broken: string[] = [];
  const check = (repository: string, digest: Digest, seen: Set<Digest>): void => {
    if (seen.has(digest)) return;
    seen.add(digest);
    if (!blobExists(root, digest)) {
      broken.push(`${repository}: ${digest} missing`);
      return;
    }
    const manifest = parseManifest(fs.readFileSync(layout.blobData(digest)));
    for (const blob of manifest.blobs) if (!blobExists(root, blob)) broken.push(`${repository}: ${digest} needs ${blob}, missing`);
    for (const child of manifest.children) check(repository, child, seen);
  };
  for (const repository of listRepositories(root).value) {
    for (const revision of readRepository(root, repository).value.revisions) check(repository, revision, new Set());
  }
  return broken;
}
