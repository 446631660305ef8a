/**
 * The S3 backend when the server misbehaves, through a proxy in front of
 * radosgw (harness/s3-proxy.ts): throttling and server errors are retried;
 * a DeleteObjects whose keys fail is reported key by key, the run goes on
 * (or stops where marking counted on the deletion) and exits 1, and a rerun
 * converges; the lock holds off a second collector, and a server that
 * ignores If-None-Match is found out (a warning, or with strict a refusal).
 */
import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { hasRadosgw } from '../../harness/radosgw.js';
import { copyTree } from '../../harness/tree.js';
import { collectGarbage, RegistryGcError, type Report } from '../../src/index.js';
import { S3Storage } from '../../src/storage/s3/s3-storage.js';
import type { S3Settings } from '../../src/storage/s3/settings.js';
import { manyRepositories } from '../support/many-repositories.js';
import { kindOf, type S3Proxy } from '../../harness/s3-proxy.js';
import { bucketFiles, freshBucket, putObject, treeFiles, uploadTree, useRadosgw } from '../support/s3-tree.js';

const LIVE = hasRadosgw();
const TIMEOUT_MS = 120_000;
const now = new Date('2026-11-29T12:00:00Z');
const everything = { deleteUntagged: true, pruneLayerLinks: true, removeEmptyRepositories: true, now };
const comparable = ({ durations: _d, offlineMs: _o, trash: _t, root: _r, ...rest }: Report) => rest;
const asText = (files: Map<string, Buffer>) => new Map([...files].map(([k, v]) => [k, v.toString('latin1')]));

/** The keys of a DeleteObjects request's body. */
const keysOf = (body: Buffer) => [...body.toString('utf8').matchAll(/<Key>([^<]*)<\/Key>/g)].map((m) => m[1]!);
/**
 * Answers, instead of the server, the first DeleteObjects holding a key that
 * contains `part`, with `body(keys)`; `answered` holds that request's keys.
 */
function answerFirstDelete(proxy: S3Proxy, part: string, body: (keys: readonly string[]) => string): { answered: string[] } {
  const seen = { answered: [] as string[] };
  proxy.hooks.before = (request) => {
    const keys = kindOf(request) === 'deleteObjects' ? keysOf(request.body) : [];
    if (seen.answered.length > 0 || !keys.some((k) => k.includes(part))) return undefined;
    seen.answered = keys;
    return { status: 200, body: body(keys) };
  };
  return seen;
}

const failAll = (keys: readonly string[]) =>
  `<?xml version="1.0" encoding="UTF-8"?><DeleteResult>${keys.map((k) => `<Error><Key>${k}</Key><Code>AccessDenied</Code><Message>Access Denied</Message></Error>`).join('')}</DeleteResult>`;

describe.runIf(LIVE)('the S3 backend against a misbehaving server (radosgw behind a proxy)', () => {
  const bed = useRadosgw({ proxy: true });
  afterEach(() => {
    bed.proxy.hooks = {};
  });

  /** A bucket with a generated registry, its settings through the proxy, and the tree a run on disk leaves. */
  async function scene(): Promise<{ settings: S3Settings; expected: Map<string, string>; reference: Report }> {
    const t = manyRepositories(12);
    const direct = await freshBucket(bed.gw);
    await uploadTree(direct, t.root);
    const onDisk = copyTree(t.root);
    const reference = await collectGarbage(onDisk, everything);
    return { settings: { ...direct, regionEndpoint: bed.proxy.endpoint }, expected: asText(treeFiles(onDisk)), reference };
  }

  it(
    'retries 503 SlowDown and 500 answers with backoff: the run ends as on a healthy server',
    async () => {
      const { settings, expected, reference } = await scene();
      // One request in three fails its first two tries (503, then 500), counted per request: a
      // counter shared by concurrent requests could land all six tries of one on a failure.
      const tries = new Map<string, { index: number; count: number }>();
      bed.proxy.hooks.before = (request) => {
        const key = `${request.method} ${request.url} ${createHash('md5').update(request.body).digest('hex')}`;
        const seen = tries.get(key) ?? { index: tries.size, count: 0 };
        tries.set(key, { index: seen.index, count: seen.count + 1 });
        if (seen.index % 3 !== 0 || seen.count >= 2) return undefined;
        return { status: seen.count === 0 ? 503 : 500, body: '<Error><Code>SlowDown</Code></Error>' };
      };
      const storage = new S3Storage(settings);
      const report = await collectGarbage(storage.root, { ...everything, storage });
      expect(comparable(report)).toEqual(comparable(reference));
      expect(storage.client.retries).toBeGreaterThan(10);
      bed.proxy.hooks = {};
      expect(asText(await bucketFiles(settings))).toEqual(expected);
    },
    TIMEOUT_MS,
  );

  it(
    'a DeleteObjects whose blob keys fail: each key is an error, the run goes on and exits 1, every kept image stays, and a rerun converges',
    async () => {
      const { settings, expected, reference } = await scene();
      const fault = answerFirstDelete(bed.proxy, '/blobs/', failAll);
      const storage = new S3Storage(settings);
      const report = await collectGarbage(storage.root, { ...everything, storage });
      expect(fault.answered.length).toBeGreaterThan(0);
      expect(report.errors.map((e) => e.code)).toEqual(fault.answered.map(() => 'delete_failed'));
      expect(report.errors[0]!.message).toContain('AccessDenied');
      expect(report.blobs.deleted).toEqual([]);
      // The phases after it went on: layer links of blobs that are still there stay, the rest go.
      expect(report.uploads.deleted.length).toBe(reference.uploads.deleted.length);
      const left = asText(await bucketFiles(settings));
      for (const [key, data] of expected) expect(left.get(key), key).toBe(data);
      bed.proxy.hooks = {};
      const again = new S3Storage(settings);
      const second = await collectGarbage(again.root, { ...everything, storage: again });
      expect(second.errors).toEqual([]);
      expect(second.blobs.deleted.map((b) => b.digest).sort()).toEqual(reference.blobs.deleted.map((b) => b.digest).sort());
      expect(asText(await bucketFiles(settings))).toEqual(expected);
    },
    TIMEOUT_MS,
  );

  it(
    'a revision key that fails to go: the sweep stops there (sweep_stopped), no blob is deleted, and a rerun converges',
    async () => {
      const { settings, expected } = await scene();
      const fault = answerFirstDelete(bed.proxy, '/_manifests/revisions/', failAll);
      const storage = new S3Storage(settings);
      const report = await collectGarbage(storage.root, { ...everything, storage });
      expect(fault.answered.length).toBeGreaterThan(0);
      expect(report.errors.map((e) => e.code)).toContain('sweep_stopped');
      expect(report.blobs.deleted).toEqual([]);
      expect(storage.client.requests.deleteObjects, 'no DeleteObjects after the failed phase').toBeLessThanOrEqual(2);
      bed.proxy.hooks = {};
      const again = new S3Storage(settings);
      await collectGarbage(again.root, { ...everything, storage: again });
      expect(asText(await bucketFiles(settings))).toEqual(expected);
    },
    TIMEOUT_MS,
  );

  it(
    'a lock held by another collector keeps a real run out before any deletion; a dry run needs no lock',
    async () => {
      const { settings } = await scene();
      await putObject(settings, 'docker/registry/v2/registry-gc.lock', JSON.stringify({ pid: 1, host: 'another-host', startedAt: now.toISOString() }));
      const before = await bucketFiles(settings);
      const storage = new S3Storage(settings);
      const error = await collectGarbage(storage.root, { ...everything, storage }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RegistryGcError);
      expect((error as RegistryGcError).code).toBe('E_LOCKED');
      expect((error as RegistryGcError).message).toContain('another-host');
      expect(storage.client.requests.deleteObjects).toBe(0);
      expect(await bucketFiles(settings)).toEqual(before);
      const dry = new S3Storage(settings);
      expect((await collectGarbage(dry.root, { ...everything, dryRun: true, storage: dry })).blobs.deleted.length).toBeGreaterThan(0);
    },
    TIMEOUT_MS,
  );

  it(
    'a server that ignores If-None-Match is found out: lock_best_effort (with strict: refused, nothing deleted, no lock left)',
    async () => {
      const { settings, expected } = await scene();
      // Such a server answers a conditional create of an object that exists as any other write (the
      // header itself cannot be dropped on the way: it is signed).
      let lockWrites = 0;
      bed.proxy.hooks.before = (request) => (kindOf(request) === 'put' && request.url.includes('registry-gc.lock') && lockWrites++ % 2 === 1 ? { status: 200 } : undefined);
      const before = await bucketFiles(settings);
      const strict = new S3Storage(settings);
      const error = await collectGarbage(strict.root, { ...everything, strict: true, storage: strict }).catch((e: unknown) => e);
      expect((error as RegistryGcError).code).toBe('E_LOCKED');
      expect((error as RegistryGcError).problems.map((p) => p.code)).toEqual(['lock_best_effort']);
      expect(await bucketFiles(settings)).toEqual(before);
      const storage = new S3Storage(settings);
      const report = await collectGarbage(storage.root, { ...everything, storage });
      expect(report.warnings.filter((w) => w.code === 'lock_best_effort')).toHaveLength(1);
      bed.proxy.hooks = {};
      expect(asText(await bucketFiles(settings))).toEqual(expected);
    },
    TIMEOUT_MS,
  );

  it(
    'a DeleteObjects error that names no key sent fails every key of that request: none is counted as deleted',
    async () => {
      const { settings, expected } = await scene();
      const fault = answerFirstDelete(
        bed.proxy,
        '/blobs/',
        () => '<?xml version="1.0" encoding="UTF-8"?><DeleteResult><Error><Code>InternalError</Code><Message>We encountered an internal error</Message></Error></DeleteResult>',
      );
      const storage = new S3Storage(settings);
      const report = await collectGarbage(storage.root, { ...everything, storage });
      expect(fault.answered.length).toBeGreaterThan(0);
      expect(report.blobs.deleted).toEqual([]);
      expect(report.errors.length).toBeGreaterThan(0);
      expect(report.errors.every((e) => e.code === 'delete_failed' && e.message.includes('not a key of this request'))).toBe(true);
      bed.proxy.hooks = {};
      const again = new S3Storage(settings);
      await collectGarbage(again.root, { ...everything, storage: again });
      expect(asText(await bucketFiles(settings))).toEqual(expected);
    },
    TIMEOUT_MS,
  );

  it(
    'the lock\'s create answered by the server but lost on the way: the retry is refused, and the run knows the lock as its own',
    async () => {
      const { settings, expected, reference } = await scene();
      let lost = false;
      bed.proxy.hooks.after = (request) => {
        if (lost || kindOf(request) !== 'put' || !request.url.includes('registry-gc.lock')) return undefined;
        lost = true;
        return { status: 500, body: '<Error><Code>InternalError</Code></Error>' };
      };
      const storage = new S3Storage(settings);
      const report = await collectGarbage(storage.root, { ...everything, storage });
      expect(lost).toBe(true);
      expect(comparable(report)).toEqual(comparable(reference));
      bed.proxy.hooks = {};
      // Released at the end: nothing of the run is left.
      expect(asText(await bucketFiles(settings))).toEqual(expected);
    },
    TIMEOUT_MS,
  );
});
