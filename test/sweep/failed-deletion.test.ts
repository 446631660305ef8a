/**
 * Issue 13, safety 2: a deletion that fails must not half-happen, or must
 * be counted as what really happened; a rerun after the cause is fixed
 * finishes the job. The cause, as found in the field: a blob prefix folder
 * that cannot be written, reproduced as root with `chattr +i` (skipped,
 * visibly, where the file system or the container refuses it).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { collectGarbage } from '../../src/collect/collect-garbage.js';
import { blobExists, tempDir, TreeBuilder } from '../../harness/tree.js';

const chattr = (flag: '+i' | '-i', dir: string) => spawnSync('chattr', [flag, dir]).status === 0;

function canMakeImmutable(): boolean {
  const dir = fs.mkdtempSync(path.join(tempDir(), 'probe-'));
  const ok = chattr('+i', dir);
  if (ok) chattr('-i', dir);
  return ok;
}

const frozen: string[] = [];
afterEach(() => {
  for (const dir of frozen.splice(0)) chattr('-i', dir);
});

function registry() {
  const t = new TreeBuilder(tempDir());
  const kept = t.image('app', { tag: 'v1' });
  const stuck = t.blob('garbage in a folder that cannot be written');
  const other = t.blob('other garbage');
  const prefix = path.dirname(t.layout.blobDir(stuck.digest));
  expect(chattr('+i', prefix)).toBe(true);
  frozen.push(prefix);
  return { t, kept, stuck, other, prefix };
}

describe.skipIf(!canMakeImmutable())('a blob whose prefix folder cannot be written', () => {
  it('moved into the trash (the default): left whole and reported; the rest goes; a rerun after the fix finishes', async () => {
    const { t, kept, stuck, other, prefix } = registry();
    const report = await collectGarbage(t.root, {});
    expect(report.errors.map((e) => e.code)).toEqual(['delete_failed']);
    expect(report.blobs.deleted.map((b) => b.digest)).toEqual([other.digest]);
    expect(fs.readFileSync(t.layout.blobData(stuck.digest), 'utf8')).toBe('garbage in a folder that cannot be written');
    for (const blob of [kept.manifest, kept.config, ...kept.layers]) expect(blobExists(t.root, blob.digest)).toBe(true);
    chattr('-i', prefix);
    const again = await collectGarbage(t.root, {});
    expect(again.errors).toEqual([]);
    expect(again.blobs.deleted.map((b) => b.digest)).toEqual([stuck.digest]);
    expect(blobExists(t.root, stuck.digest)).toBe(false);
  });

  it('deleted in place (trash off): counted as deleted, with its size, and the folder left is the error; a rerun after the fix removes it', async () => {
    const { t, kept, stuck, other, prefix } = registry();
    const report = await collectGarbage(t.root, { trash: 'off' });
    expect(report.errors.map((e) => e.code)).toEqual(['delete_partial']);
    expect(report.errors[0]!.message).toMatch(/its data was deleted, but the folder could not be removed/);
    // What really happened: the data is gone, so the blob counts as deleted, with the bytes it freed.
    expect(report.blobs.deleted.map((b) => b.digest).sort()).toEqual([stuck.digest, other.digest].sort());
    expect(report.blobs.deleted.find((b) => b.digest === stuck.digest)!.size).toBe(Buffer.byteLength('garbage in a folder that cannot be written'));
    expect(fs.existsSync(t.layout.blobData(stuck.digest))).toBe(false);
    for (const blob of [kept.manifest, kept.config, ...kept.layers]) expect(blobExists(t.root, blob.digest)).toBe(true);
    chattr('-i', prefix);
    const again = await collectGarbage(t.root, { trash: 'off' });
    expect(again.errors).toEqual([]);
    expect(fs.existsSync(t.layout.blobDir(stuck.digest))).toBe(false);
  });
});

describe('an untagged manifest whose deletion fails', () => {
  it('keeps everything it references: the sweep stops after its phase (exit 1), and a rerun after the fix collects it', async () => {
    const { MemoryStorage } = await import('../../src/storage/memory-storage.js');
    const t = new TreeBuilder(tempDir());
    const kept = t.image('app', { tag: 'v1' });
    const stuck = t.image('app');
    const other = t.image('other');
    t.blob('unreferenced');
    for (const trash of ['purge', 'off'] as const) {
      const storage = MemoryStorage.fromDirectory(t.root);
      const revision = t.layout.revisionDir('app', stuck.manifest.digest);
      storage.inject({ op: trash === 'off' ? 'remove' : 'rename', path: revision, code: 'EIO' });
      const report = await collectGarbage(t.root, { deleteUntagged: true, storage, trash });
      expect(report.errors.map((e) => e.code).sort()).toEqual(['delete_failed', 'sweep_stopped']);
      expect(report.manifests.deleted.map((m) => m.digest)).toEqual([other.manifest.digest]);
      expect(report.blobs.deleted, 'nothing is deleted after the phase that failed').toEqual([]);
      const files = storage.files(t.root);
      for (const blob of [kept.manifest, kept.config, ...kept.layers, stuck.manifest, stuck.config, ...stuck.layers]) {
        expect(files.has(t.layout.blobData(blob.digest)), `${blob.digest} stays`).toBe(true);
      }
      storage.clearFaults();
      const again = await collectGarbage(t.root, { deleteUntagged: true, storage, trash });
      expect(again.errors).toEqual([]);
      expect(again.manifests.deleted.map((m) => m.digest)).toEqual([stuck.manifest.digest]);
      expect(again.blobs.deleted.map((b) => b.digest)).toEqual(expect.arrayContaining([stuck.manifest.digest, stuck.config.digest, other.manifest.digest]));
    }
  });
});
