/**
 * The S3 backend on a real S3 server (Ceph's radosgw on loopback): the same
 * registry tree on disk and uploaded key for key into a bucket gives the same
 * report, dry and real, in every mode; the bucket is left exactly as the disk
 * is; a second run deletes nothing; and the requests are the listing, one GET
 * per link and manifest, and DeleteObjects batches — none per kept blob.
 *
 * Without radosgw the suite is skipped locally and fails when CI is set.
 */
import { describe, expect, it } from 'vitest';
import { hasRadosgw, RADOSGW_BINARIES } from '../../harness/radosgw.js';
import { copyTree } from '../../harness/tree.js';
import { applyPlan, collectGarbage, makePlan, RegistryGcError, type Report } from '../../src/index.js';
import { S3Storage } from '../../src/storage/s3/s3-storage.js';
import { manyRepositories } from '../support/many-repositories.js';
import { bucketFiles, freshBucket, treeFiles, uploadTree, useRadosgw } from '../support/s3-tree.js';

const LIVE = hasRadosgw();
const TIMEOUT_MS = 120_000;

/** A report without what differs between two backends and two runs: times, the root's name, the trash. */
const comparable = ({ durations: _d, offlineMs: _o, trash: _t, root: _r, ...rest }: Report) => rest;

const now = new Date('2026-11-29T12:00:00Z');
const everything = { deleteUntagged: true, pruneLayerLinks: true, removeEmptyRepositories: true, now };

describe.runIf(!LIVE)(`${RADOSGW_BINARIES.join(', ')}: not all installed`, () => {
  it.skipIf(!process.env['CI'])('the S3 suite needs them: apt-get install --no-install-recommends radosgw ceph-mon ceph-osd', () => {
    throw new Error('CI is set but Ceph is missing: the S3 suite must run in CI');
  });
});

describe.runIf(LIVE)('collecting a registry in an S3 bucket (radosgw)', () => {
  const bed = useRadosgw();

  it(
    'a dry run decides exactly what the same tree on disk decides, in every mode, and reads nothing per blob',
    async () => {
      const t = manyRepositories(24);
      const settings = await freshBucket(bed.gw);
      await uploadTree(settings, t.root);
      const before = await bucketFiles(settings);
      for (const deleteUntagged of [false, true]) {
        const options = { ...everything, deleteUntagged, dryRun: true };
        const storage = new S3Storage(settings);
        const got: string[] = [];
        storage.client.onRequest = (kind, key) => kind === 'get' && got.push(key);
        const onS3 = await collectGarbage(storage.root, { ...options, storage });
        expect(comparable(onS3)).toEqual(comparable(await collectGarbage(t.root, options)));
        expect(onS3.blobs.deleted.length).toBeGreaterThan(0);
        // Requests: listing pages and GETs of links, upload times and manifests; no blob's layer data, nothing written.
        const { requests } = storage.client;
        expect(requests.put + requests.delete + requests.deleteObjects).toBe(0);
        const manifests = manifestData(before);
        const layerData = got.filter((key) => /\/blobs\/.*\/data$/.test(key) && !manifests.has(key));
        expect(layerData, 'GETs of blob data that is no manifest').toEqual([]);
        expect(got.filter((key) => /\/blobs\//.test(key)).length, 'each manifest read once').toBeLessThanOrEqual(manifests.size);
        // Listings: a few grouped ones to find where to split, then one flat listing per top-level repository folder and per blob prefix (each under 1,000 keys here).
        const splits = new Set([...before.keys()].flatMap((k) => /^docker\/registry\/v2\/(repositories\/[^/]+|blobs\/sha256\/[^/]+)\//.exec(k)?.[1] ?? []));
        expect(requests.list).toBe(4 + splits.size);
      }
      expect(await bucketFiles(settings), 'a dry run changes nothing').toEqual(before);
    },
    TIMEOUT_MS,
  );

  it(
    'a real run deletes in the bucket what it deletes on disk, in DeleteObjects batches; what is left is what the disk keeps; a second run deletes nothing',
    async () => {
      const t = manyRepositories(24);
      const settings = await freshBucket(bed.gw);
      await uploadTree(settings, t.root);
      const onDisk = copyTree(t.root);
      const storage = new S3Storage(settings);
      const onS3 = await collectGarbage(storage.root, { ...everything, storage });
      const reference = await collectGarbage(onDisk, everything);
      expect(comparable(onS3)).toEqual(comparable(reference));
      expect(onS3.errors).toEqual([]);
      expect(onS3.manifests.deleted.length).toBeGreaterThan(0);
      // Each phase's deletions go together (a few rounds where an item's keys go in order: an upload's startedat last).
      expect(storage.client.requests.deleteObjects).toBeLessThanOrEqual(12);
      expect(storage.client.requests.delete, 'only the lock is deleted one by one').toBe(1);
      expect(new Map([...(await bucketFiles(settings))].map(([k, v]) => [k, v.toString('latin1')]))).toEqual(
        new Map([...treeFiles(onDisk)].map(([k, v]) => [k, v.toString('latin1')])),
      );
      const again = new S3Storage(settings);
      const second = await collectGarbage(again.root, { ...everything, storage: again });
      expect(second.blobs.deleted).toEqual([]);
      expect(second.manifests.deleted).toEqual([]);
      expect(second.layerLinks.deleted).toEqual([]);
      expect(again.client.requests.deleteObjects).toBe(0);
    },
    TIMEOUT_MS,
  );

  it(
    'plan and apply: a plan made on S3 names its bucket; apply re-checks it in full there, deletes exactly the plan, and refuses it without that bucket',
    async () => {
      const t = manyRepositories(12);
      const settings = await freshBucket(bed.gw);
      await uploadTree(settings, t.root);
      const plan = await makePlan('/registry', { ...everything, s3: settings });
      expect(plan.storage).toEqual({ driver: 's3', bucket: settings.bucket });
      const planned = plan.items.blobs.map((b) => b.digest).sort();
      expect(planned.length).toBeGreaterThan(0);
      for (const refused of [applyPlan(plan, {}), applyPlan(plan, { s3: { ...settings, bucket: 'another-bucket' } })]) {
        const error = await refused.catch((e: unknown) => e);
        expect(error).toBeInstanceOf(RegistryGcError);
        expect((error as RegistryGcError).code).toBe('E_INVALID_PLAN');
      }
      const dry = await applyPlan(plan, { dryRun: true, s3: settings });
      // S3 gives no entry versions: the plan records no observation, and apply re-checks it with a fresh dry run.
      expect(plan.observed).toBeUndefined();
      expect(dry.recheck.mode).toBe('full');
      expect(dry.deleted.blobs.map((b) => b.digest).sort()).toEqual(planned);
      const real = await applyPlan(plan, { s3: settings });
      expect(real.deleted).toEqual(dry.deleted);
      expect(real.skipped).toEqual([]);
      const onDisk = copyTree(t.root);
      await collectGarbage(onDisk, everything);
      expect(new Map([...(await bucketFiles(settings))].map(([k, v]) => [k, v.toString('latin1')]))).toEqual(new Map([...treeFiles(onDisk)].map(([k, v]) => [k, v.toString('latin1')])));
    },
    TIMEOUT_MS,
  );
});

/** The keys (with the rootdirectory) of every blob data that a revision link names: the manifests. */
function manifestData(files: ReadonlyMap<string, Buffer>): Set<string> {
  const hexes = [...files.keys()].flatMap((k) => /\/_manifests\/revisions\/sha256\/([0-9a-f]{64})\/link$/.exec(k)?.[1] ?? []);
  return new Set(hexes.map((hex) => `registry/docker/registry/v2/blobs/sha256/${hex.slice(0, 2)}/${hex}/data`));
}
