/**
 * The collector on a registry that keeps its data in S3, against the real
 * registry and the reference, on Ceph's radosgw:
 *
 * - pushes through Debian's docker-registry 2.8.2 on its s3 driver (images,
 *   a re-tag that leaves one untagged, an index), then the registry stops;
 * - the bucket is copied key for key; the reference's `garbage-collect -m`
 *   runs on the copy, `registry-gc -m` (the CLI, given the registry's own
 *   config file) on the original;
 * - both delete the same blobs, but for the index's children, which 2.8.2's
 *   -m is known to delete and registry-gc keeps (docs/against-the-reference.md);
 * - the registry restarted on the collected bucket serves every kept image,
 *   byte for byte, and the untagged one is gone.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pLimit from 'p-limit';
import { describe, expect, it } from 'vitest';
import { hasRadosgw } from '../../harness/radosgw.js';
import { closureOf, makeImage, pushImageLikeClient } from '../../harness/pushes.js';
import { runReferenceGc } from '../../harness/reference-gc.js';
import { indexManifest, randomLayer, RegistryClient, RegistryHttpError, sha256 } from '../../harness/registry-client.js';
import { hasDockerRegistry, startRegistry, type S3StorageConfig } from '../../harness/registry-server.js';
import type { S3Settings } from '../../src/storage/s3/settings.js';
import { clientOf, freshBucket, useRadosgw } from '../support/s3-tree.js';

const LIVE = hasRadosgw() && hasDockerRegistry();
const cli = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'dist', 'cli.js');

const registryStorage = (s: S3Settings): { s3: S3StorageConfig } => ({
  s3: { bucket: s.bucket, region: s.region, regionendpoint: s.regionEndpoint!, accesskey: s.accessKey!, secretkey: s.secretKey!, rootdirectory: s.rootDirectory!, secure: false, v4auth: true },
});

/** Every key of `from` written to `to` (same keys, same bytes). */
async function copyBucket(from: S3Settings, to: S3Settings): Promise<number> {
  const source = clientOf(from);
  const target = clientOf(to);
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await source.listPage('', token);
    keys.push(...page.objects.map((o) => o.key));
    token = page.continuationToken;
  } while (token !== undefined);
  const limit = pLimit(16);
  await Promise.all(keys.map((key) => limit(async () => target.put(key, await source.get(key), false))));
  return keys.length;
}

async function blobKeys(settings: S3Settings): Promise<string[]> {
  const client = clientOf(settings);
  const found: string[] = [];
  let token: string | undefined;
  do {
    const page = await client.listPage(`${settings.rootDirectory!.slice(1)}/docker/registry/v2/blobs/`, token);
    found.push(...page.objects.map((o) => `sha256:${o.key.split('/').at(-2)}`));
    token = page.continuationToken;
  } while (token !== undefined);
  return found.sort();
}

describe.runIf(LIVE)('registry-gc -m on a real registry in S3 (radosgw), beside the reference', () => {
  const bed = useRadosgw();

  it(
    'deletes what the reference deletes (but an index\'s children), and the restarted registry serves every kept image',
    async () => {
      const ours = await freshBucket(bed.gw);
      const theirs = await freshBucket(bed.gw);
      const registry = await startRegistry({ storage: registryStorage(ours) });
      const client = new RegistryClient(registry.url);
      const shared = randomLayer('shared', 4096);
      const old = makeImage('web-old', [shared, randomLayer('web-old', 3000)]);
      const web = makeImage('web-new', [shared, randomLayer('web-new', 3000)]);
      const api = makeImage('api', [shared, randomLayer('api', 2000)]);
      const amd = makeImage('multi-amd64', [randomLayer('amd', 1000)]);
      const arm = makeImage('multi-arm64', [randomLayer('arm', 1000)]);
      await pushImageLikeClient(client, 'app/web', 'v1', old);
      await pushImageLikeClient(client, 'app/web', 'v1', web);
      await pushImageLikeClient(client, 'app/api', 'latest', api);
      await pushImageLikeClient(client, 'tools/multi', amd.manifest.digest, amd);
      await pushImageLikeClient(client, 'tools/multi', arm.manifest.digest, arm);
      const index = indexManifest([amd.manifest, arm.manifest], 'oci');
      await client.pushManifest('tools/multi', 'latest', index.bytes, index.mediaType);
      await registry.stop();

      await copyBucket(ours, theirs);
      const before = await blobKeys(ours);
      const reference = await runReferenceGc((await startConfig(theirs)).configPath, { dryRun: false, deleteUntagged: true });
      expect(reference.exitCode).toBe(0);

      const run = spawnSync(process.execPath, [cli, '-m', '--json', registry.configPath], { encoding: 'utf8', timeout: 60_000, env: withoutRegistryVariables() });
      expect(run.stderr).not.toContain('unexpected');
      expect(run.status).toBe(0);
      const report = JSON.parse(run.stdout) as { blobs: { deleted: { digest: string }[] }; manifests: { deleted: { repository: string; digest: string }[] } };
      expect(report.manifests.deleted).toEqual([{ repository: 'app/web', digest: old.manifest.digest }]);

      const leftOurs = new Set(await blobKeys(ours));
      const leftTheirs = new Set(await blobKeys(theirs));
      const goneOurs = before.filter((d) => !leftOurs.has(d));
      const goneTheirs = before.filter((d) => !leftTheirs.has(d));
      expect(goneOurs.sort()).toEqual(report.blobs.deleted.map((b) => b.digest).sort());
      // The old image's own config, layer and manifest go in both.
      expect(goneOurs).toEqual(expect.arrayContaining([old.manifest.digest, sha256(old.config), sha256(old.layers[1]!)]));
      const multi = new Set([...closureOf(amd), ...closureOf(arm)]);
      expect(goneOurs.filter((d) => multi.has(d)), 'an index keeps its children').toEqual([]);
      expect(goneTheirs.filter((d) => !multi.has(d)).sort()).toEqual(goneOurs.sort());

      const again = await startRegistry({ storage: registryStorage(ours) });
      try {
        const pull = new RegistryClient(again.url);
        expect((await pull.pullImage('app/web', 'v1')).sort()).toEqual(closureOf(web));
        expect((await pull.pullImage('app/api', 'latest')).sort()).toEqual(closureOf(api));
        expect((await pull.pullImage('tools/multi', 'latest')).sort()).toEqual([index.digest, ...multi].sort());
        await expect(pull.getManifest('app/web', old.manifest.digest)).rejects.toBeInstanceOf(RegistryHttpError);
      } finally {
        await again.destroy();
        await registry.destroy();
      }
    },
    180_000,
  );
});

/** A registry config for `settings` that no registry serves from: what the reference reads. */
async function startConfig(settings: S3Settings): Promise<{ configPath: string }> {
  const registry = await startRegistry({ storage: registryStorage(settings) });
  await registry.stop();
  return registry;
}

function withoutRegistryVariables(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('REGISTRY_') && !name.startsWith('AWS_')));
}
