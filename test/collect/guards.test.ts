/**
 * Issue 5's guards: one collector at a time (the lock), the review delay
 * (minAge), and signs of a registry that is still running (strict).
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { collectGarbage } from '../../src/collect/collect-garbage.js';
import { nodeFileSystem, type FileSystem } from '../../src/storage/file-system.js';
import { RegistryGcError } from '../../src/report/errors.js';
import { blobExists, snapshot, tempDir, TreeBuilder } from '../../harness/tree.js';

const cli = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'dist', 'cli.js');
const NOW = new Date('2026-11-29T12:00:00Z');

function treeWithGarbage() {
  const t = new TreeBuilder(tempDir());
  const kept = t.image('app', { tag: 'v1' });
  const orphan = t.blob('orphan');
  return { t, kept, orphan };
}

/** A pid that is certainly not running: a child that has exited. */
function deadPid(): number {
  return spawnSync(process.execPath, ['-e', '0']).pid!;
}

describe('lock', () => {
  it('a second run while the lock is held fails with E_LOCKED naming the holder, deleting nothing', async () => {
    const { t } = treeWithGarbage();
    fs.writeFileSync(t.layout.lockFile, JSON.stringify({ pid: process.pid, host: os.hostname(), startedAt: '2026-11-29T11:00:00Z' }));
    const before = snapshot(t.root);
    const error = await collectGarbage(t.root).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RegistryGcError);
    expect((error as RegistryGcError).code).toBe('E_LOCKED');
    expect((error as RegistryGcError).message).toContain(`pid ${process.pid} on ${os.hostname()}`);
    expect(snapshot(t.root)).toEqual(before);
  });

  it('a lock from another host is never taken over', async () => {
    const { t } = treeWithGarbage();
    fs.writeFileSync(t.layout.lockFile, JSON.stringify({ pid: deadPid(), host: 'some-other-host', startedAt: '2026-11-29T11:00:00Z' }));
    await expect(collectGarbage(t.root)).rejects.toMatchObject({ code: 'E_LOCKED' });
  });

  it('a stale lock from a dead pid on this host is taken over, with a warning, and released after', async () => {
    const { t, orphan } = treeWithGarbage();
    fs.writeFileSync(t.layout.lockFile, JSON.stringify({ pid: deadPid(), host: os.hostname(), startedAt: '2026-11-29T11:00:00Z' }));
    const report = await collectGarbage(t.root);
    expect(report.warnings.map((w) => w.code)).toEqual(['stale_lock']);
    expect(report.blobs.deleted.map((b) => b.digest)).toEqual([orphan.digest]);
    expect(fs.existsSync(t.layout.lockFile)).toBe(false);
  });

  it('an unreadable lock file counts as held', async () => {
    const { t } = treeWithGarbage();
    fs.writeFileSync(t.layout.lockFile, 'garbage');
    await expect(collectGarbage(t.root)).rejects.toMatchObject({ code: 'E_LOCKED' });
  });

  it('a dry run takes no lock, so it runs beside a real one (and on read-only copies)', async () => {
    const { t } = treeWithGarbage();
    fs.writeFileSync(t.layout.lockFile, JSON.stringify({ pid: process.pid, host: os.hostname(), startedAt: 'now' }));
    const report = await collectGarbage(t.root, { dryRun: true });
    expect(report.blobs.deleted).toHaveLength(1);
  });

  it('two concurrent CLI runs on one root: one proceeds, the other exits non-zero having deleted nothing', async () => {
    const t = new TreeBuilder(tempDir());
    t.image('app', { tag: 'v1' });
    for (let i = 0; i < 3000; i++) t.blob(`orphan ${i}`); // enough work that the runs overlap
    const runOnce = () =>
      new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
        const child = spawn(process.execPath, [cli, '--json', t.root]);
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (d) => (stdout += d));
        child.stderr.on('data', (d) => (stderr += d));
        child.on('close', (code) => resolve({ code, stdout, stderr }));
      });
    const results = await Promise.all([runOnce(), runOnce()]);
    const winners = results.filter((r) => r.code === 0);
    const losers = results.filter((r) => r.code !== 0);
    // Either they overlapped (one refused) or the first finished before the second began
    // (then the second found nothing to delete): in both cases 3000 blobs were deleted once.
    const deleted = results.flatMap((r) => (r.code === 0 ? JSON.parse(r.stdout).blobs.deleted : []));
    expect(deleted).toHaveLength(3000);
    for (const loser of losers) {
      expect(loser.code).toBe(1);
      expect(JSON.parse(loser.stdout).error.code).toBe('E_LOCKED');
    }
    expect(winners.length).toBeGreaterThanOrEqual(1);
    expect(fs.existsSync(t.layout.lockFile)).toBe(false);
  }, 30_000);
});

describe('minAge', () => {
  it('keeps and reports blobs, untagged manifests (with their blobs) and uploads younger than minAge', async () => {
    const t = new TreeBuilder(tempDir());
    t.image('app', { tag: 'v1' });
    const oldImage = t.image('app');
    const youngImage = t.image('app');
    const oldOrphan = t.blob('old orphan');
    const youngOrphan = t.blob('young orphan');
    t.upload('app', 'old', '2026-11-01T00:00:00Z');
    t.upload('app', 'young', '2026-11-29T10:30:00Z');
    const past = new Date('2026-11-20T00:00:00Z');
    for (const file of [oldOrphan, oldImage.manifest, oldImage.config, ...oldImage.layers].map((d) => t.layout.blobData(d.digest))) fs.utimesSync(file, past, past);
    fs.utimesSync(t.layout.revisionLink('app', oldImage.manifest.digest), past, past);
    for (const file of [youngOrphan, youngImage.manifest, youngImage.config, ...youngImage.layers].map((d) => t.layout.blobData(d.digest))) fs.utimesSync(file, NOW, NOW);
    fs.utimesSync(t.layout.revisionLink('app', youngImage.manifest.digest), NOW, NOW);

    const report = await collectGarbage(t.root, { deleteUntagged: true, minAge: '24h', uploadAge: '1h', now: NOW });
    expect(report.manifests.deleted.map((m) => m.digest)).toEqual([oldImage.manifest.digest]);
    expect(report.manifests.keptForAge).toEqual([{ repository: 'app', digest: youngImage.manifest.digest }]);
    expect(report.blobs.deleted.map((b) => b.digest).sort()).toEqual([oldOrphan, oldImage.manifest, oldImage.config, ...oldImage.layers].map((d) => d.digest).sort());
    expect(report.blobs.keptForAge.map((b) => b.digest)).toEqual([youngOrphan.digest]);
    for (const d of [youngOrphan, youngImage.manifest, youngImage.config, ...youngImage.layers]) expect(blobExists(t.root, d.digest)).toBe(true);
    expect(report.uploads.deleted.map((u) => u.id)).toEqual(['old']);
    expect(report.uploads.keptForAge.map((u) => u.id)).toEqual(['young']);
  });

  it('a candidate whose age cannot be read is kept', async () => {
    const { t, orphan } = treeWithGarbage();
    const fileSystem: FileSystem = {
      ...nodeFileSystem,
      entry(target) {
        if (target === t.layout.blobData(orphan.digest)) throw Object.assign(new Error('EIO'), { code: 'EIO' });
        return nodeFileSystem.entry(target);
      },
    };
    const report = await collectGarbage(t.root, { minAge: '1h', fileSystem });
    expect(report.blobs.deleted).toEqual([]);
    expect(blobExists(t.root, orphan.digest)).toBe(true);
  });
});

describe('a registry that is still running', () => {
  it('an upload started minutes ago is a warning, and with strict a refusal that deletes nothing', async () => {
    const { t } = treeWithGarbage();
    t.upload('app', 'in-flight', new Date(NOW.getTime() - 60_000).toISOString().replace(/\.\d+Z$/, 'Z'));
    const warned = await collectGarbage(t.root, { now: NOW, dryRun: true });
    expect(warned.warnings.map((w) => w.code)).toEqual(['registry_active']);
    const before = snapshot(t.root);
    await expect(collectGarbage(t.root, { now: NOW, strict: true })).rejects.toMatchObject({ code: 'E_REGISTRY_ACTIVE' });
    expect(snapshot(t.root)).toEqual(before);
  });

  it('says how long ago the upload started, and with strict which sign it saw and what to do', async () => {
    const { t } = treeWithGarbage();
    t.upload('app', 'in-flight', new Date(NOW.getTime() - 3 * 60_000).toISOString().replace(/\.\d+Z$/, 'Z'));
    const warned = await collectGarbage(t.root, { now: NOW, dryRun: true });
    expect(warned.warnings[0]!.message).toMatch(/^upload started 3 minutes ago \(2026-/);
    const error = (await collectGarbage(t.root, { now: NOW, strict: true }).catch((e: unknown) => e)) as RegistryGcError;
    expect(error.message).toMatch(/_uploads\/in-flight: upload started 3 minutes ago/);
    expect(error.message).toMatch(/wait until it is 10 minutes old, or run with --min-age 10m/);
    // As advised: with --min-age the young upload is kept, so it is no sign, and strict goes ahead.
    const kept = await collectGarbage(t.root, { now: NOW, strict: true, minAge: '10m' });
    expect(kept.warnings.filter((w) => w.code === 'registry_active')).toEqual([]);
  });

  it('is not raised for an upload the run deletes anyway or was told to keep', async () => {
    const { t } = treeWithGarbage();
    t.upload('app', 'in-flight', new Date(NOW.getTime() - 5 * 60_000).toISOString().replace(/\.\d+Z$/, 'Z'));
    const deleted = await collectGarbage(t.root, { now: NOW, dryRun: true, uploadAge: '1m' });
    expect(deleted.uploads.deleted.map((u) => u.id)).toContain('in-flight');
    expect(deleted.warnings.filter((w) => w.code === 'registry_active')).toEqual([]);
    const keptAll = await collectGarbage(t.root, { now: NOW, dryRun: true, keepUploads: true });
    expect(keptAll.warnings.filter((w) => w.code === 'registry_active')).toEqual([]);
  });

  it('a push landing during the scan is noticed', async () => {
    const { t } = treeWithGarbage();
    // The seam lets the test play the registry: a push lands while manifests are being read.
    let pushed = false;
    const fileSystem: FileSystem = {
      ...nodeFileSystem,
      read(file, max) {
        if (!pushed && file.startsWith(t.layout.blobsDir)) {
          pushed = true;
          t.image('app', { tag: 'v2' });
        }
        return nodeFileSystem.read(file, max);
      },
    };
    const before = snapshot(t.root);
    const error = await collectGarbage(t.root, { strict: true, fileSystem }).catch((e: unknown) => e);
    expect((error as RegistryGcError).code).toBe('E_REGISTRY_ACTIVE');
    // The push wrote blobs first, as the registry does: their prefix folders changed.
    expect((error as RegistryGcError).problems.some((p) => p.path.startsWith('docker/registry/v2/blobs/sha256'))).toBe(true);
    // Nothing of what existed before was deleted.
    for (const file of before.keys()) expect(fs.existsSync(path.join(t.root, file))).toBe(true);
  });
});

describe('a registry that is still running, after the scan', () => {
  it('a tag pushed between the scan and the sweep is noticed in the repository', async () => {
    const { t } = treeWithGarbage();
    // Retagging writes no blob: only the repository's tags folder changes.
    const image = t.image('app', { tag: 'v2' });
    let retagged = false;
    const fileSystem: FileSystem = {
      ...nodeFileSystem,
      entry(target) {
        // The first stat of a blob candidate happens after the scan, right before the sweep.
        if (!retagged && target.startsWith(t.layout.blobsDir) && target.endsWith('/data')) {
          retagged = true;
          t.tag('app', 'v3', image.manifest.digest);
        }
        return nodeFileSystem.entry(target);
      },
    };
    const error = await collectGarbage(t.root, { strict: true, fileSystem }).catch((e: unknown) => e);
    expect((error as RegistryGcError).code).toBe('E_REGISTRY_ACTIVE');
    expect((error as RegistryGcError).problems.map((p) => p.path)).toContain('docker/registry/v2/repositories/app/_manifests/tags');
  });
});

describe('leftovers of a collector killed while taking the lock', () => {
  it('are removed by the next one that holds the lock, once their process is gone', async () => {
    const { t } = treeWithGarbage();
    const lock = path.join(t.layout.v2, 'registry-gc.lock');
    // A pid that is not running: a child that has exited.
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
    for (const name of [`registry-gc.lock.new-${dead}`, `registry-gc.lock.stale-${dead}`]) fs.writeFileSync(path.join(t.layout.v2, name), '{}');
    const alive = `registry-gc.lock.new-${process.ppid}`;
    fs.writeFileSync(path.join(t.layout.v2, alive), '{}');
    await collectGarbage(t.root, { now: NOW });
    expect(fs.readdirSync(t.layout.v2).filter((n) => n.startsWith('registry-gc.lock')).sort()).toEqual([alive]);
    expect(fs.existsSync(lock)).toBe(false);
  });
});
