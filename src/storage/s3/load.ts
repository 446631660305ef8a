/**
 * The listing of a registry's bucket, the S3 run's first step: flat,
 * paginated ListObjectsV2 listings, split so that many run at once (one per
 * top-level repository folder, one per `blobs/<alg>/<xx>/`), then every file
 * the scan reads (registry/read-ahead.ts) and every manifest those files name,
 * one GET each, many in flight. Sizes and times come from the listing: no
 * request is made for a blob that is kept.
 *
 * The few grouped (`delimiter=/`) listings only find where to split.
 */
import pLimit from 'p-limit';
import { parseDigest, type Digest } from '../../registry/digest.js';
import type { RegistryLayout } from '../../registry/layout.js';
import { isReadAhead, revisionOf } from '../../registry/read-ahead.js';
import type { S3Client } from './client.js';
import { Snapshot, type SnapshotFile } from './snapshot.js';

export interface LoadOptions {
  /** Requests in flight at once. */
  readonly requests: number;
  /** A manifest larger than this is not read ahead (the scan then refuses it, as on disk). */
  readonly maxManifestBytes: number;
  readonly signal?: AbortSignal | undefined;
}

/** Far above any link (registry/links.ts) or upload start time the scan accepts. */
const READ_AHEAD_MAX_BYTES = 4096;

/** The key of an absolute layout path (`/a/b` → `a/b`), with `/` after a folder. */
const keyOf = (target: string, folder = false) => `${target.replace(/^\/+/, '')}${folder ? '/' : ''}`;

/** Lists the bucket below the registry's v2 folder and reads ahead what the scan reads. */
export async function loadSnapshot(client: S3Client, layout: RegistryLayout, { requests, maxManifestBytes, signal }: LoadOptions): Promise<Snapshot> {
  const limit = pLimit(requests);
  const snapshot = new Snapshot();
  const listAll = async (prefix: string, delimiter: boolean): Promise<string[]> => {
    const prefixes: string[] = [];
    let token: string | undefined;
    do {
      signal?.throwIfAborted();
      const page = await limit(() => client.listPage(prefix, token, delimiter));
      for (const object of page.objects) snapshot.add(object);
      prefixes.push(...page.prefixes);
      token = page.continuationToken;
    } while (token !== undefined);
    return prefixes;
  };

  const v2Folders = await listAll(keyOf(layout.v2, true), true);
  const blobsKey = keyOf(layout.blobsDir, true);
  const repositoriesKey = keyOf(layout.repositoriesDir, true);
  const flat: string[] = v2Folders.filter((p) => p !== blobsKey && p !== repositoriesKey);
  const [algorithms, repositoryFolders] = await Promise.all([
    v2Folders.includes(blobsKey) ? listAll(blobsKey, true) : Promise.resolve([]),
    v2Folders.includes(repositoriesKey) ? listAll(repositoriesKey, true) : Promise.resolve([]),
  ]);
  const blobPrefixes = (await Promise.all(algorithms.map((a) => listAll(a, true)))).flat();
  flat.push(...repositoryFolders, ...blobPrefixes);
  await Promise.all(flat.map((prefix) => listAll(prefix, false)));

  // The links and upload times the scan reads, then the manifests they (and revision folders) name.
  const files = snapshot.files();
  // A link or start time larger than this is refused by its size before it is read (as on disk): never fetched.
  const links = files.filter((file) => file.size <= READ_AHEAD_MAX_BYTES && isReadAhead(layout, `/${file.key}`));
  await readAhead(client, limit, links, signal);
  const manifests = new Set<Digest>();
  for (const file of files) {
    const revision = revisionOf(layout, `/${file.key}`);
    if (revision !== undefined) manifests.add(revision);
  }
  for (const link of links) {
    const named = link.data === undefined ? undefined : parseDigest(link.data.toString('utf8').trim());
    if (named !== undefined) manifests.add(named.digest);
  }
  const data: SnapshotFile[] = [];
  for (const digest of manifests) {
    const node = snapshot.find(layout.blobData(digest));
    if (node?.type === 'file' && node.size <= maxManifestBytes) data.push(node);
  }
  await readAhead(client, limit, data, signal);
  return snapshot;
}

/** GETs each file into the snapshot. A file gone meanwhile stays unread (the scan then reports it unreadable). */
async function readAhead(client: S3Client, limit: ReturnType<typeof pLimit>, files: readonly SnapshotFile[], signal: AbortSignal | undefined): Promise<void> {
  await Promise.all(
    files.map((file) =>
      limit(async () => {
        signal?.throwIfAborted();
        try {
          file.data = await client.get(file.key);
        } catch (error) {
          if ((error as { code?: string }).code !== 'ENOENT') throw error;
        }
      }),
    ),
  );
}
