/**
 * npm run record-fixtures [-- SCENARIO…]
 *
 * Records offline goldens for test/reference/goldens.test.ts: runs scenarios of
 * harness/scenarios.ts against Debian's docker-registry 2.8.2 (needs the
 * package: apt-get install docker-registry), then for each one
 *   - copies the registry root the registry wrote into fixtures/reference/<scenario>/;
 *   - writes fixtures/reference/<scenario>.json: the reference collector's
 *     parsed dry-run outputs (with and without -m: blobs, manifests), the
 *     scenario's record and expectations, and the divergence the model
 *     predicts between the two collectors.
 *
 * Made deterministic, so that recording again changes nothing unless a
 * behaviour changed: blobs and manifests are seeded; upload folders get fixed
 * ids; `startedat` is written against a fixed clock (UPLOAD_CLOCK), and the
 * goldens test rewrites it against its own clock. Git keeps no empty folders,
 * so the ones the registry left (e.g. the revision folder of a manifest
 * deleted through the API) are listed in the JSON and recreated by the test.
 *
 * The reference's outputs must match the model's predictions, or nothing is
 * written: a recording is only kept when it is understood.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_UPLOAD_AGE_HOURS, expectedDivergence, predictReference } from '../harness/gc-model.js';
import { emptyDirectories, GOLDEN_DIR, UPLOAD_CLOCK, type Golden } from '../harness/golden.js';
import { runReferenceGc } from '../harness/reference-gc.js';
import { RegistryClient } from '../harness/registry-client.js';
import { hasDockerRegistry, REGISTRY_BINARY, registryEnv, startRegistry } from '../harness/registry-server.js';
import { applyUploadAges, renameUploads, runScenario, scenarioNamed } from '../harness/scenarios.js';

/** Small trees that cover every kind of divergence and every kind of leftover. */
const DEFAULT_SCENARIOS = [
  'retagged-image',
  'docker-manifest-list',
  'oci-index',
  'referrer-of-live-image',
  'referrer-of-deleted-image',
  'nested-repositories',
  'manifest-deleted-through-api',
  'stale-and-fresh-uploads',
];

const outDir = GOLDEN_DIR;

const same = (a: readonly string[], b: readonly string[]): boolean => JSON.stringify(a) === JSON.stringify(b);

async function record(name: string, version: string): Promise<void> {
  const scenario = scenarioNamed(name);
  const registry = await startRegistry();
  try {
    const outcome = await runScenario(scenario, new RegistryClient(registry.url));
    await registry.stop();
    const state = await renameUploads(registry.root, outcome.state);
    await applyUploadAges(registry.root, state.uploads, Date.parse(UPLOAD_CLOCK));

    const plain = await runReferenceGc(registry.configPath, { dryRun: true, deleteUntagged: false });
    const untagged = await runReferenceGc(registry.configPath, { dryRun: true, deleteUntagged: true });
    for (const [flags, run] of [['', plain], [' -m', untagged]] as const) {
      if (run.exitCode !== 0 || run.unrecognized.length > 0) {
        throw new Error(`${name}: garbage-collect --dry-run${flags} exited ${run.exitCode}:\n${run.stderr}\n${run.unrecognized.join('\n')}`);
      }
    }
    const predicted = { plain: predictReference(state, 'default'), untagged: predictReference(state, 'deleteUntagged') };
    const untaggedManifests = untagged.manifests.map((m) => `${m.repository ?? ''}@${m.digest}`).sort();
    if (!same(plain.blobs, predicted.plain.blobs) || !same(untagged.blobs, predicted.untagged.blobs) || !same(untaggedManifests, predicted.untagged.manifests)) {
      throw new Error(`${name}: the reference's output differs from the model's prediction; not recorded`);
    }

    const golden: Golden = {
      scenario: name,
      description: scenario.description,
      recordedWith: version,
      uploadClock: UPLOAD_CLOCK,
      emptyDirectories: emptyDirectories(registry.root),
      state,
      expect: { ...outcome.expect, staleUploads: state.uploads.filter((u) => u.ageHours > DEFAULT_UPLOAD_AGE_HOURS).map((u) => u.id).sort() },
      expectedDivergence: { default: expectedDivergence(state, 'default'), deleteUntagged: expectedDivergence(state, 'deleteUntagged') },
      reference: {
        dryRun: { blobs: plain.blobs, manifests: plain.manifests },
        dryRunDeleteUntagged: { blobs: untagged.blobs, manifests: untagged.manifests },
      },
    };
    const treeDir = join(outDir, name);
    rmSync(treeDir, { recursive: true, force: true });
    cpSync(registry.root, treeDir, { recursive: true, verbatimSymlinks: true });
    writeFileSync(join(outDir, `${name}.json`), `${JSON.stringify(golden, null, 2)}\n`);
    const d = golden.expectedDivergence.deleteUntagged;
    console.log(`${name}: ${plain.blobs.length} blobs (-m: ${untagged.blobs.length} blobs, ${untagged.manifests.length} manifests); divergence under -m: ${d.blobs.length} blobs, ${d.manifests.length} manifests`);
  } finally {
    await registry.destroy();
  }
}

async function main(): Promise<void> {
  if (!hasDockerRegistry()) {
    console.error(`${REGISTRY_BINARY} is not on PATH: install Debian's package first (sudo apt-get install docker-registry)`);
    process.exitCode = 1;
    return;
  }
  const version = execFileSync(REGISTRY_BINARY, ['--version'], { encoding: 'utf8', env: registryEnv() }).trim();
  const names = process.argv.slice(2).length > 0 ? process.argv.slice(2) : DEFAULT_SCENARIOS;
  mkdirSync(outDir, { recursive: true });
  for (const name of names) await record(name, version);
}

await main();
