/**
 * The trash (spec §8): a real run moves what it collects out of the tree,
 * and frees it after (or keeps it); restore puts a run back byte for byte and
 * never overwrites; purge frees runs and nothing else. Every test checks the
 * files that must survive on disk.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { collectGarbage } from '../../src/collect/collect-garbage.js';
import type { ProgressEvent } from '../../src/collect/options.js';
import { TRASH_FOLDER } from '../../src/registry/layout.js';
import { MemoryStorage } from '../../src/storage/memory-storage.js';
import { nodeStorage } from '../../src/storage/node-storage.js';
import { purgeTrash, restoreTrash } from '../../src/trash/verbs.js';
import { copyTree, tempDir, TreeBuilder } from '../../harness/tree.js';

/** A registry with garbage of every kind: untagged images and their history, orphans, a dead link, an empty repository, a stale upload. */
function registry(): TreeBuilder {
  const t = new TreeBuilder(tempDir());
  const base = t.blob('shared base');
  const kept = t.image('team/app', { tag: 'v1', sharedLayers: [base] });
  for (let i = 0; i < 5; i++) t.history('team/app', 'v1', t.image('team/app', { sharedLayers: [base] }).manifest.digest);
  const child = t.image('team/multi', { format: 'oci' });
  t.index('team/multi', [child.manifest], { tag: 'latest' });
  t.image('gone/one');
  t.upload('team/app', 'stale', '2020-01-01T00:00:00Z');
  for (let i = 0; i < 20; i++) t.blob(`orphan ${i}`);
  void kept;
  return t;
}

/** Every file and folder below `root`: a file as the sha256 of its bytes, a folder as '/'. */
function tree(root: string, under = ''): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      const rel = path.relative(root, full);
      if (entry.isDirectory()) {
        out.set(rel, '/');
        walk(full);
      } else out.set(rel, createHash('sha256').update(fs.readFileSync(full)).digest('hex'));
    }
  };
  walk(path.join(root, under));
  return new Map([...out].sort(([a], [b]) => (a < b ? -1 : 1)));
}

const V2 = 'docker/registry/v2';
const options = { deleteUntagged: true, pruneLayerLinks: true, removeEmptyRepositories: true, now: new Date('2026-12-01T00:00:00Z') };

describe('the trash', () => {
  it('keep: the registry is what a deleting run leaves, no byte freed, and restore gives the tree back byte for byte', async () => {
    const t = registry();
    const original = tree(t.root);
    const inPlace = copyTree(t.root);
    await collectGarbage(inPlace, { ...options, trash: 'off' });
    const events: ProgressEvent[] = [];
    const report = await collectGarbage(t.root, { ...options, trash: 'keep', onProgress: (e) => events.push(e) });

    expect(tree(t.root, V2)).toEqual(tree(inPlace, V2));
    expect(report.trash).toMatchObject({ moved: expect.any(Number), deletedInPlace: 0, purged: false });
    expect(report.trash!.moved).toBeGreaterThan(30);
    // Nothing is freed: every file that left v2 is in the trash, byte for byte.
    const trashed = [...tree(t.root, TRASH_FOLDER).values()].filter((v) => v !== '/');
    const left = [...original].filter(([file, hash]) => hash !== '/' && !fs.existsSync(path.join(t.root, file))).map(([, hash]) => hash);
    for (const hash of left) expect(trashed).toContain(hash);
    // The end of the offline window is one event, before anything is freed.
    const ended = events.filter((e) => e.offlineMs !== undefined);
    expect(ended).toHaveLength(1);
    expect(ended[0]!.offlineMs).toBe(report.offlineMs);
    expect(report.offlineMs).toBeGreaterThan(0);

    const restored = await restoreTrash(t.root);
    expect(restored).toMatchObject({ finished: true, refused: [], errors: [], notInTrash: 0, deletedInPlace: 0 });
    expect(restored.restored).toBe(report.trash!.moved);
    expect(tree(t.root)).toEqual(original);
  });

  it('purge (the default): the trash is freed in the same run, and nothing is left outside docker/registry/v2', async () => {
    const t = registry();
    const inPlace = copyTree(t.root);
    await collectGarbage(inPlace, { ...options, trash: 'off' });
    const report = await collectGarbage(t.root, options);
    expect(report.trash).toMatchObject({ purged: true });
    expect(report.durations.purge).toBeGreaterThanOrEqual(0);
    expect(tree(t.root)).toEqual(tree(inPlace));
    expect(fs.existsSync(path.join(t.root, TRASH_FOLDER))).toBe(false);
  });

  it('a dry run moves nothing and makes no trash', async () => {
    const t = registry();
    const original = tree(t.root);
    const report = await collectGarbage(t.root, { ...options, dryRun: true, trash: 'keep' });
    expect(report.trash).toBeUndefined();
    expect(report.offlineMs).toBeUndefined();
    expect(tree(t.root)).toEqual(original);
  });

  it('restore overwrites nothing: what is in the way is named and stays, the rest comes back, and a second restore finishes', async () => {
    const t = registry();
    const original = tree(t.root);
    const dry = await collectGarbage(t.root, { ...options, dryRun: true });
    const report = await collectGarbage(t.root, { ...options, trash: 'keep' });
    // Something takes the place of a blob the run moved away.
    const blocked = t.layout.blobData(dry.blobs.deleted[0]!.digest);
    fs.mkdirSync(path.dirname(blocked), { recursive: true });
    fs.writeFileSync(blocked, 'someone else');
    const first = await restoreTrash(t.root, { run: report.trash!.run });
    expect(first.finished).toBe(false);
    expect(first.refused).toEqual([expect.objectContaining({ code: 'restore_refused', path: path.relative(t.root, path.dirname(blocked)) })]);
    expect(fs.readFileSync(blocked, 'utf8')).toBe('someone else');
    expect(first.restored).toBe(report.trash!.moved - 1);
    fs.rmSync(path.dirname(blocked), { recursive: true });
    const second = await restoreTrash(t.root);
    expect(second).toMatchObject({ finished: true, restored: 1, refused: [] });
    expect(second.alreadyInPlace).toBe(report.trash!.moved - 1);
    expect(tree(t.root)).toEqual(original);
  });

  it('after a partial purge, restore puts back no part of a freed item: no upload without its startedat', async () => {
    const t = registry();
    const report = await collectGarbage(t.root, { ...options, trash: 'keep' });
    const journal = fs.readFileSync(path.join(report.trash!.path, 'journal.jsonl'), 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { op: string; seq: number; from?: string });
    const upload = path.relative(t.root, t.layout.uploadDir('team/app', 'stale'));
    const parts = journal.filter((r) => r.op === 'move' && r.from !== undefined && (r.from === upload || r.from.startsWith(`${upload}/`)));
    expect(parts.length).toBeGreaterThan(1);
    // A purge killed after freeing the upload's folder (with its startedat), before its data.
    const folder = parts.find((r) => r.from === upload)!;
    fs.appendFileSync(path.join(report.trash!.path, 'journal.jsonl'), '{"op":"purge"}\n');
    fs.rmSync(t.layout.trashEntry(report.trash!.run, folder.seq), { recursive: true });
    const restored = await restoreTrash(t.root);
    expect(restored.finished).toBe(true);
    expect(restored.notInTrash).toBe(parts.length);
    expect(fs.existsSync(path.join(t.root, upload))).toBe(false);
    // A rerun then has nothing left of that upload to keep or warn about.
    const next = await collectGarbage(t.root, options);
    expect(next.warnings.filter((w) => w.path.startsWith(upload))).toEqual([]);
  });

  it('purge frees runs older than a duration and no other, and touches nothing but the trash', async () => {
    const t = registry();
    await collectGarbage(t.root, { ...options, trash: 'keep' });
    const v2 = tree(t.root, V2);
    fs.writeFileSync(path.join(t.root, 'sentinel'), 'keep me');
    const soon = await purgeTrash(t.root, { olderThan: '1h', now: new Date(Date.now() + 30 * 60_000) });
    expect(soon.purged).toEqual([]);
    expect(soon.kept).toHaveLength(1);
    const later = await purgeTrash(t.root, { olderThan: '1h', now: new Date(Date.now() + 2 * 3_600_000) });
    expect(later.purged).toEqual([expect.objectContaining({ freed: true, complete: true })]);
    expect(later.purged[0]!.entries).toBeGreaterThan(30);
    expect(fs.existsSync(path.join(t.root, TRASH_FOLDER))).toBe(false);
    expect(tree(t.root, V2)).toEqual(v2);
    expect(fs.readFileSync(path.join(t.root, 'sentinel'), 'utf8')).toBe('keep me');
    expect(await purgeTrash(t.root)).toMatchObject({ purged: [], kept: [], errors: [] });
  });

  it('a run names the trash earlier runs left, and leaves it alone', async () => {
    const t = registry();
    const kept = await collectGarbage(t.root, { ...options, trash: 'keep' });
    const trashed = tree(t.root, TRASH_FOLDER);
    const next = await collectGarbage(t.root, options);
    expect(next.warnings).toContainEqual(expect.objectContaining({ code: 'trash_left', path: path.relative(t.root, kept.trash!.path) }));
    expect(tree(t.root, TRASH_FOLDER)).toEqual(trashed);
  });

  it('an item on another file system (EXDEV) is deleted in place, said once, counted, and everything else can be put back', async () => {
    const t = registry();
    const original = tree(t.root);
    const dry = await collectGarbage(t.root, { ...options, dryRun: true });
    const storage = MemoryStorage.fromDirectory(t.root);
    const [a, b] = dry.blobs.deleted.map((blob) => t.layout.blobDir(blob.digest));
    for (const dir of [a!, b!]) storage.inject({ op: 'rename', path: dir, code: 'EXDEV' });
    const report = await collectGarbage(t.root, { ...options, trash: 'keep', storage });
    expect(report.warnings.filter((w) => w.code === 'trash_cross_device')).toHaveLength(1);
    expect(report.trash).toMatchObject({ deletedInPlace: 2 });
    expect(report.blobs.deleted.map((x) => x.digest)).toEqual(dry.blobs.deleted.map((x) => x.digest));
    const restored = await restoreTrash(t.root, { storage });
    expect(restored, JSON.stringify(restored)).toMatchObject({ finished: true, deletedInPlace: 2 });
    const back = new Map([...storage.files(t.root)].map(([file, data]) => [path.relative(t.root, file), createHash('sha256').update(data).digest('hex')]));
    const expected = new Map([...original].filter(([file, hash]) => hash !== '/' && !file.startsWith(path.relative(t.root, a!)) && !file.startsWith(path.relative(t.root, b!))));
    expect(back).toEqual(expected);
  });

  it('a trash folder that is a symbolic link is never used through: keep refuses, purge deletes in place, purge and restore refuse', async () => {
    const t = registry();
    const inPlace = copyTree(t.root);
    await collectGarbage(inPlace, { ...options, trash: 'off' });
    const elsewhere = tempDir();
    fs.writeFileSync(path.join(elsewhere, 'precious'), 'keep me');
    fs.symlinkSync(elsewhere, path.join(t.root, TRASH_FOLDER));
    // Asked to keep a trash it cannot make, a run deletes nothing.
    const before = tree(t.root, V2);
    await expect(collectGarbage(t.root, { ...options, trash: 'keep' })).rejects.toMatchObject({ code: 'E_IO' });
    expect(tree(t.root, V2)).toEqual(before);
    // A run that would free its trash anyway deletes in place, and says so.
    const report = await collectGarbage(t.root, options);
    expect(report.trash).toBeUndefined();
    expect(report.warnings).toContainEqual(expect.objectContaining({ code: 'trash_unavailable' }));
    expect(tree(t.root, V2)).toEqual(tree(inPlace, V2));
    await expect(purgeTrash(t.root)).rejects.toMatchObject({ code: 'E_SYMLINK' });
    await expect(restoreTrash(t.root)).rejects.toMatchObject({ code: 'E_SYMLINK' });
    expect(fs.readdirSync(elsewhere)).toEqual(['precious']);
  });

  it('restore puts back no symbolic link found in the trash: it is named and stays', async () => {
    const t = registry();
    const report = await collectGarbage(t.root, { ...options, trash: 'keep' });
    const shard = path.join(report.trash!.path, 'entries', '0');
    const [first] = fs.readdirSync(shard);
    fs.rmSync(path.join(shard, first!), { recursive: true });
    fs.symlinkSync('/', path.join(shard, first!));
    const restored = await restoreTrash(t.root);
    expect(restored.finished).toBe(false);
    expect(restored.refused).toHaveLength(1);
    expect(restored.refused[0]!.message).toContain('symbolic link');
    expect(restored.restored).toBe(report.trash!.moved - 1);
    for (const file of tree(t.root, V2).keys()) expect(fs.lstatSync(path.join(t.root, file)).isSymbolicLink(), file).toBe(false);
  });

  it('purge and restore free or put back nothing below a shard folder that is a symbolic link', async () => {
    const t = registry();
    const report = await collectGarbage(t.root, { ...options, trash: 'keep' });
    const victim = tempDir();
    // Entry 0 lives in shard 0: through the link, freeing it would free this.
    fs.mkdirSync(path.join(victim, '0'));
    fs.writeFileSync(path.join(victim, '0', 'data'), 'not the trash');
    const shard = path.join(report.trash!.path, 'entries', '0');
    fs.renameSync(shard, `${shard}.moved`);
    fs.symlinkSync(victim, shard);
    const purged = await purgeTrash(t.root);
    expect(purged.errors).toContainEqual(expect.objectContaining({ code: 'symlink' }));
    expect(fs.readFileSync(path.join(victim, '0', 'data'), 'utf8')).toBe('not the trash');
    const restored = await restoreTrash(t.root);
    expect(restored.finished).toBe(false);
    expect(restored.refused.length).toBeGreaterThan(0);
    expect(fs.readFileSync(path.join(victim, '0', 'data'), 'utf8')).toBe('not the trash');
  });

  it('entries go 64 to a shard folder, in order, and all come back', async () => {
    const t = registry();
    for (let i = 0; i < 150; i++) t.blob(`more ${i}`);
    const original = tree(t.root);
    const report = await collectGarbage(t.root, { ...options, trash: 'keep' });
    expect(report.trash!.moved).toBeGreaterThan(128);
    const entries = path.join(report.trash!.path, 'entries');
    // Numbers the removals of emptied folders take move nothing, so a shard may hold fewer.
    const shards = fs.readdirSync(entries).map(Number);
    expect(shards.length).toBeGreaterThan(2);
    for (const shard of shards) {
      const names = fs.readdirSync(path.join(entries, String(shard))).map(Number);
      expect(names.length, `shard ${shard}`).toBeLessThanOrEqual(64);
      expect(names.every((seq) => Math.floor(seq / 64) === shard), `shard ${shard}`).toBe(true);
    }
    expect((await restoreTrash(t.root)).finished).toBe(true);
    expect(tree(t.root, V2)).toEqual(new Map([...original].filter(([file]) => file.startsWith(`${V2}/`))));
  });

  it('each shard folder is made once, though the lanes of a phase reach it together', async () => {
    const t = registry();
    for (let i = 0; i < 300; i++) t.blob(`lane ${i}`);
    const makeDir = vi.spyOn(nodeStorage.ownFiles, 'makeDir');
    try {
      const report = await collectGarbage(t.root, { ...options, trash: 'keep' });
      const entries = path.join(report.trash!.path, 'entries');
      const made = makeDir.mock.calls.map(([dir]) => dir).filter((dir) => path.dirname(dir) === entries);
      expect(made.length).toBeGreaterThan(4);
      expect(new Set(made).size).toBe(made.length);
      expect(made.sort()).toEqual(fs.readdirSync(entries).map((shard) => path.join(entries, shard)).sort());
    } finally {
      makeDir.mockRestore();
    }
  });

  it('a run of another trash format is left whole: purge names it, restore refuses it', async () => {
    const t = registry();
    const report = await collectGarbage(t.root, { ...options, trash: 'keep' });
    const journal = path.join(report.trash!.path, 'journal.jsonl');
    fs.writeFileSync(journal, fs.readFileSync(journal, 'utf8').replace('"version":2', '"version":1'));
    const before = tree(t.root, TRASH_FOLDER);
    const purged = await purgeTrash(t.root);
    expect(purged.errors).toEqual([expect.objectContaining({ code: 'purge_failed', message: expect.stringContaining('format 1') })]);
    await expect(restoreTrash(t.root)).rejects.toMatchObject({ code: 'E_INVALID_OPTION', message: expect.stringContaining('format 1') });
    expect(tree(t.root, TRASH_FOLDER)).toEqual(before);
  });

  it('a storage that cannot move deletes in place, with no trash', async () => {
    const t = registry();
    const inPlace = copyTree(t.root);
    await collectGarbage(inPlace, { ...options, trash: 'off' });
    const { rename: _cannot, ...fileSystem } = await import('../../src/storage/node-storage.js').then((m) => ({ ...m.nodeFileSystem, rename: undefined }));
    const events: ProgressEvent[] = [];
    const report = await collectGarbage(t.root, { ...options, fileSystem, onProgress: (e) => events.push(e) });
    expect(report.trash).toBeUndefined();
    // The window ends with the last deletion in place, and is said the same way.
    expect(events.filter((e) => e.offlineMs !== undefined)).toEqual([expect.objectContaining({ phase: 'purge', offlineMs: report.offlineMs })]);
    await expect(collectGarbage(t.root, { ...options, fileSystem, trash: 'keep' })).rejects.toMatchObject({ code: 'E_INVALID_OPTION' });
    expect(tree(t.root)).toEqual(tree(inPlace));
  });
});
