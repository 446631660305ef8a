/**
 * Issue 6's smoke test of the benchmark, not of speed: the `small` preset is
 * generated, and every program that measures on it must complete and agree.
 * The reference's garbage-collect decides exactly what the generator
 * predicts for it (check-reference.ts), registry-gc decides exactly what the
 * generator predicts for it in both modes, and the floor reads the whole
 * tree. Timings are not asserted here (they are the benchmark's job).
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main as checkReference } from '../../benchmarks/check-reference.js';
import { measureFloor } from '../../benchmarks/floor.js';
import { generateRegistry, PRESETS, type GenerateSummary } from '../../benchmarks/generate.js';
import type { ExpectationLists } from '../../benchmarks/lib/model.js';
import { collectGarbage } from '../../src/collect/collect-garbage.js';
import type { Report } from '../../src/report/report.js';
import { hasDockerRegistry, REGISTRY_BINARY } from '../../harness/registry-server.js';
import { tempDir } from '../../harness/tree.js';

const LIVE = hasDockerRegistry();

let dir: string;
let root: string;
let expectFile: string;
let summary: GenerateSummary;
let lists: ExpectationLists;

beforeAll(() => {
  dir = tempDir('registry-gc-bench-smoke-');
  root = path.join(dir, 'small');
  expectFile = path.join(dir, 'small.expect.json');
  summary = generateRegistry(root, PRESETS.small, { expectFile });
  lists = (JSON.parse(fs.readFileSync(expectFile, 'utf8')) as { lists: ExpectationLists }).lists;
});

afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

const deletedBlobs = (r: Report) => r.blobs.deleted.map((b) => b.digest).sort();
const deletedManifests = (r: Report) => r.manifests.deleted.map((m) => `${m.repository}@${m.digest}`).sort();
const expectedManifests = (l: ExpectationLists['default']) => l.deletedManifests.map((m) => `${m.repository}@${m.digest}`).sort();

describe('benchmark smoke test: the small preset', () => {
  it('registry-gc decides exactly what the generator predicts, by default and with -m', async () => {
    // Upload ages are relative to the generator's clock, not to today's.
    const now = new Date(summary.now);
    const byDefault = await collectGarbage(root, { dryRun: true, now });
    expect(deletedBlobs(byDefault)).toEqual([...lists.default.deletedBlobs].sort());
    expect(deletedManifests(byDefault)).toEqual([]);
    expect(byDefault.uploads.deleted).toHaveLength(lists.default.deletedUploads.length);

    const untagged = await collectGarbage(root, { dryRun: true, deleteUntagged: true, now });
    expect(deletedBlobs(untagged)).toEqual([...lists.deleteUntagged.deletedBlobs].sort());
    expect(deletedManifests(untagged)).toEqual(expectedManifests(lists.deleteUntagged));
    expect(untagged.layerLinks.deleted).toHaveLength(lists.deleteUntagged.deletedLayerLinks.length);
  });

  it('the floor reads every blob folder, repository, manifest and tag link of the tree', async () => {
    const floor = await measureFloor(root, { workers: 1 });
    expect(floor.counts.blobs).toBe(summary.blobs);
    expect(floor.counts.repositories).toBe(summary.repositories + summary.deletedRepositories + summary.uploadOnlyRepositories);
    expect(floor.counts.revisions).toBe(summary.manifests);
    expect(floor.counts.tagLinks).toBe(summary.tags);
  });

  it.runIf(LIVE || process.env['CI'])(`${REGISTRY_BINARY} garbage-collect --dry-run [-m] decides exactly what the generator predicts`, async () => {
    if (!LIVE) throw new Error(`CI is set but ${REGISTRY_BINARY} is not on PATH: apt-get install -y docker-registry`);
    expect(await checkReference([root, expectFile, '--delete-untagged'])).toBe(0);
  });
});
