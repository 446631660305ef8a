/**
 * The table of deletable kinds (report/kinds.ts): everything derived from it
 * agrees with the report's contract, and plans keep their format. The
 * expected fingerprints below were computed by registry-gc 0.1.0 before the
 * table existed (each kind spelled out by hand in the plan code): a plan file
 * written by it must still be accepted, and name its items the same way.
 */
import { describe, expect, it } from 'vitest';
import type { Digest } from '../../src/registry/digest.js';
import { fingerprintCategories, keysOf, planSha256 } from '../../src/plan/fingerprint.js';
import type { Plan, PlanItems } from '../../src/plan/types.js';
import { candidateIdentity, CATEGORIES, CATEGORY_OF_CANDIDATE, KINDS } from '../../src/report/kinds.js';
import { RegistryLayout } from '../../src/registry/layout.js';

const d = (n: number) => `sha256:${String(n).repeat(64)}` as Digest;

const items: PlanItems = {
  tags: [],
  manifests: [
    { repository: 'team/app', digest: d(1), reason: 'untagged' },
    { repository: 'a', digest: d(2), reason: 'untagged' },
  ],
  blobs: [
    { digest: d(3), size: 1234, reason: 'unreferenced' },
    { digest: d(1), size: 0, reason: 'unreferenced' },
  ],
  layerLinks: [
    { repository: 'team/app', digest: d(3), reason: 'blob-deleted' },
    { repository: 'b', digest: d(4), reason: 'unreferenced-in-repository' },
  ],
  tagHistory: [{ repository: 'team/app', tag: 'v1.0', digest: d(2), reason: 'not-a-revision' }],
  uploads: [{ repository: 'team/app', id: 'u-1', size: 42, startedAt: '2026-01-01T00:00:00Z', reason: 'stale' }],
  repositories: [{ repository: 'old/one', reason: 'empty' }],
};

const header: Omit<Plan, 'fingerprint' | 'items' | 'warnings' | 'totals'> = {
  format: 'registry-gc-plan',
  formatVersion: 1,
  registryGcVersion: '0.1.0',
  createdAt: '2026-12-01T00:00:00.000Z',
  root: '/var/lib/registry',
  options: { deleteUntagged: true, pruneLayerLinks: false, removeEmptyRepositories: true, keepUploads: false, uploadAge: 604800000, minAge: 0, maxManifestBytes: 4194304 },
  scanned: { repositories: 3, tags: 4, manifests: 5, blobs: 6, markedDigests: 7 },
};

describe('the table of deletable kinds', () => {
  it('lists the report categories in the order of spec §4, each with its own sweep phase', () => {
    expect(CATEGORIES).toEqual(['tags', 'manifests', 'blobs', 'layerLinks', 'tagHistory', 'uploads', 'repositories']);
    expect(CATEGORIES.map((c) => KINDS[c].phase)).toEqual([
      'sweep-tags',
      'sweep-manifests',
      'sweep-blobs',
      'sweep-layer-links',
      'sweep-tag-history',
      'sweep-uploads',
      'sweep-repositories',
    ]);
    expect(new Set(CATEGORIES.map((c) => KINDS[c].candidate)).size).toBe(CATEGORIES.length);
    for (const c of CATEGORIES) expect(CATEGORY_OF_CANDIDATE[KINDS[c].candidate]).toBe(c);
  });

  it('fingerprints a plan exactly as the plan code did before the table', () => {
    const categories = fingerprintCategories(items);
    // A plan without tags fingerprints exactly as a plan of 0.1.0 did.
    expect(categories).toEqual({
      tags: { count: 0, sha256: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855' },
      manifests: { count: 2, sha256: '479ae83f8e82a10f6178c4c0fb365a0aeb6503ecb3ef0d30546b1d422d00df8e' },
      blobs: { count: 2, sha256: '74034e04fd1838a8d9efd740f8cf9469274eb7edefc7bfc7da3f863de05aa9e5' },
      layerLinks: { count: 2, sha256: '8c2a2417316cd7d78b9281be11d1ec3435594b68d21803fc546e8fbb271d165e' },
      tagHistory: { count: 1, sha256: 'dca6edc2bcdf123090c2bb8c4833323cb756b89bc40e2531cb12d70f0d400dfc' },
      uploads: { count: 1, sha256: 'dac0dacae770c76f0c7f0516d92cb1e0ad65f5a80e2a4ab224345ce71cd9c1d4' },
      repositories: { count: 1, sha256: '3e859d3c3378b3439b82a7d17c9fe8ead6f1a4a7b76b7ac007fd446022699aaa' },
    });
    expect(planSha256(header, categories)).toBe('cfab5d67aa27cfd6e1056b2ff624b58549462c7f1daddea054dbd4a075d7b2a7');
  });

  it('names items and allow candidates as before, so a plan and a run compare', () => {
    expect([...keysOf(items)]).toEqual([
      `["manifests","team/app","${d(1)}"]`,
      `["manifests","a","${d(2)}"]`,
      `["blobs","${d(3)}"]`,
      `["blobs","${d(1)}"]`,
      `["layerLinks","team/app","${d(3)}"]`,
      `["layerLinks","b","${d(4)}"]`,
      `["tagHistory","team/app","v1.0","${d(2)}"]`,
      '["uploads","team/app","u-1","2026-01-01T00:00:00Z"]',
      '["repositories","old/one"]',
    ]);
    expect(candidateIdentity({ kind: 'upload', repository: 'team/app', id: 'u-1', startedAt: '2026-01-01T00:00:00Z' })).toBe(
      '["uploads","team/app","u-1","2026-01-01T00:00:00Z"]',
    );
    expect(candidateIdentity({ kind: 'layer-link', repository: 'b', digest: d(4) })).toBe(`["layerLinks","b","${d(4)}"]`);
  });

  it('locates each kind where the layout keeps it; a manifest is there while its revision link is', () => {
    const layout = new RegistryLayout('/r');
    expect(KINDS.manifests.where(layout, items.manifests[0]!)).toEqual({
      dir: layout.revisionDir('team/app', d(1)),
      marker: layout.revisionLink('team/app', d(1)),
    });
    expect(KINDS.blobs.where(layout, items.blobs[0]!).dir).toBe(layout.blobDir(d(3)));
    expect(KINDS.tagHistory.where(layout, items.tagHistory[0]!).dir).toBe(layout.tagIndexEntryDir('team/app', 'v1.0', d(2)));
    expect(KINDS.uploads.where(layout, items.uploads[0]!).dir).toBe(layout.uploadDir('team/app', 'u-1'));
    expect(KINDS.repositories.where(layout, items.repositories[0]!).dir).toBe(layout.repositoryDir('old/one'));
  });

  it('gives a size to exactly the kinds whose report category sums bytes', () => {
    expect(CATEGORIES.filter((c) => KINDS[c].sized)).toEqual(['blobs', 'uploads']);
  });
});
