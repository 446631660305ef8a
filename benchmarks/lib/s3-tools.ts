/**
 * The S3 benchmark's parts: buckets on radosgw (fresh, uploaded, listed,
 * emptied: all straight to radosgw, never counted), one timed run of a tool
 * on a registry config whose `regionendpoint` is the counting proxy, and one
 * run of the request floor in a child process.
 */
import fs from 'node:fs';
import path from 'node:path';
import pLimit from 'p-limit';
import type { RunningRadosgw } from '../../harness/radosgw.js';
import { registryConfigYaml, registryEnv } from '../../harness/registry-server.js';
import type { S3Proxy } from '../../harness/s3-proxy.js';
import { S3Client } from '../../src/storage/s3/client.js';
import type { S3Settings } from '../../src/storage/s3/settings.js';
import { uploadTree } from '../../test/support/s3-tree.js';
import { PROJECT, type Tool } from './bench-model.js';
import { readReferenceSummary, type OursReport } from './bench-tools.js';
import { execute, tail } from './child-process.js';
import { FLOOR_ENV, type FloorInput } from './s3-floor.js';
import type { S3FloorSample, S3Sample } from './s3-model.js';
import { countRequests } from './s3-requests.js';

export const ROOT_DIRECTORY = '/registry';
/** Key prefix of the registry's v2 folder below ROOT_DIRECTORY. */
export const V2 = 'registry/docker/registry/v2/';

export interface S3Bench {
  tmp: string;
  cli: string;
  gw: RunningRadosgw;
  proxy: S3Proxy;
  timeout: number;
  requests: number;
  manifests: ReadonlySet<string>;
  seq: number;
}

const clientOf = (s: S3Settings): S3Client => new S3Client(s, { accessKeyId: s.accessKey ?? '', secretAccessKey: s.secretKey ?? '' });

/** A new bucket, and settings for it straight to radosgw (uploads and checks go there, uncounted). */
export async function newBucket(b: S3Bench, name: string): Promise<S3Settings> {
  await b.gw.createBucket(name);
  return { bucket: name, region: b.gw.region, regionEndpoint: b.gw.endpoint, accessKey: b.gw.accessKey, secretKey: b.gw.secretKey, rootDirectory: ROOT_DIRECTORY, secure: false };
}

/** The same bucket through the counting proxy: what the tools and the floor are given. */
export const viaProxy = (b: S3Bench, s: S3Settings): S3Settings => ({ ...s, regionEndpoint: b.proxy.endpoint });

export async function upload(s: S3Settings, root: string): Promise<{ keys: number; seconds: number }> {
  const started = process.hrtime.bigint();
  const keys = await uploadTree(s, root);
  return { keys, seconds: Number(process.hrtime.bigint() - started) / 1e9 };
}

/** Every key below the rootdirectory, relative to it (`docker/registry/v2/…`), sorted. */
export async function listKeys(s: S3Settings): Promise<string[]> {
  const client = clientOf(s);
  const prefix = `${ROOT_DIRECTORY.slice(1)}/`;
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await client.listPage(prefix, token);
    keys.push(...page.objects.map((o) => o.key.slice(prefix.length)));
    token = page.continuationToken;
  } while (token !== undefined);
  return keys.sort();
}

/** Deletes every object of the bucket: memstore keeps them all in RAM. */
export async function emptyBucket(s: S3Settings): Promise<void> {
  const client = clientOf(s);
  const keys = (await listKeys(s)).map((k) => `${ROOT_DIRECTORY.slice(1)}/${k}`);
  const limit = pLimit(8);
  const batches: string[][] = [];
  for (let i = 0; i < keys.length; i += 1000) batches.push(keys.slice(i, i + 1000));
  await Promise.all(batches.map((batch) => limit(() => client.deleteObjects(batch))));
}

/** The registry's config.yml for the bucket, through the proxy: both tools read this same file. */
export function writeConfig(b: S3Bench, s: S3Settings): string {
  const file = path.join(b.tmp, `config-${s.bucket}.yml`);
  const p = viaProxy(b, s);
  const s3 = { bucket: p.bucket, region: p.region, regionendpoint: p.regionEndpoint ?? '', accesskey: p.accessKey ?? '', secretkey: p.secretKey ?? '', rootdirectory: ROOT_DIRECTORY, secure: false as const, v4auth: true as const };
  fs.writeFileSync(file, registryConfigYaml({ s3 }));
  return file;
}

export function toolArgv(b: S3Bench, tool: Tool, dryRun: boolean, deleteUntagged: boolean, config: string): string[] {
  if (tool === 'ours') return [process.execPath, b.cli, ...(dryRun ? ['-d'] : []), ...(deleteUntagged ? ['-m'] : []), '--json', '--quiet', config];
  return ['docker-registry', 'garbage-collect', ...(dryRun ? ['--dry-run'] : []), ...(deleteUntagged ? ['-m'] : []), config];
}

const REPORT_KINDS = ['blobs', 'manifests', 'layerLinks', 'uploads', 'tagHistory', 'tags', 'repositories'] as const;

/**
 * One timed run of a tool on `bucket` (its config through the proxy), as an
 * operator runs it: the built CLI, or `docker-registry garbage-collect`, with
 * AWS_* and REGISTRY_* kept out of the environment (the config is the whole
 * story). What it decided comes from its output; its requests from the proxy.
 */
export async function runS3Tool(b: S3Bench, tool: Tool, dryRun: boolean, deleteUntagged: boolean, s: S3Settings): Promise<S3Sample> {
  const id = `${++b.seq}-${tool}`;
  const stdout = path.join(b.tmp, `${id}.out`);
  const stderr = path.join(b.tmp, `${id}.err`);
  const config = writeConfig(b, s);
  b.proxy.seen.length = 0;
  const o = await execute(toolArgv(b, tool, dryRun, deleteUntagged, config), { stdout, stderr, timeout: b.timeout, time: fs.existsSync('/usr/bin/time'), env: registryEnv() });
  const requests = countRequests(b.proxy.seen, s.bucket, V2, b.manifests);
  b.proxy.seen.length = 0;
  const sample: S3Sample = { seconds: o.seconds, rssKb: o.rssKb, exit: o.exit, timedOut: o.timedOut, requests };
  if (o.spawnError !== undefined) sample.error = o.spawnError;
  else if (o.timedOut) sample.error = `timed out after ${b.timeout} s`;
  else if (o.exit !== 0) sample.error = `exit ${o.exit ?? o.signal}: ${tail(stderr, 600).trim()}`;
  try {
    if (tool === 'ours' && !o.timedOut) {
      const report = JSON.parse(fs.readFileSync(stdout, 'utf8')) as OursReport & Record<string, { deleted?: unknown[] } | undefined>;
      sample.blobsDeleted = report.blobs?.deleted?.length;
      sample.manifestsDeleted = report.manifests?.deleted?.length;
      sample.blobsMarked = report.blobs?.marked;
      if (report.durations !== undefined) sample.durations = report.durations;
      if (!dryRun) sample.deletingPhases = REPORT_KINDS.filter((k) => (report[k]?.deleted?.length ?? 0) > 0).length;
    } else if (tool === 'reference' && !o.timedOut) {
      readReferenceSummary(stdout, sample);
    }
  } catch (err) {
    sample.error ??= `unreadable output: ${(err as Error).message}`;
  }
  fs.rmSync(stdout, { force: true });
  return sample;
}

/** The floor (s3-floor.ts) in its own process, through the proxy or straight to radosgw. */
export async function runS3Floor(b: S3Bench, s: S3Settings, direct: boolean): Promise<S3FloorSample> {
  const id = `${++b.seq}-floor`;
  const stdout = path.join(b.tmp, `${id}.out`);
  const stderr = path.join(b.tmp, `${id}.err`);
  const input: FloorInput = { settings: direct ? s : viaProxy(b, s), requests: b.requests, direct };
  b.proxy.seen.length = 0;
  const tsx = path.join(PROJECT, 'node_modules', '.bin', 'tsx');
  const o = await execute([tsx, path.join(PROJECT, 'benchmarks', 'lib', 's3-floor.ts')], {
    stdout,
    stderr,
    timeout: b.timeout,
    time: false,
    env: { ...registryEnv(), [FLOOR_ENV]: JSON.stringify(input) },
  });
  b.proxy.seen.length = 0;
  if (o.exit !== 0) throw new Error(`the S3 floor failed (exit ${o.exit ?? o.signal}): ${tail(stderr, 800)}`);
  const sample = JSON.parse(fs.readFileSync(stdout, 'utf8')) as S3FloorSample;
  fs.rmSync(stdout, { force: true });
  return sample;
}
