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
