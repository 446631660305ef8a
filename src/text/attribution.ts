/**
 * Which repositories free the most, derived from the report alone (the CLI
 * reads nothing more from a tree of terabytes just to rank it).
 *
 * A deleted blob is attributed to a repository when the report ties the two:
 * the repository's deleted manifest is that blob (a manifest is a blob), or
 * the repository's deleted layer link names it (the registry writes a layer
 * link for every config and layer pushed to a repository), or a revision
 * folder the registry's API left without its link names it (blobs.tiedTo). Uploads carry
 * their repository and size. A blob tied to several repositories counts in
 * each, so the rows can add up to more than the total; blobs tied to none
 * (for example layers of manifests deleted through the API long ago) are
 * summed apart as unattributed.
 *
 * Order: bytes descending, then repository name, so the table is stable.
 */
import { type Report } from '../report/report.js';
import { compareStrings } from '../report/order.js';

export interface RepositoryShare {
  readonly repository: string;
  /** Bytes of attributed blobs plus uploads. */
  readonly bytes: number;
  readonly blobs: number;
  /** Tags deleted (retention, orphaned referrer tags): the manifests and blobs they alone kept are in the other counts. */
  readonly tags: number;
  readonly manifests: number;
  readonly uploads: number;
}

export interface Attribution {
  /** Every repository with a deletion, in rank order. */
  readonly repositories: readonly RepositoryShare[];
  /** Bytes of deleted blobs that no repository in the report is tied to. */
  readonly unattributedBytes: number;
}

interface Tally {
  digests: Set<string>;
  tags: number;
  manifests: number;
  uploads: number;
  uploadBytes: number;
}

export function attributeByRepository(report: Report): Attribution {
  const blobSize = new Map<string, number>(report.blobs.deleted.map((b) => [b.digest, b.size]));
  const tallies = new Map<string, Tally>();
  const tally = (repository: string): Tally => {
    let t = tallies.get(repository);
    if (!t) {
      t = { digests: new Set(), tags: 0, manifests: 0, uploads: 0, uploadBytes: 0 };
      tallies.set(repository, t);
    }
    return t;
  };
  const attributed = new Set<string>();
  const tie = (repository: string, digest: string) => {
    const t = tally(repository);
    if (blobSize.has(digest)) {
      t.digests.add(digest);
      attributed.add(digest);
    }
  };

  for (const t of report.tags.deleted) tally(t.repository).tags += 1;
  for (const m of report.manifests.deleted) {
    tally(m.repository).manifests += 1;
    tie(m.repository, m.digest);
  }
  for (const link of report.layerLinks.deleted) tie(link.repository, link.digest);
  // A manifest deleted through the API leaves its revision folder: the tree still says whose it was.
  for (const t of report.blobs.tiedTo ?? []) tie(t.repository, t.digest);
  for (const upload of report.uploads.deleted) {
    const t = tally(upload.repository);
    t.uploads += 1;
    t.uploadBytes += upload.size;
  }

  const repositories: RepositoryShare[] = [...tallies].map(([repository, t]) => ({
    repository,
    bytes: [...t.digests].reduce((n, d) => n + (blobSize.get(d) ?? 0), t.uploadBytes),
    blobs: t.digests.size,
    tags: t.tags,
    manifests: t.manifests,
    uploads: t.uploads,
  }));
  repositories.sort((a, b) => b.bytes - a.bytes || compareStrings(a.repository, b.repository));
  const unattributedBytes = report.blobs.deleted.reduce((n, b) => (attributed.has(b.digest) ? n : n + b.size), 0);
  return { repositories, unattributedBytes };
}
