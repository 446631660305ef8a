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
  it('workers that join mid-scan (a waiting disk) change nothing the scan finds', async () => {
    const collectGarbage = await load();
    // Enough batches (25) that workers started after the first ones still find some left.
    const t = manyRepositories(400);
    const now = new Date('2026-11-29T12:00:00Z');
    const options = { dryRun: true, deleteUntagged: true, pruneLayerLinks: true, now };
    const inProcess = await collectGarbage(t.root, { ...options, concurrency: 1 });

    type Pool = typeof import('../../src/scan/pool.js');
    const distDir = path.dirname(dist);
    const { scanRepositories } = (await import(path.join(distDir, 'scan', 'pool.js'))) as Pool;
    const { nodeStorage } = (await import(path.join(distDir, 'storage', 'node-storage.js'))) as typeof import('../../src/storage/node-storage.js');
    const { ManifestStore } = (await import(path.join(distDir, 'scan', 'manifest-store.js'))) as typeof import('../../src/scan/manifest-store.js');
    const { DigestIds } = (await import(path.join(distDir, 'registry', 'digest-ids.js'))) as typeof import('../../src/registry/digest-ids.js');
    const { DigestInterner } = (await import(path.join(distDir, 'registry', 'digest-interner.js'))) as typeof import('../../src/registry/digest-interner.js');
    const { Findings } = (await import(path.join(distDir, 'report', 'findings.js'))) as typeof import('../../src/report/findings.js');
    const { RegistryLayout } = (await import(path.join(distDir, 'registry', 'layout.js'))) as typeof import('../../src/registry/layout.js');
    const { listRepositories } = (await import(path.join(distDir, 'scan', 'model.js'))) as typeof import('../../src/scan/model.js');

    const names = listRepositories(t.root).value;
    const scanOnce = async (addThreads: boolean) => {
      const layout = new RegistryLayout(t.root);
      const ids = new DigestIds();
      const store = new ManifestStore(layout, 4 * 1024 * 1024, ids);
      let asked = 0;
      // Start with the main thread alone; ask for a thread after every batch (capped by the pool at 4).
      const threads = addThreads ? () => ({ shouldAddThread: () => ++asked > 0 }) : undefined;
      const input = { root: t.root, names, storage: nodeStorage, concurrency: 1, maxConcurrency: 5, maxManifestBytes: 4 * 1024 * 1024, signal: undefined, onProgress: () => {} };
      const { scans } = await scanRepositories(input, { store, findings: new Findings(layout), digests: new DigestInterner(), threads }, () => undefined);
      return { scans: scans.map((s) => ({ ...s, layers: [...s.layers].map((id) => ids.digest(id)) })), asked };
    };
    const alone = await scanOnce(false);
    const grown = await scanOnce(true);
    expect(grown.asked).toBeGreaterThan(0);
    expect(grown.scans).toEqual(alone.scans);
    expect(grown.scans).toHaveLength(400);
    // And a whole run with the default (growing) thread count decides as the in-process one.
    expect(withoutTimes(await collectGarbage(t.root, options))).toEqual(withoutTimes(inProcess));
  });
});
