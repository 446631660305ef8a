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
import { describe, expect, it } from 'vitest';
import { hasRadosgw } from '../../harness/radosgw.js';
import { copyTree } from '../../harness/tree.js';
import { collectGarbage, RegistryGcError, type CollectOptions, type Report } from '../../src/index.js';
import type { Digest } from '../../src/registry/digest.js';
import { S3Storage } from '../../src/storage/s3/s3-storage.js';
import { hex, hostileTree, overwrite, type HostileTree } from '../support/hostile.js';
import { bucketFiles, clientOf, freshBucket, putObject, treeFiles, uploadTree, useRadosgw } from '../support/s3-tree.js';

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
  const bed = useRadosgw();

  /** Collects `h` on disk and in a fresh bucket; both outcomes, and the files each leaves. */
  async function both(h: HostileTree, extra: CollectOptions = {}) {
    const settings = await freshBucket(bed.gw);
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

  it('keys with an empty part are warned about and left; stray names keep their exact bytes; keys outside the rootdirectory or its v2 are never touched', async () => {
    const h = hostileTree();
    const settings = await freshBucket(bed.gw);
    await uploadTree(settings, h.t.root);
    const odd = 'docker/registry/v2/repositories/app//_layers/sha256/x/link';
    // Not what the registry writes, but what a person can: a trailing space, a plus, a percent sign, a non-ASCII letter.
    const strays = ['docker/registry/v2/repositories/app ', 'docker/registry/v2/repositories/a+b%41é'];
    for (const key of [odd, ...strays, 'docker/registry/notes.txt']) await putObject(settings, key, 'odd');
    const outsideRoot = clientOf(settings);
    const orphanHex = hex(h.orphan.digest);
    const foreign = `elsewhere/docker/registry/v2/blobs/sha256/${orphanHex.slice(0, 2)}/${orphanHex}/data`;
    await outsideRoot.put(foreign, 'another registry', false);
    const storage = new S3Storage(settings);
    const report = await collectGarbage(storage.root, { ...options, storage });
    const onDisk = copyTree(h.t.root);
    const disk = await collectGarbage(onDisk, options);
    const keysWarned = report.warnings.filter((w) => w.code === 'unexpected_entry').map((w) => w.message);
    expect(keysWarned.filter((m) => m.includes(JSON.stringify(`registry/${odd}`)))).toHaveLength(1);
    // Each stray is a file among the repositories, named as it is.
    expect(report.warnings.filter((w) => w.code === 'unexpected_entry' && strays.some((k) => w.path === k))).toHaveLength(2);
    expect(report.blobs.deleted).toEqual(disk.blobs.deleted);
    expect(report.manifests.deleted).toEqual(disk.manifests.deleted);
    const left = await bucketFiles(settings);
    for (const key of [odd, ...strays, 'docker/registry/notes.txt']) expect(left.has(key), key).toBe(true);
    expect((await outsideRoot.get(foreign)).toString()).toBe('another registry');
  }, 60_000);

  // The registry reads `…/link` and `…/data` by their keys, whatever object has a prefix of their name:
  // the tree would hide them, so the run must stop before deleting anything.
  for (const [what, key] of [
    ['a repository folder', (h: HostileTree) => h.t.layout.repositoryDir('app')],
    ['a kept manifest\'s blob folder', (h: HostileTree) => h.t.layout.blobDir(h.a.manifest.digest)],
    ['a kept layer\'s blob folder', (h: HostileTree) => h.t.layout.blobDir(h.a.layers[0]!.digest)],
    ['a tag\'s current folder', (h: HostileTree) => path.dirname(h.t.layout.tagCurrentLink('app', 'v1'))],
    ['the orphan\'s blob folder', (h: HostileTree) => h.t.layout.blobDir(h.orphan.digest)],
  ] as const) {
    it(`an object at the key of ${what}, above other keys: refused before any deletion, naming both`, async () => {
      const h = hostileTree();
      const settings = await freshBucket(bed.gw);
      await uploadTree(settings, h.t.root);
      const stray = path.relative(h.t.root, key(h));
      await putObject(settings, stray, 'a stray object');
      const before = await bucketFiles(settings);
      const storage = new S3Storage(settings);
      const outcome = await outcomeOf(collectGarbage(storage.root, { ...options, storage }));
      expect('error' in outcome && outcome.error.code).toBe('E_MARK_INCOMPLETE');
      const named = ('error' in outcome ? outcome.error.problems : []).map((p) => (p as { message: string }).message);
      expect(named.some((m) => m.includes(JSON.stringify(`registry/${stray}`)))).toBe(true);
      expect(storage.client.requests.deleteObjects).toBe(0);
      expect(await bucketFiles(settings)).toEqual(before);
    }, 60_000);
  }
});
