/**
 * Registry trees in a radosgw bucket, for the S3 suites: a tree on disk
 * uploaded key for key (what the registry's s3 driver would have written for
 * the same pushes), and the bucket's objects read back for comparisons.
 */
import fs from 'node:fs';
import path from 'node:path';
import pLimit from 'p-limit';
import { S3Client } from '../../src/storage/s3/client.js';
import type { S3Settings } from '../../src/storage/s3/settings.js';
import { afterAll, beforeAll } from 'vitest';
import { startRadosgw, type RunningRadosgw } from '../../harness/radosgw.js';
import { startS3Proxy, type S3Proxy } from '../../harness/s3-proxy.js';

let buckets = 0;

/** The test bed of a describe block: one radosgw (and, if asked, a proxy in front of it), started before its tests and stopped after. */
export interface S3TestBed {
  readonly gw: RunningRadosgw;
  /** Only with `{ proxy: true }`. */
  readonly proxy: S3Proxy;
}

/** Registers the hooks that start and stop an S3TestBed for the enclosing describe block. */
export function useRadosgw({ proxy = false }: { proxy?: boolean } = {}): S3TestBed {
  const bed: { gw?: RunningRadosgw; proxy?: S3Proxy } = {};
  beforeAll(async () => {
    bed.gw = await startRadosgw();
    if (proxy) bed.proxy = await startS3Proxy(bed.gw.endpoint);
  }, 60_000);
  afterAll(async () => {
    await bed.proxy?.close();
    await bed.gw?.destroy();
  });
  return {
    get gw() {
      return bed.gw!;
    },
    get proxy() {
      return bed.proxy!;
    },
  };
}

/** A fresh bucket on `gw`, and the settings a run (or the registry) uses for it below `rootDirectory`. */
export async function freshBucket(gw: RunningRadosgw, rootDirectory = '/registry'): Promise<S3Settings> {
  const bucket = `gc-${process.pid}-${++buckets}`;
  await gw.createBucket(bucket);
  return { bucket, region: gw.region, regionEndpoint: gw.endpoint, accessKey: gw.accessKey, secretKey: gw.secretKey, rootDirectory, secure: false };
}

export function clientOf(settings: S3Settings): S3Client {
  return new S3Client(settings, { accessKeyId: settings.accessKey!, secretAccessKey: settings.secretKey! });
}

const keyPrefix = (settings: S3Settings) => (settings.rootDirectory ?? '').replace(/^\/+|\/+$/g, '');
const keyOf = (settings: S3Settings, relative: string) => [keyPrefix(settings), relative].filter(Boolean).join('/');

/** Every regular file below `root` (relative paths, forward slashes). */
export function treeFiles(root: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile()) out.set(path.relative(root, full).split(path.sep).join('/'), fs.readFileSync(full));
    }
  };
  walk(root);
  return new Map([...out].sort(([a], [b]) => (a < b ? -1 : 1)));
}

/** Uploads every file below `root` to the same relative key below the rootdirectory. */
export async function uploadTree(settings: S3Settings, root: string): Promise<number> {
  const client = clientOf(settings);
  const limit = pLimit(32);
  const files = treeFiles(root);
  await Promise.all([...files].map(([relative, data]) => limit(() => client.put(keyOf(settings, relative), data, false))));
  return files.size;
}

/** Writes one object (a hostile key, a stray) below the rootdirectory. */
export async function putObject(settings: S3Settings, relative: string, data: string): Promise<void> {
  await clientOf(settings).put(keyOf(settings, relative), data, false);
}

/** Every object below the rootdirectory with its bytes, keys relative to it, sorted. */
export async function bucketFiles(settings: S3Settings): Promise<Map<string, Buffer>> {
  const client = clientOf(settings);
  const prefix = keyPrefix(settings) === '' ? '' : `${keyPrefix(settings)}/`;
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await client.listPage(prefix, token);
    keys.push(...page.objects.map((o) => o.key));
    token = page.continuationToken;
  } while (token !== undefined);
  const limit = pLimit(32);
  const entries = await Promise.all(keys.map((key) => limit(async () => [key.slice(prefix.length), await client.get(key)] as const)));
  return new Map([...entries].sort(([a], [b]) => (a < b ? -1 : 1)));
}
