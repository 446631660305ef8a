/**
 * What the S3 requests of a run were: each request the counting proxy saw,
 * sorted by kind and by what it read (a revision link, a manifest, a blob
 * kept, …), for the requests-per-run row of issue 16; and the tree's keys
 * by kind, which the floor and the budgets count. Keys here are relative to
 * `<rootdirectory>/docker/registry/v2/`.
 */
import type { ProxiedRequest } from '../../harness/s3-proxy.js';
import type { RequestCounts, TreeKeys } from './s3-model.js';

export type KeyKind = 'revisionLink' | 'tagCurrentLink' | 'tagIndexLink' | 'startedAt' | 'layerLink' | 'blobData' | 'lock' | 'other';

const HEX = /^[0-9a-f]{64}$/;

/** What a key below v2/ is, and the digest (hex) it names for revision links and blob data. */
export function keyKind(key: string): { kind: KeyKind; hex?: string } {
  if (key === 'registry-gc.lock') return { kind: 'lock' };
  const parts = key.split('/');
  if (parts[0] === 'blobs') return parts.length === 5 && parts[4] === 'data' && HEX.test(parts[3] ?? '') ? { kind: 'blobData', hex: parts[3]! } : { kind: 'other' };
  if (parts[0] !== 'repositories') return { kind: 'other' };
  const last = parts[parts.length - 1];
  const at = parts.findIndex((p) => p === '_manifests' || p === '_layers' || p === '_uploads');
  if (at < 0) return { kind: 'other' };
  const rest = parts.slice(at);
  if (rest[0] === '_uploads') return rest.length === 3 && last === 'startedat' ? { kind: 'startedAt' } : { kind: 'other' };
  if (rest[0] === '_layers') return last === 'link' ? { kind: 'layerLink' } : { kind: 'other' };
  if (rest[1] === 'revisions' && rest.length === 5 && last === 'link') return { kind: 'revisionLink', hex: rest[3]! };
  if (rest[1] === 'tags' && rest[3] === 'current' && last === 'link') return { kind: 'tagCurrentLink' };
  if (rest[1] === 'tags' && rest[3] === 'index' && last === 'link') return { kind: 'tagIndexLink' };
  return { kind: 'other' };
}

/** The tree's keys by kind, from a listing (keys relative to v2/). */
export function treeKeys(keys: readonly string[]): TreeKeys & { manifestHexes: Set<string> } {
  const out = { keys: keys.length, blobs: 0, manifests: 0, revisionLinks: 0, tagCurrentLinks: 0, tagIndexLinks: 0, layerLinks: 0, uploads: 0, splitPrefixes: 0 };
  const revisions = new Set<string>();
  const blobs = new Set<string>();
  const prefixes = new Set<string>();
  for (const key of keys) {
    const { kind, hex } = keyKind(key);
    if (kind === 'revisionLink' && hex !== undefined) revisions.add(hex);
    if (kind === 'blobData' && hex !== undefined) blobs.add(hex);
    if (kind === 'revisionLink') out.revisionLinks++;
    else if (kind === 'tagCurrentLink') out.tagCurrentLinks++;
    else if (kind === 'tagIndexLink') out.tagIndexLinks++;
    else if (kind === 'layerLink') out.layerLinks++;
    else if (kind === 'startedAt') out.uploads++;
    const parts = key.split('/');
    if (parts[0] === 'blobs' && parts.length >= 4) prefixes.add(parts.slice(0, 3).join('/'));
    if (parts[0] === 'repositories' && parts.length >= 3) prefixes.add(parts.slice(0, 2).join('/'));
  }
  // A manifest is a revision's blob that is in the tree (one read each, however many repositories hold it).
  const manifestHexes = new Set([...revisions].filter((hex) => blobs.has(hex)));
  return { ...out, blobs: blobs.size, manifests: manifestHexes.size, splitPrefixes: prefixes.size, manifestHexes };
}

const decode = (s: string): string => s.split('/').map(decodeURIComponent).join('/');

/**
 * Counts the requests of one run. `v2` is the key prefix of the registry's
 * v2 folder (`registry/docker/registry/v2/`); `manifests` the hexes of the
 * tree's manifests, so that a GET of any other blob counts as one per blob kept.
 */
export function countRequests(seen: readonly ProxiedRequest[], bucket: string, v2: string, manifests: ReadonlySet<string>): RequestCounts {
  const counts: RequestCounts = { total: seen.length, byKind: {}, gets: {}, repeatedGets: 0, perBlob: 0, deleteObjectsKeys: 0, deleteObjectsSizes: [] };
  const bump = (o: Record<string, number>, k: string): void => {
    o[k] = (o[k] ?? 0) + 1;
  };
  const got = new Set<string>();
  for (const r of seen) {
    const q = r.url.indexOf('?');
    const path = decode(q < 0 ? r.url : r.url.slice(0, q));
    const query = new URLSearchParams(q < 0 ? '' : r.url.slice(q + 1));
    const key = path.startsWith(`/${bucket}/`) ? path.slice(bucket.length + 2) : '';
    const relative = key.startsWith(v2) ? key.slice(v2.length) : undefined;
    if (r.method === 'POST' && query.has('delete')) {
      bump(counts.byKind, 'deleteObjects');
      const n = (r.body.toString('utf8').match(/<Key>/g) ?? []).length;
      counts.deleteObjectsKeys += n;
      const lastRun = counts.deleteObjectsSizes[counts.deleteObjectsSizes.length - 1];
      if (lastRun !== undefined && lastRun[0] === n) lastRun[1]++;
      else counts.deleteObjectsSizes.push([n, 1]);
    } else if (r.method === 'GET' && key === '' && (query.has('list-type') || query.has('prefix'))) {
      const prefix = query.get('prefix') ?? '';
      const kind = query.get('max-keys') === '1' ? 'stat' : query.has('delimiter') ? 'listDelimiter' : 'list';
      bump(counts.byKind, kind);
      // A Stat of a blob that is no manifest: the reference's per-blob request.
      const target = prefix.startsWith(v2) ? keyKind(prefix.slice(v2.length).replace(/\/$/, '')) : undefined;
      if (kind === 'stat' && target?.kind === 'blobData' && target.hex !== undefined && !manifests.has(target.hex)) counts.perBlob++;
    } else if (r.method === 'GET' || r.method === 'HEAD') {
      bump(counts.byKind, r.method === 'GET' ? 'get' : 'head');
      const { kind, hex } = relative === undefined ? { kind: 'other' as const, hex: undefined } : keyKind(relative);
      const what = kind === 'blobData' ? (hex !== undefined && manifests.has(hex) ? 'manifest' : 'blob') : kind;
      if (what === 'blob') counts.perBlob++;
      if (r.method === 'GET') {
        bump(counts.gets, what);
        if (got.has(key)) counts.repeatedGets++;
        got.add(key);
      }
    } else bump(counts.byKind, r.method === 'PUT' ? 'put' : r.method === 'DELETE' ? 'delete' : 'other');
  }
  return counts;
}

/** The budget of GETs for one run: one per revision link, tag link (current and history), upload and manifest, and the lock's read-back in a real run. */
export function getBudget(k: TreeKeys, real: boolean): number {
  return k.revisionLinks + k.tagCurrentLinks + k.tagIndexLinks + k.uploads + k.manifests + (real ? 1 : 0);
}
