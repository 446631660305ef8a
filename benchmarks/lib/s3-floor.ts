/**
 * The request floor of a collection on S3 (issue 16): what no collector can
 * skip. One flat, paginated ListObjectsV2 of the rootdirectory, and, as each
 * page comes in, one GET per revision link, tag `current/link`, upload
 * `startedat` and manifest (the blob a revision folder names, once however
 * many repositories hold it), `requests` in flight, with the project's own
 * S3Client. Tag history links (`index/…/link`) are not read: a tag's history
 * is the listing's folder names, and no decision needs their content.
 *
 * It runs in a child process of the benchmark (`tsx benchmarks/lib/s3-floor.ts`,
 * its input in BENCH_S3_FLOOR): the counting proxy lives in the benchmark's
 * process, and sharing its event loop would slow both. It times itself from
 * its first request, so process start-up is not in its figure.
 */
import pLimit from 'p-limit';
import { S3Client } from '../../src/storage/s3/client.js';
import type { S3Settings } from '../../src/storage/s3/settings.js';
import { runIfEntryPoint } from './entry.js';
import { keyKind } from './s3-requests.js';
import type { S3FloorSample } from './s3-model.js';

export interface FloorInput {
  settings: S3Settings;
  requests: number;
  direct: boolean;
}

export const FLOOR_ENV = 'BENCH_S3_FLOOR';

export async function measureS3Floor({ settings, requests, direct }: FloorInput): Promise<S3FloorSample> {
  const client = new S3Client(settings, { accessKeyId: settings.accessKey ?? '', secretAccessKey: settings.secretKey ?? '' });
  const limit = pLimit(requests);
  const root = (settings.rootDirectory ?? '').replace(/^\/+|\/+$/g, '');
  const prefix = root === '' ? '' : `${root}/`;
  const v2 = `${prefix}docker/registry/v2/`;
  const reads = { revisionLinks: 0, tagCurrentLinks: 0, startedAt: 0, manifests: 0 };
  const manifests = new Set<string>();
  const pending: Promise<unknown>[] = [];
  const read = (key: string): void => {
    pending.push(
      limit(() =>
        client.get(key).catch((error: unknown) => {
          if ((error as { code?: string }).code !== 'ENOENT') throw error;
        }),
      ),
    );
  };
  const started = process.hrtime.bigint();
  let pages = 0;
  let keys = 0;
  let token: string | undefined;
  do {
    const page = await client.listPage(prefix, token);
    pages++;
    for (const { key } of page.objects) {
      keys++;
      if (!key.startsWith(v2)) continue;
      const { kind, hex } = keyKind(key.slice(v2.length));
      if (kind === 'revisionLink') {
        reads.revisionLinks++;
        read(key);
        if (hex !== undefined && !manifests.has(hex)) {
          manifests.add(hex);
          reads.manifests++;
          read(`${v2}blobs/sha256/${hex.slice(0, 2)}/${hex}/data`);
        }
      } else if (kind === 'tagCurrentLink') {
        reads.tagCurrentLinks++;
        read(key);
      } else if (kind === 'startedAt') {
        reads.startedAt++;
        read(key);
      }
    }
    token = page.continuationToken;
  } while (token !== undefined);
  const listed = process.hrtime.bigint();
  await Promise.all(pending);
  const done = process.hrtime.bigint();
  return { seconds: Number(done - started) / 1e9, listSeconds: Number(listed - started) / 1e9, direct, pages, keys, reads, requests: { ...client.requests } };
}

async function main(): Promise<number> {
  const input = process.env[FLOOR_ENV];
  if (input === undefined) {
    process.stderr.write(`s3-floor: ${FLOOR_ENV} is not set (the benchmark, benchmarks/s3.ts, runs this)\n`);
    return 2;
  }
  process.stdout.write(`${JSON.stringify(await measureS3Floor(JSON.parse(input) as FloorInput))}\n`);
  return 0;
}

runIfEntryPoint(import.meta.url, main, 's3-floor: ');
