/**
 * Marking rules of spec §3, one by one, each on a tree built for it and run
 * through collectGarbage for real: what must survive is checked on disk.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { collectGarbage } from '../../src/collect/collect-garbage.js';
import { computeDigest, type Digest } from '../../src/registry/digest.js';
import { MediaType } from '../../src/registry/manifest.js';
import { blobExists, tempDir, TreeBuilder } from '../../harness/tree.js';

function fresh(): TreeBuilder {
  return new TreeBuilder(tempDir());
}

const deletedBlobs = (report: Awaited<ReturnType<typeof collectGarbage>>) => report.blobs.deleted.map((b) => b.digest);
const deletedManifests = (report: Awaited<ReturnType<typeof collectGarbage>>) => report.manifests.deleted.map((m) => `${m.repository}@${m.digest}`);

describe('retagged image', () => {
  it('default mode keeps every revision; -m deletes the untagged one and only its own blobs', async () => {
    const t = fresh();
    const shared = t.blob('shared base');
    const old = t.image('app', { sharedLayers: [shared], layers: ['old code'] });
    t.history('app', 'latest', old.manifest.digest);
    const now = t.image('app', { sharedLayers: [shared], layers: ['new code'], tag: 'latest' });

    const keepAll = await collectGarbage(t.root);
    expect(keepAll.blobs.deleted).toEqual([]);
    expect(keepAll.manifests.deleted).toEqual([]);

    const report = await collectGarbage(t.root, { deleteUntagged: true });
    expect(deletedManifests(report)).toEqual([`app@${old.manifest.digest}`]);
    expect(deletedBlobs(report).sort()).toEqual([old.manifest.digest, old.config.digest, old.layers[1]!.digest].sort());
    for (const d of [now.manifest, now.config, ...now.layers]) expect(blobExists(t.root, d.digest)).toBe(true);
    expect(fs.existsSync(t.layout.revisionDir('app', old.manifest.digest))).toBe(false);
    expect(fs.existsSync(t.layout.tagIndexEntryDir('app', 'latest', old.manifest.digest))).toBe(false);
    expect(fs.existsSync(t.layout.tagIndexEntryDir('app', 'latest', now.manifest.digest))).toBe(true);
    expect(fs.existsSync(t.layout.revisionLink('app', now.manifest.digest))).toBe(true);
  });

  it('a manifest with many tags is kept while any one of them remains', async () => {
    const t = fresh();
    const image = t.image('app', { tag: 'a' });
    for (const tag of ['b', 'c', 'd', 'e']) t.tag('app', tag, image.manifest.digest);
    const report = await collectGarbage(t.root, { deleteUntagged: true });
    expect(report.manifests.deleted).toEqual([]);
    expect(report.blobs.deleted).toEqual([]);
    expect(report.tags.total).toBe(5);
  });
});

describe('index children', () => {
  for (const format of ['docker', 'oci'] as const) {
    it(`a tagged ${format} list keeps its untagged children and their layers under -m`, async () => {
      const t = fresh();
      const amd = t.image('multi', { format: format === 'docker' ? 'docker' : 'oci' });
      const arm = t.image('multi', { format: format === 'docker' ? 'docker' : 'oci' });
      t.index('multi', [amd.manifest, arm.manifest], { format, tag: 'latest' });
      const report = await collectGarbage(t.root, { deleteUntagged: true });
      expect(report.manifests.deleted).toEqual([]);
      expect(report.blobs.deleted).toEqual([]);
      for (const image of [amd, arm]) {
        expect(fs.existsSync(t.layout.revisionLink('multi', image.manifest.digest))).toBe(true);
        for (const d of [image.manifest, image.config, ...image.layers]) expect(blobExists(t.root, d.digest)).toBe(true);
      }
    });
  }

  it('recurses through nested indexes', async () => {
    const t = fresh();
    const leaf = t.image('nest');
    const inner = t.index('nest', [leaf.manifest]);
    t.index('nest', [inner], { tag: 'top' });
    const report = await collectGarbage(t.root, { deleteUntagged: true });
    expect(report.manifests.deleted).toEqual([]);
    expect(report.blobs.deleted).toEqual([]);
  });

  it('an untagged index goes with its children when nothing else keeps them', async () => {
    const t = fresh();
    const child = t.image('multi');
    const index = t.index('multi', [child.manifest]);
    t.image('multi', { tag: 'other' });
    const report = await collectGarbage(t.root, { deleteUntagged: true });
    expect(deletedManifests(report).sort()).toEqual([`multi@${child.manifest.digest}`, `multi@${index.digest}`].sort());
    expect(deletedBlobs(report)).toContain(child.layers[0]!.digest);
  });

  it('keeps the blobs of a child that is a revision of another repository only', async () => {
    const t = fresh();
    const child = t.image('elsewhere');
    t.image('elsewhere', { tag: 'keep-repo-alive' });
    t.index('multi', [child.manifest], { tag: 'latest' });
    const report = await collectGarbage(t.root, { deleteUntagged: true });
    // elsewhere drops its untagged revision, but the blobs serve multi's index.
    expect(deletedManifests(report)).toEqual([`elsewhere@${child.manifest.digest}`]);
    expect(report.blobs.deleted).toEqual([]);
    for (const d of [child.manifest, child.config, ...child.layers]) expect(blobExists(t.root, d.digest)).toBe(true);
  });
});

describe('referrers', () => {
  it('keeps a referrer of a kept image, and a referrer of that referrer', async () => {
    const t = fresh();
    const image = t.image('app', { format: 'oci', tag: 'v1' });
    const sbom = t.image('app', { format: 'oci', artifactType: 'application/spdx+json', subject: image.manifest });
    const sig = t.image('app', { format: 'oci', artifactType: 'application/vnd.dev.cosign.artifact.sig.v1+json', subject: sbom.manifest });
    const report = await collectGarbage(t.root, { deleteUntagged: true });
    expect(report.manifests.deleted).toEqual([]);
    expect(report.blobs.deleted).toEqual([]);
    for (const d of [sbom.manifest, sbom.config, ...sbom.layers, sig.manifest, ...sig.layers]) expect(blobExists(t.root, d.digest)).toBe(true);
  });

  it('an OCI artifact manifest and an index can be referrers too', async () => {
    const t = fresh();
    const image = t.image('app', { format: 'oci', tag: 'v1' });
    const payload = t.blob('attestation payload');
    t.layerLink('app', payload.digest);
    const artifact = t.rawManifest('app', {
      mediaType: MediaType.ociArtifact,
      artifactType: 'application/vnd.example.attestation',
      blobs: [payload],
      subject: image.manifest,
    });
    const report = await collectGarbage(t.root, { deleteUntagged: true });
    expect(report.manifests.deleted).toEqual([]);
    expect(blobExists(t.root, artifact.digest)).toBe(true);
    expect(blobExists(t.root, payload.digest)).toBe(true);
  });

  it('a referrer of a deleted image goes, and a referrer does not keep its subject', async () => {
    const t = fresh();
    const old = t.image('app', { format: 'oci' });
    const oldSig = t.image('app', { format: 'oci', artifactType: 'sig', subject: old.manifest });
    t.image('app', { format: 'oci', tag: 'v2' });
    const report = await collectGarbage(t.root, { deleteUntagged: true });
    expect(deletedManifests(report).sort()).toEqual([`app@${old.manifest.digest}`, `app@${oldSig.manifest.digest}`].sort());
    expect(deletedBlobs(report)).toEqual(expect.arrayContaining([old.manifest.digest, oldSig.manifest.digest, oldSig.layers[0]!.digest]));
  });

  it('a referrer only counts within its own repository', async () => {
    const t = fresh();
    const image = t.image('a', { format: 'oci', tag: 'v1' });
    const foreignSig = t.image('b', { format: 'oci', artifactType: 'sig', subject: image.manifest });
    t.image('b', { tag: 'keep' });
    const report = await collectGarbage(t.root, { deleteUntagged: true });
    expect(deletedManifests(report)).toEqual([`b@${foreignSig.manifest.digest}`]);
  });
});

describe('shared and foreign layers', () => {
  it('a layer shared with a kept image in another repository survives', async () => {
    const t = fresh();
    const shared = t.blob('shared layer');
    const gone = t.image('a', { sharedLayers: [shared] });
    t.image('a', { tag: 'keep' });
    t.image('b', { sharedLayers: [shared], tag: 'v1' });
    const report = await collectGarbage(t.root, { deleteUntagged: true });
    expect(deletedBlobs(report)).toContain(gone.layers[1]!.digest);
    expect(deletedBlobs(report)).not.toContain(shared.digest);
    expect(blobExists(t.root, shared.digest)).toBe(true);
  });

  it('a foreign layer absent from blobs/ is neither a failure nor a warning', async () => {
    const t = fresh();
    const foreign = { mediaType: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip', digest: `sha256:${'e'.repeat(64)}` as Digest, size: 5, urls: ['https://example.invalid/l'] };
    t.image('win', { sharedLayers: [foreign], tag: 'v1' });
    const report = await collectGarbage(t.root, { deleteUntagged: true });
    expect(report.blobs.deleted).toEqual([]);
    expect(report.warnings).toEqual([]);
  });
});

describe('damaged trees that are not failures', () => {
  it('a revision whose manifest blob is missing is a warning; the rest is collected', async () => {
    const t = fresh();
    const broken = t.image('app', { tag: 'v1' });
    fs.rmSync(t.layout.blobDir(broken.manifest.digest), { recursive: true });
    const orphan = t.blob('orphan');
    const report = await collectGarbage(t.root);
    expect(report.warnings.map((w) => w.code)).toContain('tag_target_missing');
    // Nothing readable references the broken image's config and layer any more (spec §3: skipped, as the reference does).
    expect(deletedBlobs(report).sort()).toEqual([orphan.digest, broken.config.digest, broken.layers[0]!.digest].sort());
    expect(fs.existsSync(t.layout.revisionLink('app', broken.manifest.digest))).toBe(true);
  });

  it('a bad tag link under -m keeps every revision of that repository', async () => {
    const t = fresh();
    const untagged = t.image('app');
    t.image('app', { tag: 'v1' });
    fs.writeFileSync(t.layout.tagCurrentLink('app', 'v1'), '../../../etc/passwd');
    const report = await collectGarbage(t.root, { deleteUntagged: true });
    expect(report.manifests.deleted).toEqual([]);
    expect(report.blobs.deleted).toEqual([]);
    expect(blobExists(t.root, untagged.manifest.digest)).toBe(true);
    expect(report.warnings.map((w) => w.code).sort()).toEqual(['bad_link', 'repository_kept_whole']);
  });

  it('an index naming itself (a corrupt blob) terminates', async () => {
    const t = fresh();
    const fake = computeDigest('the digest this blob claims');
    const body = JSON.stringify({ schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: [{ mediaType: MediaType.ociIndex, digest: fake, size: 1 }] });
    fs.mkdirSync(t.layout.blobDir(fake), { recursive: true });
    fs.writeFileSync(t.layout.blobData(fake), body);
    t.revision('loop', fake);
    t.tag('loop', 'v1', fake);
    const report = await collectGarbage(t.root, { deleteUntagged: true });
    expect(report.blobs.deleted).toEqual([]);
    expect(fs.existsSync(path.join(t.layout.blobData(fake)))).toBe(true);
  });
});

describe('revision links', () => {
  it('a revision folder without a link (left by the API DELETE) is no revision: its blobs go', async () => {
    const t = fresh();
    const deleted = t.image('app');
    t.image('app', { tag: 'v1' });
    fs.rmSync(t.layout.revisionLink('app', deleted.manifest.digest));
    const report = await collectGarbage(t.root);
    expect(deletedBlobs(report).sort()).toEqual([deleted.manifest.digest, deleted.config.digest, deleted.layers[0]!.digest].sort());
    expect(report.manifests.total).toBe(1);
  });

  for (const content of ['not a digest', `sha256:${'0'.repeat(64)}`]) {
    it(`a revision link holding ${JSON.stringify(content.slice(0, 12))}… is kept under -m and reported`, async () => {
      const t = fresh();
      const odd = t.image('app');
      t.image('app', { tag: 'v1' });
      fs.writeFileSync(t.layout.revisionLink('app', odd.manifest.digest), content);
      const report = await collectGarbage(t.root, { deleteUntagged: true });
      expect(report.manifests.deleted).toEqual([]);
      expect(report.blobs.deleted).toEqual([]);
      expect(report.warnings.map((w) => w.code)).toEqual([content.startsWith('sha256') ? 'link_mismatch' : 'bad_link']);
    });
  }
});
