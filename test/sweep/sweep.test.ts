/**
 * Every deletion path, with the files that must survive checked on disk:
 * untagged manifests (revision and tag history), blobs, emptied prefix
 * folders; dry-run; ENOENT as "already gone"; failed deletions; abort.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { nodeFileSystem, type FileSystem } from '../../src/storage/file-system.js';
import { collectGarbage } from '../../src/collect/collect-garbage.js';
import { RegistryGcError } from '../../src/report/errors.js';
import type { ProgressEvent } from '../../src/collect/options.js';
import { blobExists, snapshot, tempDir, TreeBuilder } from '../../harness/tree.js';

describe('sweep', () => {
  it('deletes an untagged revision with every tag-history entry of it, and nothing of the kept image', async () => {
    const t = new TreeBuilder(tempDir());
    const old = t.image('app');
    for (const tag of ['latest', 'v1', 'v2']) t.history('app', tag, old.manifest.digest);
    const kept = t.image('app', { tag: 'latest' });
    t.tag('app', 'v1', kept.manifest.digest);
    t.tag('app', 'v2', kept.manifest.digest);
    await collectGarbage(t.root, { deleteUntagged: true });
    expect(fs.existsSync(t.layout.revisionDir('app', old.manifest.digest))).toBe(false);
    for (const tag of ['latest', 'v1', 'v2']) {
      expect(fs.existsSync(t.layout.tagIndexEntryDir('app', tag, old.manifest.digest))).toBe(false);
      expect(fs.readFileSync(t.layout.tagCurrentLink('app', tag), 'utf8')).toBe(kept.manifest.digest);
      expect(fs.existsSync(t.layout.tagIndexEntryDir('app', tag, kept.manifest.digest))).toBe(true);
    }
    for (const d of [kept.manifest, kept.config, ...kept.layers]) {
      expect(blobExists(t.root, d.digest)).toBe(true);
      if (d !== kept.manifest) expect(fs.existsSync(t.layout.layerLink('app', d.digest))).toBe(true);
    }
  });

  it('deletes a blob folder whole and removes the prefix folder it empties, not a shared one', async () => {
    const t = new TreeBuilder(tempDir());
    const kept = t.image('app', { tag: 'v1' });
    // Find two orphans: one alone in its prefix folder, one sharing a prefix with a kept blob.
    const keptPrefixes = new Set([kept.manifest, kept.config, ...kept.layers].map((d) => d.digest.slice(7, 9)));
    let alone, sharing;
    for (let i = 0; !(alone && sharing); i++) {
      const data = `orphan ${i}`;
      const prefix = (await import('../../src/registry/digest.js')).computeDigest(data).slice(7, 9);
      if (!alone && !keptPrefixes.has(prefix)) alone = t.blob(data);
      else if (!sharing && keptPrefixes.has(prefix)) sharing = t.blob(data);
    }
    const report = await collectGarbage(t.root);
    expect(report.blobs.deleted.map((b) => b.digest).sort()).toEqual([alone!.digest, sharing!.digest].sort());
    expect(fs.existsSync(path.dirname(t.layout.blobDir(alone!.digest)))).toBe(false);
    expect(fs.existsSync(path.dirname(t.layout.blobDir(sharing!.digest)))).toBe(true);
    expect(fs.existsSync(t.layout.blobDir(sharing!.digest))).toBe(false);
    for (const d of [kept.manifest, kept.config, ...kept.layers]) expect(blobExists(t.root, d.digest)).toBe(true);
    expect(report.blobs.deletedBytes).toBe(alone!.size + sharing!.size);
    expect(report.blobs.deleted.find((b) => b.digest === alone!.digest)?.size).toBe(alone!.size);
  });

  it('dry-run changes nothing and lists what the real run deletes', async () => {
    const t = new TreeBuilder(tempDir());
    t.image('app', { tag: 'v1' });
    t.image('app');
    t.blob('orphan');
    const before = snapshot(t.root);
    const dry = await collectGarbage(t.root, { dryRun: true, deleteUntagged: true });
    expect(snapshot(t.root)).toEqual(before);
    const real = await collectGarbage(t.root, { deleteUntagged: true });
    expect(real.blobs.deleted).toEqual(dry.blobs.deleted);
    expect(real.manifests.deleted).toEqual(dry.manifests.deleted);
    expect(dry.blobs.deleted.length).toBe(4);
  });

  it('a blob that vanished during the sweep counts as deleted (ENOENT is "already gone")', async () => {
    const t = new TreeBuilder(tempDir());
    const kept = t.image('app', { tag: 'v1' });
    const orphan = t.blob('orphan');
    const fileSystem: FileSystem = {
      ...nodeFileSystem,
      remove(target) {
        fs.rmSync(target, { recursive: true });
        nodeFileSystem.remove(target); // second removal: ENOENT
      },
    };
    const report = await collectGarbage(t.root, { fileSystem });
    expect(report.blobs.deleted.map((b) => b.digest)).toEqual([orphan.digest]);
    expect(report.errors).toEqual([]);
    expect(blobExists(t.root, kept.manifest.digest)).toBe(true);
  });

  it('a deletion that fails is reported as an error, the sweep goes on, the item is not listed', async () => {
    const t = new TreeBuilder(tempDir());
    const stuck = t.blob('orphan that cannot be removed');
    const other = t.blob('orphan that can');
    const fileSystem: FileSystem = {
      ...nodeFileSystem,
      remove(target) {
        if (target === t.layout.blobDir(stuck.digest)) throw Object.assign(new Error('EBUSY: resource busy'), { code: 'EBUSY' });
        nodeFileSystem.remove(target);
      },
    };
    const report = await collectGarbage(t.root, { fileSystem });
    expect(report.blobs.deleted.map((b) => b.digest)).toEqual([other.digest]);
    expect(report.errors.map((e) => e.code)).toEqual(['delete_failed']);
    expect(blobExists(t.root, stuck.digest)).toBe(true);
  });

  it('a tag whose index/ is a symbolic link: nothing below it goes, and it is reported once, however many deletions run at once', async () => {
    const t = new TreeBuilder(tempDir());
    const kept = t.image('app', { tag: 'v1' });
    const untagged = Array.from({ length: 6 }, () => t.image('app'));
    for (const image of untagged) t.history('app', 'v1', image.manifest.digest);
    const index = t.layout.tagIndexDir('app', 'v1');
    const moved = path.join(tempDir(), 'index');
    fs.renameSync(index, moved);
    fs.symlinkSync(moved, index);
    const outside = snapshot(moved);
    const report = await collectGarbage(t.root, { deleteUntagged: true });
    expect(report.warnings.filter((w) => w.code === 'symlink' && w.path === path.relative(t.root, index))).toHaveLength(1);
    // No history entry goes through the link, so no revision of those manifests goes either.
    expect(snapshot(moved)).toEqual(outside);
    expect(report.manifests.deleted).toEqual([]);
    for (const image of untagged) expect(fs.existsSync(t.layout.revisionLink('app', image.manifest.digest))).toBe(true);
    for (const blob of [kept.manifest, kept.config, ...kept.layers]) expect(blobExists(t.root, blob.digest)).toBe(true);
  });

  it('a second run deletes nothing', async () => {
    const t = new TreeBuilder(tempDir());
    t.image('app', { tag: 'v1' });
    t.image('app');
    t.blob('orphan');
    await collectGarbage(t.root, { deleteUntagged: true });
    const again = await collectGarbage(t.root, { deleteUntagged: true });
    expect(again.blobs.deleted).toEqual([]);
    expect(again.manifests.deleted).toEqual([]);
  });

  it('aborted while deletions run several at once on the real file system, the report lists exactly what is gone', async () => {
    const t = new TreeBuilder(tempDir());
    const kept = t.image('app', { tag: 'v1' });
    const orphans = Array.from({ length: 700 }, (_, i) => t.blob(`orphan ${i}`));
    const controller = new AbortController();
    const onProgress = (event: ProgressEvent) => {
      if (event.phase === 'sweep-blobs' && event.done >= 256) controller.abort();
    };
    const error = await collectGarbage(t.root, { signal: controller.signal, onProgress }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'E_ABORTED' });
    const reported = new Set((error as RegistryGcError).report!.blobs.deleted.map((b) => b.digest));
    const gone = new Set(orphans.filter((o) => !blobExists(t.root, o.digest)).map((o) => o.digest));
    expect(reported).toEqual(gone);
    expect(gone.size).toBeGreaterThanOrEqual(256);
    expect(gone.size).toBeLessThan(orphans.length);
    for (const blob of [kept.manifest, kept.config, ...kept.layers]) expect(blobExists(t.root, blob.digest)).toBe(true);
  });

  it('an aborted run stops between deletions and reports what it did', async () => {
    const t = new TreeBuilder(tempDir());
    t.image('app', { tag: 'v1' });
    for (let i = 0; i < 10; i++) t.blob(`orphan ${i}`);
    const controller = new AbortController();
    let removals = 0;
    const fileSystem: FileSystem = {
      ...nodeFileSystem,
      remove(target) {
        nodeFileSystem.remove(target);
        if (++removals === 3) controller.abort();
      },
    };
    const error = await collectGarbage(t.root, { fileSystem, signal: controller.signal }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RegistryGcError);
    expect((error as RegistryGcError).code).toBe('E_ABORTED');
    expect((error as RegistryGcError).report?.blobs.deleted).toHaveLength(3);
    expect(removals).toBe(3);
  });

  it('an abort before the start deletes nothing', async () => {
    const t = new TreeBuilder(tempDir());
    t.blob('orphan');
    const before = snapshot(t.root);
    await expect(collectGarbage(t.root, { signal: AbortSignal.abort() })).rejects.toMatchObject({ code: 'E_ABORTED' });
    expect(snapshot(t.root)).toEqual(before);
  });

  it('never touches anything outside docker/registry/v2', async () => {
    const t = new TreeBuilder(tempDir());
    t.blob('orphan');
    fs.writeFileSync(path.join(t.root, 'sentinel'), 'keep me');
    fs.writeFileSync(path.join(t.root, 'docker', 'registry', 'sentinel'), 'keep me');
    await collectGarbage(t.root);
    expect(fs.readFileSync(path.join(t.root, 'sentinel'), 'utf8')).toBe('keep me');
    expect(fs.readFileSync(path.join(t.root, 'docker', 'registry', 'sentinel'), 'utf8')).toBe('keep me');
  });
});
