/**
 * Leave nothing behind (issue 3): layer links, uploads, tag history, empty
 * repositories and folders. Each rule with a tree where it applies and one
 * where it must not, checked on disk.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { collectGarbage } from '../../src/collect/collect-garbage.js';
import type { CollectOptions } from '../../src/collect/options.js';
import { blobExists, snapshot, tempDir, TreeBuilder } from '../../harness/tree.js';

const NOW = new Date('2026-11-29T12:00:00Z');
const fresh = () => new TreeBuilder(tempDir());
const run = (t: TreeBuilder, options: CollectOptions = {}) => collectGarbage(t.root, { now: NOW, ...options });

describe('layer links', () => {
  it('removes links whose blob was deleted in this run or was missing before', async () => {
    const t = fresh();
    const kept = t.image('app', { tag: 'v1' });
    const orphan = t.blob('pushed, never used');
    t.layerLink('app', orphan.digest);
    const missing = `sha256:${'a'.repeat(64)}` as const;
    t.layerLink('app', missing as never);
    const report = await run(t);
    expect(report.layerLinks.deleted).toEqual([
      { repository: 'app', digest: orphan.digest },
      { repository: 'app', digest: missing },
    ].sort((a, b) => (a.digest < b.digest ? -1 : 1)));
    expect(fs.existsSync(t.layout.layerLinkDir('app', orphan.digest))).toBe(false);
    for (const d of [kept.config, ...kept.layers]) expect(fs.readFileSync(t.layout.layerLink('app', d.digest), 'utf8')).toBe(d.digest);
  });

  it('keeps a link to a blob another repository still uses, unless pruneLayerLinks', async () => {
    const t = fresh();
    const shared = t.blob('shared layer');
    t.image('a', { sharedLayers: [shared] }); // untagged: goes with -m
    t.image('a', { tag: 'keep' });
    t.image('b', { sharedLayers: [shared], tag: 'v1' });
    const plain = await run(t, { deleteUntagged: true, dryRun: true });
    expect(plain.layerLinks.deleted.map((l) => l.digest)).not.toContain(shared.digest);
    const pruned = await run(t, { deleteUntagged: true, pruneLayerLinks: true });
    expect(pruned.layerLinks.deleted).toContainEqual({ repository: 'a', digest: shared.digest });
    expect(fs.existsSync(t.layout.layerLinkDir('a', shared.digest))).toBe(false);
    expect(fs.existsSync(t.layout.layerLink('b', shared.digest))).toBe(true);
    expect(blobExists(t.root, shared.digest)).toBe(true);
  });

  it('pruneLayerLinks keeps configs, layers and the kept manifests of the repository', async () => {
    const t = fresh();
    const image = t.image('app', { tag: 'v1' });
    t.layerLink('app', image.manifest.digest); // the registry does not write this, but it is referenced
    const report = await run(t, { pruneLayerLinks: true });
    expect(report.layerLinks.deleted).toEqual([]);
  });

  it('a dangling link with bad content is reported and left alone', async () => {
    const t = fresh();
    t.image('app', { tag: 'v1' });
    const digest = `sha256:${'b'.repeat(64)}` as never;
    t.layerLink('app', digest);
    fs.writeFileSync(t.layout.layerLink('app', digest), 'sha256:nonsense');
    const report = await run(t);
    expect(report.layerLinks.deleted).toEqual([]);
    expect(report.warnings.map((w) => w.code)).toEqual(['bad_link']);
    expect(fs.existsSync(t.layout.layerLink('app', digest))).toBe(true);
  });
});

describe('uploads', () => {
  function withUploads() {
    const t = fresh();
    t.image('app', { tag: 'v1' });
    t.upload('app', 'stale', '2026-11-01T00:00:00Z', 'x'.repeat(1000));
    t.upload('app', 'fresh', '2026-11-29T11:00:00Z');
    t.upload('app', 'garbled', 'yesterday-ish');
    t.upload('app', 'no-startedat', undefined);
    return t;
  }

  it('removes uploads older than the upload age (default 168h), reports their bytes, keeps the rest', async () => {
    const t = withUploads();
    const report = await run(t);
    expect(report.uploads.deleted).toEqual([{ repository: 'app', id: 'stale', size: 1000 + 'state'.length + '2026-11-01T00:00:00Z'.length, startedAt: '2026-11-01T00:00:00Z' }]);
    expect(report.uploads.deletedBytes).toBe(report.uploads.deleted[0]!.size);
    expect(fs.existsSync(t.layout.uploadDir('app', 'stale'))).toBe(false);
    for (const id of ['fresh', 'garbled', 'no-startedat']) expect(fs.existsSync(t.layout.uploadDir('app', id))).toBe(true);
    expect(report.warnings.map((w) => `${w.code} ${w.path.split('/').pop()}`)).toEqual(['upload_startedat_invalid garbled', 'upload_startedat_missing no-startedat']);
  });

  it('honours uploadAge as a duration, and keepUploads', async () => {
    const t = withUploads();
    expect((await run(t, { dryRun: true, uploadAge: '30m' })).uploads.deleted.map((u) => u.id)).toEqual(['fresh', 'stale']);
    expect((await run(t, { dryRun: true, uploadAge: '30d' })).uploads.deleted).toEqual([]);
    const before = snapshot(t.root);
    expect((await run(t, { keepUploads: true, uploadAge: '1m' })).uploads.deleted).toEqual([]);
    expect(snapshot(t.root)).toEqual(before);
  });

  it('refuses an upload age that is not a duration', async () => {
    const t = withUploads();
    await expect(run(t, { uploadAge: '7 days' })).rejects.toMatchObject({ code: 'E_INVALID_OPTION' });
    await expect(run(t, { uploadAge: '100' })).rejects.toMatchObject({ code: 'E_INVALID_OPTION' });
  });
});

describe('tag history', () => {
  it('removes entries naming a manifest that is no revision any more; keeps the current target and live revisions', async () => {
    const t = fresh();
    const old = t.image('app');
    const live = t.image('app', { tag: 'v1' });
    t.history('app', 'latest', old.manifest.digest);
    t.tag('app', 'latest', live.manifest.digest);
    const vanished = `sha256:${'c'.repeat(64)}` as never;
    t.history('app', 'latest', vanished);
    t.history('app', 'v1', vanished);
    const report = await run(t);
    expect(report.tagHistory.deleted).toEqual([
      { repository: 'app', tag: 'latest', digest: vanished },
      { repository: 'app', tag: 'v1', digest: vanished },
    ]);
    expect(fs.existsSync(t.layout.tagIndexEntryDir('app', 'latest', old.manifest.digest))).toBe(true); // still a revision
    expect(fs.existsSync(t.layout.tagIndexEntryDir('app', 'latest', live.manifest.digest))).toBe(true);
  });

  it("a tag's current target keeps its entry even when it is no revision (and that is warned about)", async () => {
    const t = fresh();
    t.image('app', { tag: 'v1' });
    const ghost = `sha256:${'d'.repeat(64)}` as never;
    t.tag('app', 'broken', ghost);
    const report = await run(t);
    expect(report.tagHistory.deleted).toEqual([]);
    expect(report.warnings.map((w) => w.code)).toContain('tag_target_missing');
    expect(fs.existsSync(t.layout.tagIndexEntryDir('app', 'broken', ghost))).toBe(true);
  });
});

describe('empty repositories', () => {
  function nested() {
    const t = fresh();
    const gone = t.image('a'); // a's only image, untagged
    t.image('a/b', { tag: 'v1' });
    t.image('solo'); // untagged, nothing else
    t.upload('waiting', 'u1', '2026-11-29T11:59:00Z');
    return { t, gone };
  }

  it('removes a repository left with no tag, revision or upload; a/b stays while a goes', async () => {
    const { t } = nested();
    const report = await run(t, { deleteUntagged: true, removeEmptyRepositories: true });
    expect(report.repositories.deleted).toEqual([{ repository: 'a' }, { repository: 'solo' }]);
    expect(fs.existsSync(t.layout.repositoryDir('solo'))).toBe(false);
    for (const marker of ['_manifests', '_layers', '_uploads']) expect(fs.existsSync(path.join(t.layout.repositoryDir('a'), marker))).toBe(false);
    expect(fs.existsSync(t.layout.tagCurrentLink('a/b', 'v1'))).toBe(true);
    expect(fs.existsSync(t.layout.repositoriesDir)).toBe(true);
    // a repository with only an upload left is not empty
    expect(fs.existsSync(t.layout.uploadDir('waiting', 'u1'))).toBe(true);
  });

  it('is off by default, and removes parent folders it empties but never repositories/', async () => {
    const { t } = nested();
    expect((await run(t, { deleteUntagged: true, dryRun: true })).repositories.deleted).toEqual([]);
    const u = fresh();
    u.image('team/deep/app');
    await run(u, { deleteUntagged: true, removeEmptyRepositories: true });
    expect(fs.readdirSync(u.layout.repositoriesDir)).toEqual([]);
  });
});

describe('empty folders', () => {
  it('removes revision folders without a link (left by the API DELETE)', async () => {
    const t = fresh();
    const deleted = t.image('app');
    t.image('app', { tag: 'v1' });
    fs.rmSync(t.layout.revisionLink('app', deleted.manifest.digest));
    await run(t);
    expect(fs.existsSync(t.layout.revisionDir('app', deleted.manifest.digest))).toBe(false);
    expect(fs.existsSync(path.dirname(t.layout.revisionDir('app', deleted.manifest.digest)))).toBe(true);
  });
});

describe('a second run with every option on', () => {
  it('reports nothing to delete in any category', async () => {
    const { t } = (() => {
      const t = fresh();
      const shared = t.blob('shared');
      const old = t.image('app', { sharedLayers: [shared] });
      t.history('app', 'latest', old.manifest.digest);
      t.image('app', { sharedLayers: [shared], tag: 'latest' });
      t.image('gone');
      t.layerLink('app', t.blob('orphan').digest);
      t.upload('app', 'stale', '2020-01-01T00:00:00Z');
      t.history('app', 'latest', `sha256:${'e'.repeat(64)}` as never);
      return { t };
    })();
    const options: CollectOptions = { deleteUntagged: true, pruneLayerLinks: true, removeEmptyRepositories: true };
    const first = await run(t, options);
    expect(first.blobs.deleted.length + first.manifests.deleted.length + first.layerLinks.deleted.length + first.uploads.deleted.length + first.tagHistory.deleted.length + first.repositories.deleted.length).toBeGreaterThan(6);
    const second = await run(t, options);
    for (const category of [second.blobs, second.manifests, second.layerLinks, second.uploads, second.tagHistory, second.repositories]) {
      expect(category.deleted).toEqual([]);
    }
  });
});
