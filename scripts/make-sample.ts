/**
 * Writes fixtures/sample: a small registry with one of each thing the
 * collector must get right. Deterministic: rerunning it writes the same tree.
 * Also writes fixtures/sample.expected.json, what each mode must delete, from
 * the builder's own knowledge of what it made unreachable.
 *
 *   npx tsx scripts/make-sample.ts
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { TreeBuilder } from '../harness/tree.js';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'sample');
fs.rmSync(root, { recursive: true, force: true });
const t = new TreeBuilder(root);

// A base layer shared by several repositories (mounted across them).
const base = t.blob('base layer: debian rootfs', 'application/vnd.docker.image.rootfs.diff.tar.gzip');

// library/app: retagged. v0 was `latest`, then v1, now v2; `1.0` still names v1.
const v0 = t.image('library/app', { sharedLayers: [base], layers: ['app v0 code'] });
t.history('library/app', 'latest', v0.manifest.digest);
const v1 = t.image('library/app', { sharedLayers: [base], layers: ['app v1 code'], tag: '1.0' });
t.history('library/app', 'latest', v1.manifest.digest);
const v2 = t.image('library/app', { sharedLayers: [base], layers: ['app v2 code'], format: 'oci', tag: 'latest' });
// A signature of v2 (kept with it) and one of v0 (goes with it under -m).
const signature = t.image('library/app', {
  format: 'oci',
  artifactType: 'application/vnd.dev.cosign.artifact.sig.v1+json',
  layers: ['signature of v2'],
  subject: v2.manifest,
});
const oldSignature = t.image('library/app', {
  format: 'oci',
  artifactType: 'application/vnd.dev.cosign.artifact.sig.v1+json',
  layers: ['signature of v0'],
  subject: v0.manifest,
});

// library/multi: an OCI index and a Docker manifest list, children pushed by digest only.
const amd64 = t.image('library/multi', { sharedLayers: [base], layers: ['multi amd64'], format: 'oci' });
const arm64 = t.image('library/multi', { sharedLayers: [base], layers: ['multi arm64'], format: 'oci' });
const index = t.index('library/multi', [amd64.manifest, arm64.manifest], { format: 'oci', tag: 'latest' });
const sbom = t.image('library/multi', { format: 'oci', artifactType: 'application/spdx+json', layers: ['sbom of the index'], subject: index });
const sbomSignature = t.image('library/multi', {
  format: 'oci',
  artifactType: 'application/vnd.dev.cosign.artifact.sig.v1+json',
  layers: ['signature of the sbom'],
  subject: sbom.manifest,
});
const dockerChild = t.image('library/multi', { sharedLayers: [base], layers: ['multi docker amd64'] });
const list = t.index('library/multi', [dockerChild.manifest], { format: 'docker', tag: 'docker' });

// team/service and team/service/worker: nested repositories sharing a layer.
const service = t.image('team/service', { sharedLayers: [base], layers: ['service code'], tag: 'stable' });
const worker = t.image('team/service/worker', { sharedLayers: [base, service.layers[1]!], layers: ['worker code'], tag: 'stable' });
const workerOld = t.image('team/service/worker', { sharedLayers: [base], layers: ['worker old code'] });
t.history('team/service/worker', 'stable', workerOld.manifest.digest);

// legacy/old: a schema1 manifest, and an image with a foreign (non-distributable) layer.
const legacyLayer = t.blob('legacy layer');
const schema1 = t.rawManifest(
  'legacy/old',
  { schemaVersion: 1, name: 'legacy/old', tag: 'v1', architecture: 'amd64', fsLayers: [{ blobSum: legacyLayer.digest }], history: [{ v1Compatibility: '{}' }] },
  { tag: 'v1' },
);
t.layerLink('legacy/old', legacyLayer.digest);
const foreign = { mediaType: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip', digest: 'sha256:' + 'f'.repeat(64), size: 1024, urls: ['https://example.invalid/layer'] };
const windows = t.image('legacy/old', { sharedLayers: [foreign as never], layers: ['windows app'], tag: 'windows' });

// old/project: its only image is untagged; with -m and --remove-empty-repositories the repository goes.
const abandoned = t.image('old/project', { layers: ['old project code'] });

// library/app's `latest` history names a manifest deleted through the API long ago, whose
// blob an earlier collection took: a dead history entry.
const ghost = 'sha256:' + '0123456789abcdef'.repeat(4);
t.history('library/app', 'latest', ghost as never);

// Uploads: a fresh one (a push in progress), and one whose startedat is garbled (kept, warned).
t.upload('library/app', '0b7c3d7e-1f0a-4b8e-9a51-5b0f1d6f2c90', '2026-11-28T23:28:51Z', 'fresh bytes');
t.upload('legacy/old', '9d2e4f10-3c5b-4a7d-8e6f-2a1b0c9d8e7f', 'last tuesday', 'garbled');

// Garbage: layers uploaded but never referenced by a manifest, and an abandoned upload.
const orphanA = t.blob('orphan layer from a failed push');
const orphanB = t.blob('orphan layer of a deleted image');
t.layerLink('team/service', orphanB.digest);
t.upload('team/service', '6f1d0a3c-58a9-4c2c-9f0e-0d7c2b1e4a11', '2025-01-01T00:00:00Z', 'half a layer');

const sorted = (xs: string[]) => [...new Set(xs)].sort();
const untagged = [v0, oldSignature, workerOld, abandoned];
const expected = {
  comment: 'Written by scripts/make-sample.ts from what it built; the tests check collectGarbage against it.',
  default: { blobs: sorted([orphanA.digest, orphanB.digest]), manifests: [] as unknown[] },
  deleteUntagged: {
    blobs: sorted([
      orphanA.digest,
      orphanB.digest,
      ...untagged.flatMap((i) => [i.manifest.digest, i.config.digest]),
      v0.layers[1]!.digest,
      oldSignature.layers[0]!.digest,
      workerOld.layers[1]!.digest,
      abandoned.layers[0]!.digest,
    ]),
    manifests: [
      ...[v0, oldSignature].map((i) => ({ repository: 'library/app', digest: i.manifest.digest })),
      { repository: 'team/service/worker', digest: workerOld.manifest.digest },
      { repository: 'old/project', digest: abandoned.manifest.digest },
    ].sort((a, b) => (a.repository + a.digest < b.repository + b.digest ? -1 : 1)),
  },
  tagged: {
    'library/app': { '1.0': v1.manifest.digest, latest: v2.manifest.digest },
    'library/multi': { latest: index.digest, docker: list.digest },
    'team/service': { stable: service.manifest.digest },
    'team/service/worker': { stable: worker.manifest.digest },
    'legacy/old': { v1: schema1.digest, windows: windows.manifest.digest },
  },
  referrers: [signature.manifest.digest, sbom.manifest.digest, sbomSignature.manifest.digest],
};
fs.writeFileSync(path.join(root, '..', 'sample.expected.json'), JSON.stringify(expected, null, 2) + '\n');
console.log(`wrote ${root}`);
