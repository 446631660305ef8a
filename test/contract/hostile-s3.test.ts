/**
 * Hostile trees on S3 (issue 16: every rule holds on S3 as on disk). Each
 * hostile registry of the disk suites (bad links in every place a link is
 * read, manifests that are not manifests, a manifest over the size limit) is
 * uploaded key for key into a bucket, collected there with `-m`, and its
 * copy on disk collected too: the outcome must be the same — the same
 * refusal with the same problems, or the same report and the same files
 * left. Keys only an object store can hold (an empty or `..` part, an object
 * that is also a prefix) are warned about and left; keys outside the
 * rootdirectory, or outside its docker/registry/v2, are never touched.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasRadosgw, startRadosgw, type RunningRadosgw } from '../../harness/radosgw.js';
import { copyTree } from '../../harness/tree.js';
import { collectGarbage, RegistryGcError, type CollectOptions, type Report } from '../../src/index.js';
import type { Digest } from '../../src/registry/digest.js';
import { S3Storage } from '../../src/storage/s3/s3-storage.js';
import { hex, hostileTree, overwrite, type HostileTree } from '../support/hostile.js';
import { bucketFiles, clientOf, freshBucket, putObject, treeFiles, uploadTree } from '../support/s3-tree.js';

const LIVE = hasRadosgw();
const NOWHERE = `sha256:${'e'.repeat(64)}` as Digest;
const options = { deleteUntagged: true, pruneLayerLinks: true, removeEmptyRepositories: true, now: new Date('2026-11-29T12:00:00Z') };
const asText = (files: Map<string, Buffer>) => new Map([...files].map(([k, v]) => [k, v.toString('latin1')]));
const comparable = ({ durations: _d, offlineMs: _o, trash: _t, root: _r, ...rest }: Report) => rest;

const CONTENTS: ReadonlyArray<[string, (d: Digest) => string | { directory: true }]> = [
  ['a path, ../../etc/passwd', () => '../../etc/passwd'],
  ['a digest one character short', (d) => d.slice(0, -1)],
  ['upper-case hex', (d) => `sha256:${hex(d).toUpperCase()}`],
  ['a digest that disagrees with its folder', () => NOWHERE],
  ['nothing', () => ''],
  ['a folder where the file should be', () => ({ directory: true })],
];

const LINKS: ReadonlyArray<[string, (h: HostileTree) => { file: string; digest: Digest }]> = [
  ['revision link', (h) => ({ file: h.t.layout.revisionLink('app', h.ua.manifest.digest), digest: h.ua.manifest.digest })],
  ['tag current link', (h) => ({ file: h.t.layout.tagCurrentLink('app', 'v1'), digest: h.a.manifest.digest })],
  ['layer link', (h) => ({ file: h.t.layout.layerLink('other', h.ub.layers[0]!.digest), digest: h.ub.layers[0]!.digest })],
];

type Outcome = { error: { code: string; problems: readonly unknown[] } } | { report: ReturnType<typeof comparable> };

async function outcomeOf(run: Promise<Report>): Promise<Outcome> {
  try {
    return { report: comparable(await run) };
  } catch (error) {
    if (!(error instanceof RegistryGcError)) throw error;
    return { error: { code: error.code, problems: error.problems } };
  }
}

describe.runIf(LIVE)('hostile registries in a bucket: the same outcome as on disk', () => {
  let gw: RunningRadosgw;
  beforeAll(async () => {
    gw = await startRadosgw();
  }, 60_000);
  afterAll(async () => gw?.destroy());

  /** Collects `h` on disk and in a fresh bucket; both outcomes, and the files each leaves. */
  async function both(h: HostileTree, extra: CollectOptions = {}) {
    const settings = await freshBucket(gw);
    await uploadTree(settings, h.t.root);
    const onDisk = copyTree(h.t.root);
    const disk = await outcomeOf(collectGarbage(onDisk, { ...options, ...extra }));
    const storage = new S3Storage(settings);
    const s3 = await outcomeOf(collectGarbage(storage.root, { ...options, ...extra, storage }));
    return { disk, s3, settings, onDisk, storage };
  }

  for (const [where, plant] of LINKS) {
    for (const [what, content] of CONTENTS) {
      it(`a ${where} holding ${what}`, async () => {
        const h = hostileTree();
        const { file, digest } = plant(h);
        overwrite(file, content(digest));
        const { disk, s3, settings, onDisk } = await both(h);
        expect(s3).toEqual(disk);
        expect(asText(await bucketFiles(settings))).toEqual(asText(treeFiles(onDisk)));
      }, 60_000);
    }
  }

  for (const [what, content] of [
    ['not JSON', '{"schemaVersion": 2, "layers": ['],
    ['JSON null', 'null'],
    ['a descriptor whose digest is a path', JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { mediaType: 'application/vnd.oci.image.config.v1+json', size: 2, digest: '../../../../etc/passwd' }, layers: [] })],
  ] as const) {
    it(`a tagged manifest that is ${what}: refused before any deletion, as on disk`, async () => {
      const h = hostileTree();
      h.t.rawManifest('app', content, { tag: 'bad' });
      const { disk, s3, settings, storage } = await both(h);
      expect(s3).toEqual(disk);
      expect('error' in s3 && s3.error.code).toBe('E_MARK_INCOMPLETE');
      expect(storage.client.requests.deleteObjects).toBe(0);
      expect(asText(await bucketFiles(settings))).toEqual(asText(treeFiles(h.t.root)));
    }, 60_000);
  }

  it('manifests over the size limit are never read ahead, and refused as on disk', async () => {
    const h = hostileTree();
    const { disk, s3, storage } = await both(h, { maxManifestBytes: 64 });
    expect(s3).toEqual(disk);
    expect('error' in s3 && s3.error.code).toBe('E_MARK_INCOMPLETE');
    expect(storage.client.requests.get, 'only links were read: every manifest is larger than 64 bytes').toBeLessThan(20);
  }, 60_000);

  it('keys no file system holds are warned about and left; keys outside the rootdirectory or its v2 are never touched', async () => {
    const h = hostileTree();
    const settings = await freshBucket(gw);
    await uploadTree(settings, h.t.root);
    const orphanHex = hex(h.orphan.digest);
    const odd = [
      'docker/registry/v2/repositories/app//_layers/sha256/x/link',
      `docker/registry/v2/blobs/sha256/${orphanHex.slice(0, 2)}/${orphanHex}`,
    ];
    for (const key of odd) await putObject(settings, key, 'odd');
    await putObject(settings, 'docker/registry/notes.txt', 'outside v2');
    const outsideRoot = clientOf(settings);
    const foreign = `elsewhere/docker/registry/v2/blobs/sha256/${orphanHex.slice(0, 2)}/${orphanHex}/data`;
    await outsideRoot.put(foreign, 'another registry', false);
    const storage = new S3Storage(settings);
    const report = await collectGarbage(storage.root, { ...options, storage });
    const onDisk = copyTree(h.t.root);
    const disk = await collectGarbage(onDisk, options);
    // The object at the orphan's folder name makes that folder a file: the data below it is the odd key, and the blob stays.
    const warned = report.warnings.filter((w) => w.code === 'unexpected_entry').map((w) => JSON.parse(/the object key ("[^"]*")/.exec(w.message)![1]!) as string);
    expect(warned.map((k) => k.slice('registry/'.length)).sort()).toEqual(['docker/registry/v2/repositories/app//_layers/sha256/x/link', `docker/registry/v2/blobs/sha256/${orphanHex.slice(0, 2)}/${orphanHex}/data`].sort());
    expect(report.warnings.map((w) => w.code)).toContain('bad_digest_name');
    expect(report.blobs.deleted.map((b) => b.digest).sort()).toEqual(disk.blobs.deleted.map((b) => b.digest).filter((d) => d !== h.orphan.digest).sort());
    const left = await bucketFiles(settings);
    for (const key of [...odd, `docker/registry/v2/blobs/sha256/${orphanHex.slice(0, 2)}/${orphanHex}/data`, 'docker/registry/notes.txt']) expect(left.has(key), key).toBe(true);
    expect((await outsideRoot.get(foreign)).toString()).toBe('another registry');
    expect(path.posix.isAbsolute(storage.root)).toBe(true);
  }, 60_000);
});
