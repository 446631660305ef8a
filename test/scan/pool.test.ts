/**
 * The worker-thread scan (compiled dist/ only: workers run JavaScript) must
 * decide exactly what the in-process scan decides, failures included.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { copyTree, snapshot, tempDir } from '../../harness/tree.js';
import { manyRepositories } from '../support/many-repositories.js';

const dist = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'dist', 'index.js');
type Collect = typeof import('../../src/collect/collect-garbage.js').collectGarbage;

async function load(): Promise<Collect> {
  return ((await import(dist)) as { collectGarbage: Collect }).collectGarbage;
}


const withoutTimes = ({ durations, ...rest }: Awaited<ReturnType<Collect>>) => rest;

describe('scan on worker threads', () => {
  it('reports exactly what the in-process scan reports, in every mode', async () => {
    const collectGarbage = await load();
    // 150 repositories: the worker's half is more than one of the batches it posts (64).
    const t = manyRepositories(150);
    const now = new Date('2026-11-29T12:00:00Z');
    for (const deleteUntagged of [false, true]) {
      const options = { dryRun: true, deleteUntagged, removeEmptyRepositories: true, pruneLayerLinks: true, now };
      const inProcess = await collectGarbage(t.root, { ...options, concurrency: 1 });
      const threaded = await collectGarbage(t.root, { ...options, concurrency: 2 });
      expect(withoutTimes(threaded)).toEqual(withoutTimes(inProcess));
      expect(inProcess.manifests.total).toBe(150 * 4);
    }
    const real = copyTree(t.root);
    const report = await collectGarbage(real, { deleteUntagged: true, concurrency: 2, now });
    expect(report.manifests.deleted).toHaveLength(150);
    expect((await collectGarbage(real, { deleteUntagged: true, concurrency: 2, now })).blobs.deleted).toEqual([]);
  });

  it('a manifest a worker could not parse fails the run before anything is deleted', async () => {
    const collectGarbage = await load();
    const t = manyRepositories(48);
    t.rawManifest('team3/app4', '{"mediaType": "application/vnd.example.unknown"}', { tag: 'odd' });
    const before = snapshot(t.root);
    const error = await collectGarbage(t.root, { concurrency: 2 }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'E_MARK_INCOMPLETE', problems: [expect.objectContaining({ code: 'manifest_unknown_type' })] });
    expect(snapshot(t.root)).toEqual(before);
  });

  it('a symbolic link a worker meets fails the run before anything is deleted', async () => {
    const collectGarbage = await load();
    const t = manyRepositories(48);
    fs.symlinkSync(tempDir(), path.join(t.layout.tagsDir('team3/app4'), 'linked-tag'));
    const before = snapshot(t.root);
    const error = await collectGarbage(t.root, { concurrency: 2 }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'E_SYMLINK', problems: [expect.objectContaining({ path: 'docker/registry/v2/repositories/team3/app4/_manifests/tags/linked-tag' })] });
    expect(snapshot(t.root)).toEqual(before);
  });
});

describe('scan threads added while the scan runs', () => {
  it('workers that join mid-scan (a waiting disk) take batches and change nothing the scan finds', async () => {
    const collectGarbage = await load();
    const t = manyRepositories(150);
    const now = new Date('2026-11-29T12:00:00Z');
    const options = { dryRun: true, deleteUntagged: true, pruneLayerLinks: true, now };
    const inProcess = await collectGarbage(t.root, { ...options, concurrency: 1 });

    const distDir = path.dirname(dist);
    const from = async <M>(file: string) => (await import(path.join(distDir, file))) as M;
    const { scanRepositories } = await from<typeof import('../../src/scan/pool.js')>('scan/pool.js');
    const { MemoryStorage } = await from<typeof import('../../src/storage/memory-storage.js')>('storage/memory-storage.js');
    const { ManifestStore } = await from<typeof import('../../src/scan/manifest-store.js')>('scan/manifest-store.js');
    const { DigestIds } = await from<typeof import('../../src/registry/digest-ids.js')>('registry/digest-ids.js');
    const { DigestInterner } = await from<typeof import('../../src/registry/digest-interner.js')>('registry/digest-interner.js');
    const { Findings } = await from<typeof import('../../src/report/findings.js')>('report/findings.js');
    const { RegistryLayout } = await from<typeof import('../../src/registry/layout.js')>('registry/layout.js');
    const { listRepositories } = await from<typeof import('../../src/scan/model.js')>('scan/model.js');

    const names = listRepositories(t.root).value;
    const scanOnce = async (grow: boolean) => {
      // Every call waits a little, as on a slow disk: the main thread is still scanning when a worker is up.
      const storage = MemoryStorage.fromDirectory(t.root, { latencyMs: 0.5 });
      const layout = new RegistryLayout(t.root);
      const ids = new DigestIds();
      let added = 0;
      // The main thread alone at first; with `grow`, a thread is asked for after every batch (the pool caps it at 3 workers).
      const threads = () => ({ shouldAddThread: () => grow && ++added > 0 });
      const input = { root: t.root, names, storage, concurrency: 1, maxConcurrency: grow ? 4 : 1, maxManifestBytes: 4 * 1024 * 1024, signal: undefined, onProgress: () => {} };
      const state = { store: new ManifestStore(layout, 4 * 1024 * 1024, ids), findings: new Findings(layout), digests: new DigestInterner(), threads };
      const { scans } = await scanRepositories(input, state, () => undefined);
      return { scans: scans.map((s) => ({ ...s, layers: [...s.layers].map((id) => ids.digest(id)) })), added, onWorkers: storage.readerCallsOnWorkers };
    };
    const alone = await scanOnce(false);
    const grown = await scanOnce(true);
    expect(alone.onWorkers).toBe(0);
    expect(grown.added).toBeGreaterThan(0);
    expect(grown.onWorkers).toBeGreaterThan(0);
    expect(grown.scans).toEqual(alone.scans);
    expect(grown.scans).toHaveLength(150);
    // And a whole run with the default (growing) thread count decides as the in-process one.
    expect(withoutTimes(await collectGarbage(t.root, options))).toEqual(withoutTimes(inProcess));
  });
});
