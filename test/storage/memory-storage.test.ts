/**
 * The storage seam, proven by its second backend: a registry held in memory
 * (MemoryStorage) runs the whole pipeline — the scan on worker threads, the
 * manifest reads, marking, and the concurrent sweep — and decides exactly
 * what the same tree on disk decides. Compiled dist/ only: workers run
 * JavaScript, and the storage a worker opens is the compiled module.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { copyTree } from '../../harness/tree.js';
import { manyRepositories } from '../support/many-repositories.js';

const dist = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'dist', 'index.js');
type Library = typeof import('../../src/index.js');
const load = async () => (await import(dist)) as Library;

const registry = () => manyRepositories(64);

/** Every file below `root` with its bytes, paths relative to it. */
function filesOnDisk(root: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else out.set(path.relative(root, full), fs.readFileSync(full, 'latin1'));
    }
  };
  walk(root);
  return new Map([...out].sort(([a], [b]) => (a < b ? -1 : 1)));
}

function filesInMemory(storage: InstanceType<Library['MemoryStorage']>, root: string): Map<string, string> {
  return new Map([...storage.files(root)].map(([file, data]) => [path.relative(root, file), data.toString('latin1')]));
}

/** A report without what differs from run to run: times, and the name of the run's trash. */
const withoutTimes = ({ durations: _durations, offlineMs: _offline, trash, ...rest }: Awaited<ReturnType<Library['collectGarbage']>>) => ({
  ...rest,
  trash: trash && { moved: trash.moved, deletedInPlace: trash.deletedInPlace, purged: trash.purged },
});

/** Every call waits a little, as on a slower backend: the main thread is still scanning when the worker has booted. */
const SLOW = { latencyMs: 0.2 };

const now = new Date('2026-11-29T12:00:00Z');
const everything = { deleteUntagged: true, pruneLayerLinks: true, removeEmptyRepositories: true, now };

describe('the storage seam, on a registry in memory', () => {
  it('a dry run on worker threads decides exactly what the same tree on disk decides, in every mode', async () => {
    const { collectGarbage, MemoryStorage } = await load();
    const t = registry();
    for (const deleteUntagged of [false, true]) {
      const options = { ...everything, deleteUntagged, dryRun: true, concurrency: 2 };
      const storage = MemoryStorage.fromDirectory(t.root, SLOW);
      const inMemory = await collectGarbage(t.root, { ...options, storage });
      expect(storage.readerCallsOnWorkers, 'reads made by scan workers through the memory storage').toBeGreaterThan(0);
      expect(withoutTimes(inMemory)).toEqual(withoutTimes(await collectGarbage(t.root, options)));
      expect(inMemory.blobs.deleted.length).toBeGreaterThan(0);
      expect(filesInMemory(storage, t.root), 'a dry run changes nothing').toEqual(filesOnDisk(t.root));
    }
  });

  it('a real run deletes in memory what it deletes on disk, several deletions in flight, and a second run deletes nothing', async () => {
    const { collectGarbage, MemoryStorage } = await load();
    const t = registry();
    const storage = MemoryStorage.fromDirectory(t.root, SLOW);
    const onDisk = copyTree(t.root);
    const inMemory = await collectGarbage(t.root, { ...everything, concurrency: 2, storage });
    const reference = await collectGarbage(onDisk, { ...everything, concurrency: 2 });
    expect(withoutTimes(inMemory)).toEqual({ ...withoutTimes(reference), root: inMemory.root });
    expect(inMemory.manifests.deleted).toHaveLength(64);
    expect(storage.readerCallsOnWorkers).toBeGreaterThan(0);
    // The sweep's lanes overlap on a storage whose calls answer later: between 2 and LANES (4).
    expect(storage.maxChangesInFlight).toBeGreaterThanOrEqual(2);
    expect(storage.maxChangesInFlight).toBeLessThanOrEqual(4);
    // What survives is exactly what survives on disk: every kept image, file for file.
    expect(filesInMemory(storage, t.root)).toEqual(filesOnDisk(onDisk));
    const again = await collectGarbage(t.root, { ...everything, concurrency: 2, storage });
    expect(again.blobs.deleted).toEqual([]);
    expect(again.manifests.deleted).toEqual([]);
    expect(again.layerLinks.deleted).toEqual([]);
    expect(again.uploads.deleted).toEqual([]);
  });

  it('a read that fails on a worker thread fails the run before anything is deleted', async () => {
    const { collectGarbage, MemoryStorage } = await load();
    const t = registry();
    const storage = MemoryStorage.fromDirectory(t.root, SLOW);
    // A revision link: whichever thread reads it (a worker takes part, below), the run must fail closed.
    const revisions = t.layout.revisionsDir('team63');
    const [hex] = fs.readdirSync(path.join(revisions, 'sha256'));
    const link = path.join(revisions, 'sha256', hex!, 'link');
    storage.inject({ op: 'read', path: link, code: 'EIO' });
    const before = filesInMemory(storage, t.root);
    const error = await collectGarbage(t.root, { ...everything, concurrency: 2, storage }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'E_MARK_INCOMPLETE', problems: [expect.objectContaining({ code: 'unreadable', path: path.relative(t.root, link) })] });
    expect(storage.readerCallsOnWorkers).toBeGreaterThan(0);
    expect(filesInMemory(storage, t.root)).toEqual(before);
  });

  it.each(['purge', 'off'] as const)('a deletion that fails (trash: %s) is an error; every other deletion is done and what must stay stays', async (trash) => {
    const { collectGarbage, MemoryStorage } = await load();
    const t = registry();
    const storage = MemoryStorage.fromDirectory(t.root, SLOW);
    const dry = await collectGarbage(t.root, { ...everything, dryRun: true, storage });
    const stuck = dry.blobs.deleted[0]!.digest;
    // Moving into the trash is a rename; deleting in place, a removal.
    storage.inject({ op: trash === 'off' ? 'remove' : 'rename', path: t.layout.blobDir(stuck), code: 'EIO' });
    const report = await collectGarbage(t.root, { ...everything, concurrency: 2, storage, trash });
    expect(report.errors).toEqual([expect.objectContaining({ code: 'delete_failed', path: path.relative(t.root, t.layout.blobDir(stuck)) })]);
    expect(report.blobs.deleted.map((b) => b.digest)).toEqual(dry.blobs.deleted.map((b) => b.digest).filter((d) => d !== stuck));
    const left = filesInMemory(storage, t.root);
    expect(left.has(path.relative(t.root, t.layout.blobData(stuck)))).toBe(true);
    // Every blob the dry run kept is still there.
    const deleted = new Set<string>(dry.blobs.deleted.map((b) => b.digest));
    for (const file of filesOnDisk(t.root).keys()) {
      const match = /blobs\/sha256\/..\/([0-9a-f]{64})\/data$/.exec(file);
      if (match && !deleted.has(`sha256:${match[1]}`)) expect(left.has(file), file).toBe(true);
    }
  });
});
