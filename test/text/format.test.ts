/**
 * The human report and the advice after it, on hand-made reports: every
 * category with its count and bytes, the ten repositories that free the
 * most (and how blobs are tied to them), time per phase, warnings grouped
 * by code, and next steps that depend on what the config says about Redis.
 */
import { describe, expect, it } from 'vitest';
import { attributeByRepository } from '../../src/text/attribution.js';
import type { RegistryConfig } from '../../src/config/config.js';
import type { Digest } from '../../src/registry/digest.js';
import { formatMilliseconds, formatReport } from '../../src/text/report.js';
import { nextSteps } from '../../src/text/next-steps.js';
import type { Report } from '../../src/report/report.js';

const digest = (n: number) => `sha256:${n.toString(16).padStart(64, '0')}` as Digest;

function report(overrides: Partial<Report> = {}): Report {
  return {
    dryRun: false,
    deleteUntagged: true,
    root: '/var/lib/registry',
    blobs: { total: 10, marked: 6, deleted: [], deletedBytes: 0, keptForAge: [] },
    manifests: { total: 4, deleted: [], keptForAge: [] },
    layerLinks: { deleted: [] },
    uploads: { deleted: [], deletedBytes: 0, keptForAge: [] },
    tagHistory: { deleted: [] },
    repositories: { total: 3, deleted: [] },
    tags: { total: 2, deleted: [] },
    warnings: [],
    errors: [],
    durations: { scan: 12.3, blobs: 0.4, mark: 1500, 'sweep-blobs': 7 },
    ...overrides,
  };
}

/** a: manifest 1 (100 B) with layer 2 (1000 B); b: layer 2 too (shared) and layer 3 (10 B); orphan blob 4 (5 B); an upload in c. */
const rich = report({
  blobs: {
    total: 10,
    marked: 6,
    deleted: [1, 2, 3, 4].map((n) => ({ digest: digest(n), size: [0, 100, 1000, 10, 5][n]! })),
    deletedBytes: 1115,
    keptForAge: [],
  },
  manifests: { total: 4, deleted: [{ repository: 'a', digest: digest(1) }], keptForAge: [] },
  layerLinks: {
    deleted: [
      { repository: 'a', digest: digest(2) },
      { repository: 'b', digest: digest(2) },
      { repository: 'b', digest: digest(3) },
    ],
  },
  uploads: { deleted: [{ repository: 'c', id: 'u1', size: 2000, startedAt: '2025-01-01T00:00:00Z' }], deletedBytes: 2000, keptForAge: [] },
  tagHistory: { deleted: [{ repository: 'a', tag: 'v1', digest: digest(1) }] },
  repositories: { total: 3, deleted: [{ repository: 'c' }] },
});

describe('formatReport', () => {
  it('gives every category its count, and bytes where it has them, and the total', () => {
    const text = formatReport(rich);
    expect(text).toMatch(/manifests\s+deleted 1\n/);
    expect(text).toMatch(/blobs\s+deleted 4 \(1\.11 kB\)\n/);
    expect(text).toMatch(/layer links\s+deleted 3\n/);
    expect(text).toMatch(/uploads\s+deleted 1 \(2 kB\)\n/);
    expect(text).toMatch(/tag history\s+deleted 1\n/);
    expect(text).toMatch(/repositories\s+deleted 1\n/);
    expect(text).toMatch(/total\s+deleted 3\.12 kB\n/);
    expect(formatReport(report({ dryRun: true }))).toMatch(/blobs\s+would delete 0 \(0 B\)/);
  });

  it('ranks repositories by bytes freed, then by name, with what is unattributed', () => {
    const lines = formatReport(rich).split('\n');
    const start = lines.findIndex((l) => l.startsWith('most freed by repository'));
    expect(lines[start]).toContain('top 3 of 3');
    expect(lines.slice(start + 1, start + 5)).toEqual([
      '  c                  2 kB  0 manifests, 0 blobs, 1 upload',
      '  a                1.1 kB  1 manifest, 2 blobs, 0 uploads',
      '  b               1.01 kB  0 manifests, 2 blobs, 0 uploads',
      '  unattributed        5 B  blobs no deleted manifest or layer link names',
    ]);
  });

  it('shows ten repositories at most, ties broken by name', () => {
    const manifests = Array.from({ length: 12 }, (_, i) => ({ repository: `r${String(11 - i).padStart(2, '0')}`, digest: digest(i + 1) }));
    const many = report({ manifests: { total: 12, deleted: manifests, keptForAge: [] } });
    const ranked = attributeByRepository(many).repositories.map((r) => r.repository);
    expect(ranked).toEqual([...ranked].sort());
    const text = formatReport(many);
    expect(text).toContain('top 10 of 12');
    expect(text).toContain('  r09 ');
    expect(text).not.toContain('  r10 ');
  });

  it('shows what the minimum age kept, only when it kept something', () => {
    expect(formatReport(rich)).not.toContain('kept for age');
    const young = report({
      blobs: { total: 10, marked: 6, deleted: [], deletedBytes: 0, keptForAge: [{ digest: digest(9), size: 300 }] },
      uploads: { deleted: [], deletedBytes: 0, keptForAge: [{ repository: 'c', id: 'u2', size: 200, startedAt: '2026-01-01T00:00:00Z' }] },
    });
    expect(formatReport(young)).toContain('kept for age  0 manifests, 1 blob, 1 upload (500 B)');
  });

  it('times every phase in the order it ran, with the sum', () => {
    expect(formatReport(rich)).toContain('1.52 s: scan 12 ms, blobs 0.4 ms, mark 1.50 s, sweep-blobs 7.0 ms');
    expect(formatMilliseconds(999)).toBe('999 ms');
  });

  it('wraps the phase times so that no line of the summary passes 100 columns', () => {
    const phases = ['scan', 'blobs', 'mark', 'sweep-manifests', 'sweep-blobs', 'sweep-layer-links', 'sweep-tag-history', 'sweep-uploads', 'sweep-repositories'];
    const text = formatReport(report({ durations: Object.fromEntries(phases.map((p) => [p, 1234.5])) }));
    for (const line of text.split('\n')) expect(line.length).toBeLessThanOrEqual(100);
    for (const phase of phases) expect(text).toContain(`${phase} 1.23 s`);
  });

  it('groups warnings by code, sorted, with the first three paths', () => {
    // Any code sorts the same; two real ones stand for 'b' and 'a'.
    const warnings = (['unreadable', 'bad_link', 'bad_link', 'bad_link', 'bad_link'] as const).map((code, i) => ({ code, path: `p${i}`, message: 'm' }));
    const text = formatReport(report({ warnings }));
    expect(text.split('\n').slice(-8)).toEqual(['warnings (5):', '  bad_link (4)', '    p1: m', '    p2: m', '    p3: m', '    … and 1 more', '  unreadable (1)', '    p0: m']);
  });

  it('prints the same text for the same report', () => {
    expect(formatReport(rich)).toBe(formatReport(structuredClone(rich)));
  });
});

describe('nextSteps', () => {
  const config = (extra: Partial<RegistryConfig>): RegistryConfig => ({
    file: '/etc/docker/registry/config.yml',
    root: '/var/lib/registry',
    rootDirectory: '/var/lib/registry',
    rootSource: 'storage.filesystem.rootdirectory',
    uploadAge: undefined,
    blobDescriptorCache: undefined,
    redis: undefined,
    environment: [],
    ...extra,
  });

  it('after a real run: restart; and Redis only as a maybe when no config was given', () => {
    const text = nextSteps(rich, undefined).join('\n');
    expect(text).toContain('restart the registry before it serves pushes again');
    expect(text).toContain('if the registry caches blob descriptors in Redis');
  });

  it('names the Redis to flush when the config caches blob descriptors there', () => {
    const text = nextSteps(rich, config({ blobDescriptorCache: 'redis', redis: { addr: 'cache.local:6380', db: 2 } })).join('\n');
    expect(text).toContain('Redis blob-descriptor cache at cache.local:6380, db 2');
    expect(text).toContain('redis-cli -h cache.local -p 6380 -n 2 FLUSHDB');
  });

  it('says nothing of Redis when the config caches in memory', () => {
    const text = nextSteps(rich, config({ blobDescriptorCache: 'inmemory' })).join('\n');
    expect(text).toContain('restart the registry');
    expect(text).not.toMatch(/redis/i);
  });

  it('nothing to do after a run that deleted nothing; a dry run points at the real run', () => {
    expect(nextSteps(report(), undefined)).toEqual([]);
    expect(nextSteps({ ...rich, dryRun: true }, undefined).join('\n')).toContain('without -d/--dry-run');
  });
});

describe('attribution of a manifest deleted through the API (issue 13, point 7)', () => {
  it('its blob is ranked under the repository whose revision folder, left without its link, names it', async () => {
    const { collectGarbage } = await import('../../src/collect/collect-garbage.js');
    const { attributeByRepository } = await import('../../src/text/attribution.js');
    const { TreeBuilder, tempDir } = await import('../../harness/tree.js');
    const fsm = await import('node:fs');
    const t = new TreeBuilder(tempDir());
    t.image('app', { tag: 'v1' });
    const gone = t.image('team/api', { layers: ['deleted through the API'] });
    // What the registry's DELETE /v2/team/api/manifests/<digest> leaves: the revision folder, without its link.
    fsm.rmSync(t.layout.revisionLink('team/api', gone.manifest.digest));
    const report = await collectGarbage(t.root, { dryRun: true });
    expect(report.blobs.tiedTo).toEqual([{ repository: 'team/api', digest: gone.manifest.digest }]);
    const { repositories, unattributedBytes } = attributeByRepository(report);
    expect(unattributedBytes).toBe(0);
    expect(repositories.find((r) => r.repository === 'team/api')?.blobs).toBe(3);
  });
});
