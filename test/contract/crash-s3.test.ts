/**
 * Kill points on S3 (issue 16): the CLI, given a registry config whose
 * storage is s3, collects a bucket through a proxy in front of radosgw, and
 * is SIGKILLed when its n-th DeleteObjects arrives, either before the proxy
 * forwards it (between two batches: that batch never happens) or after
 * radosgw has done it and before the answer reaches the collector (inside a
 * batch: the keys are gone, the collector never learns it). For every n up
 * to the last request of an uninterrupted run, in both modes:
 *
 *  - right after the kill, every key an uninterrupted run keeps is there,
 *    byte for byte (no kept image lost);
 *  - a rerun then leaves exactly what an uninterrupted run leaves.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { hasRadosgw } from '../../harness/radosgw.js';
import { copyTree, tempDir } from '../../harness/tree.js';
import { collectGarbage } from '../../src/index.js';
import { S3Storage } from '../../src/storage/s3/s3-storage.js';
import type { S3Settings } from '../../src/storage/s3/settings.js';
import { cli } from '../support/crash-harness.js';
import { manyRepositories } from '../support/many-repositories.js';
import { kindOf } from '../../harness/s3-proxy.js';
import { bucketFiles, freshBucket, treeFiles, uploadTree, useRadosgw } from '../support/s3-tree.js';

const LIVE = hasRadosgw();
const options = { deleteUntagged: true, pruneLayerLinks: true, removeEmptyRepositories: true };
const FLAGS = ['-m', '--prune-layer-links', '--remove-empty-repositories', '--json'];
const asText = (files: Map<string, Buffer>) => new Map([...files].map(([k, v]) => [k, v.toString('latin1')]));

function configFor(settings: S3Settings, endpoint: string): string {
  const file = path.join(tempDir(), 'config.yml');
  const s3 = { bucket: settings.bucket, region: settings.region, regionendpoint: endpoint, rootdirectory: settings.rootDirectory, accesskey: settings.accessKey, secretkey: settings.secretKey, secure: false };
  fs.writeFileSync(file, `version: 0.1\nstorage:\n  s3:\n${Object.entries(s3).map(([k, v]) => `    ${k}: ${JSON.stringify(v)}`).join('\n')}\n`);
  return file;
}

describe.runIf(LIVE)('SIGKILL of a collection on S3, between and inside DeleteObjects batches', () => {
  const bed = useRadosgw({ proxy: true });

  it(
    'every kept key survives each kill, and a rerun leaves what an uninterrupted run leaves',
    async () => {
      const t = manyRepositories(12);
      const onDisk = copyTree(t.root);
      await collectGarbage(onDisk, options);
      const expected = asText(treeFiles(onDisk));
      // How many DeleteObjects an uninterrupted run sends: every one of them is a kill point.
      const probe = await freshBucket(bed.gw);
      await uploadTree(probe, t.root);
      const counted = new S3Storage(probe);
      await collectGarbage(counted.root, { ...options, storage: counted });
      const batches = counted.client.requests.deleteObjects;
      expect(batches).toBeGreaterThan(3);
      expect(asText(await bucketFiles(probe))).toEqual(expected);

      const landed: string[] = [];
      for (const inside of [false, true]) {
        for (let n = 1; n <= batches; n++) {
          const settings = await freshBucket(bed.gw);
          await uploadTree(settings, t.root);
          const child = spawn(process.execPath, [cli, ...FLAGS, configFor(settings, bed.proxy.endpoint)], { stdio: 'ignore', env: { PATH: process.env['PATH'] ?? '' } });
          const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
          let seen = 0;
          const kill = async () => {
            child.kill('SIGKILL');
            await exited;
          };
          bed.proxy.hooks = inside
            ? { after: async (request) => (kindOf(request) === 'deleteObjects' && ++seen === n ? kill() : undefined) }
            : { before: async (request) => (kindOf(request) === 'deleteObjects' && ++seen === n ? (await kill(), { status: 503 }) : undefined) };
          const code = await Promise.race([exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 60_000))]);
          bed.proxy.hooks = {};
          if (code === 'timeout') child.kill('SIGKILL');
          expect(code, `run ${inside ? 'inside' : 'before'} batch ${n} was not killed`).toBeNull();
          landed.push(`${inside ? 'in' : 'before'}#${n}`);

          const afterKill = asText(await bucketFiles(settings));
          for (const [key, data] of expected) expect(afterKill.get(key), `${key} after a kill ${inside ? 'inside' : 'before'} batch ${n}`).toBe(data);
          // The lock of the killed run stays (its pid is gone; S3 cannot take it over safely): the operator removes it, as the message says.
          const lock = [...afterKill.keys()].find((k) => k.endsWith('registry-gc.lock'));
          expect(lock).toBeDefined();
          await new S3Storage(settings).ownFiles.remove(`/${settings.rootDirectory!.replace(/^\/+/, '')}/${lock!}`);
          const rerun = new S3Storage(settings);
          const report = await collectGarbage(rerun.root, { ...options, storage: rerun });
          expect(report.errors).toEqual([]);
          expect(asText(await bucketFiles(settings)), `rerun after a kill ${inside ? 'inside' : 'before'} batch ${n}`).toEqual(expected);
        }
      }
      expect(landed).toHaveLength(2 * batches);
    },
    300_000,
  );
});
