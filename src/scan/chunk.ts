/**
 * The unit of work that can run on another thread: scan some repositories
 * and read the manifests their revisions and tags name. Everything it returns
 * is plain data (structured-cloneable), so a worker can post it as it is and
 * the main thread can merge chunks in any order.
 */
import type { Digest } from '../registry/digest.js';
import type { DigestInterner } from '../registry/digest-interner.js';
import type { Problem } from '../report/errors.js';
import type { TreeReader } from '../storage/storage.js';
import { Findings } from '../report/findings.js';
import { RegistryLayout } from '../registry/layout.js';
import { readManifest, type ManifestRead } from './manifest-read.js';
import { scanRepository, type RepositoryScan } from './repository.js';

export interface ChunkRequest {
  readonly root: string;
  readonly names: readonly string[];
  readonly maxManifestBytes: number;
}

export interface ChunkResult {
  readonly scans: RepositoryScan[];
  /** Every manifest a revision or tag of these repositories names, read and parsed. */
  readonly manifests: Array<[Digest, ManifestRead]>;
  readonly warnings: Problem[];
  readonly problems: Problem[];
}

/** `digests`: the interner of the thread the chunk runs on (one per run and thread). */
export function scanChunk(request: ChunkRequest, reader: TreeReader, digests: DigestInterner): ChunkResult {
  const layout = new RegistryLayout(request.root);
  const findings = new Findings(layout);
  const ctx = { layout, reader, findings, digests };
  const manifests = new Map<Digest, ManifestRead>();
  // Read now, on this thread, each once: marking then finds them parsed.
  const read = (digest: Digest) => {
    if (!manifests.has(digest)) manifests.set(digest, readManifest(reader, layout, digest, request.maxManifestBytes));
  };
  const scans: RepositoryScan[] = [];
  for (const name of request.names) {
    const scan = scanRepository(ctx, name);
    scans.push(scan);
    for (const digest of scan.revisions) read(digest);
    for (const digest of scan.pinned) read(digest);
    for (const tag of scan.tags) if (tag.current) read(tag.current);
  }
  return { scans, manifests: [...manifests], warnings: findings.warnings, problems: findings.problems };
}
