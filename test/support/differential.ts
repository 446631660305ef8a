/**
 * The two properties of issue 4, as functions the differential tests (named
 * scenarios and random ones) share:
 *
 * 1. Comparison. On the tree a scenario left, the reference's
 *    `garbage-collect --dry-run [-m]` and `registry-gc --dry-run --json [-m]`
 *    delete the same blobs (and, with -m, the same manifests) except exactly
 *    the divergence gc-model.ts predicts from the scenario's record. Each
 *    collector is also compared with its own prediction, so that a wrong
 *    model cannot make the two agree by accident.
 * 2. Proof by pulling. After a real `registry-gc -m`, the registry restarted
 *    on the collected tree serves every tagged image, every child of every
 *    kept index and every kept referrer with the same bytes as before; the
 *    reference then finds nothing more to delete.
 *
 * registry-gc runs as a process from dist/ (the shipped CLI), never in-process.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import {
  DEFAULT_UPLOAD_AGE_HOURS,
  expectedDivergence,
  manifestKey,
  predictReference,
  predictRegistryGc,
  pullClosure,
  referenceUntaggedFailures,
  stateAfterRegistryGc,
  type Divergence,
} from '../../harness/gc-model.js';
import { runReferenceGc, type ReferenceGcResult } from '../../harness/reference-gc.js';
import { RegistryClient } from '../../harness/registry-client.js';
import { registryEnv, startRegistry, type RunningRegistry } from '../../harness/registry-server.js';
import { V2, applyUploadAges, type ScenarioOutcome, type ScenarioState } from '../../harness/scenarios.js';
import { snapshot } from '../../harness/tree.js';

export const REPO_ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
/**
 * The built CLI; RGC_CLI points the suite at another build (e.g. of another
 * revision). Not REGISTRY_*: docker-registry reads those as configuration.
 */
export const CLI = process.env['RGC_CLI'] ?? join(REPO_ROOT, 'dist', 'cli.js');

/** The part of registry-gc's `--json` report (spec §5) the comparison reads. */
export interface CliReport {
  dryRun: boolean;
  deleteUntagged: boolean;
  blobs: { deleted: { digest: string; size: number }[] };
  manifests: { deleted: { repository: string; digest: string }[] };
  uploads: { deleted: { repository: string; id: string }[] };
  layerLinks?: { deleted: { repository: string; digest: string }[] };
  repositories?: { deleted: { repository: string }[] };
  warnings: { code: string; path: string; message: string }[];
  errors: unknown[];
  /** A real run's trash: how many entries it moved. */
  trash?: { moved: number };
}

export interface CliRun {
  code: number;
  report: CliReport;
  stdout: string;
  stderr: string;
  ms: number;
}

/** `node dist/cli.js ARGS`, asynchronously: concurrent tests keep their event loop. */
export async function runRegistryGcCli(args: readonly string[]): Promise<CliRun> {
  const started = performance.now();
  const { code, stdout, stderr } = await new Promise<{ code: number; stdout: string; stderr: string }>((done, fail) => {
    // Hermetic: with a CONFIG argument registry-gc honours REGISTRY_* overrides, as the registry does.
    const options = { timeout: 30_000, maxBuffer: 64 * 1024 * 1024, env: registryEnv() };
    execFile(process.execPath, [CLI, ...args], options, (error, stdout, stderr) => {
      if (error && typeof error.code !== 'number') fail(new Error(`registry-gc ${args.join(' ')}: ${error.message}\n${stderr}`));
      else done({ code: error ? Number(error.code) : 0, stdout, stderr });
    });
  });
  let report: CliReport;
  try {
    report = JSON.parse(stdout) as CliReport;
  } catch {
    throw new Error(`registry-gc ${args.join(' ')} exited ${code} without a JSON report:\n${stdout}\n${stderr}`);
  }
  return { code, report, stdout, stderr, ms: performance.now() - started };
}

export const blobsOf = (report: CliReport): string[] => report.blobs.deleted.map((b) => b.digest).sort();
export const manifestsOf = (report: CliReport): string[] => report.manifests.deleted.map((m) => manifestKey(m.repository, m.digest)).sort();
export const referenceManifestsOf = (ref: ReferenceGcResult): string[] =>
  ref.manifests
    .map((m) => {
      // 2.8.2 names no repository on this line; the parser attributes it to the repository printed before it.
      if (m.repository === undefined) throw new Error(`reference printed manifest ${m.digest} before any repository`);
      return manifestKey(m.repository, m.digest);
    })
    .sort();

const minus = (a: readonly string[], b: readonly string[]): string[] => {
  const drop = new Set(b);
  return a.filter((x) => !drop.has(x));
};

/** One live registry, with the scenario it ran; the caller destroys `registries` (newest first). */
export interface LiveScenario {
  readonly registry: RunningRegistry;
  readonly outcome: ScenarioOutcome;
  /** Every registry started on this root (the first one owns it). */
  readonly registries: RunningRegistry[];
  /** What pulling each expected ref fetched before any collection: "repo@ref" → digests, sorted. */
  readonly pulledBefore: ReadonlyMap<string, readonly string[]>;
}

export interface PullTarget {
  repository: string;
  /** A tag or a digest. */
  reference: string;
  /** The manifest the reference must resolve to. */
  digest: string;
}

/** Every tagged image, every child of every kept index, every kept referrer: what must stay pullable. */
export function pullTargets(outcome: ScenarioOutcome): PullTarget[] {
  const targets: PullTarget[] = [];
  for (const t of outcome.expect.tagged) targets.push({ repository: t.repository, reference: t.tag, digest: t.digest });
  for (const i of outcome.expect.indexChildren) {
    for (const child of i.children) targets.push({ repository: i.repository, reference: child, digest: child });
  }
  for (const r of outcome.expect.referrers) targets.push({ repository: r.repository, reference: r.digest, digest: r.digest });
  return targets;
}

const targetKey = (t: PullTarget): string => `${t.repository}:${t.reference}`;

async function pullAll(client: RegistryClient, outcome: ScenarioOutcome, state: ScenarioState): Promise<Map<string, string[]>> {
  const pulled = new Map<string, string[]>();
  for (const target of pullTargets(outcome)) {
    const fetched = await client.pullImage(target.repository, target.reference).catch((error: unknown) => {
      throw new Error(`pull ${targetKey(target)} failed: ${(error as Error).message}`, { cause: error });
    });
    // The first digest fetched is the manifest the reference resolved to.
    expect(fetched[0], `${targetKey(target)} resolves to`).toBe(target.digest);
    expect([...fetched].sort(), `pull of ${targetKey(target)}`).toEqual(pullClosure(state, target.repository, target.digest));
    pulled.set(targetKey(target), [...fetched].sort());
  }
  return pulled;
}

/**
 * Starts a registry on a fresh root, runs `drive` against it, pulls every
 * expected ref (a baseline: the scenario's record must match what the
 * registry serves), stops it, and ages the abandoned uploads.
 */
export async function runLive(drive: (client: RegistryClient) => Promise<ScenarioOutcome>): Promise<LiveScenario> {
  const registry = await startRegistry();
  const registries = [registry];
  try {
    const client = new RegistryClient(registry.url);
    const outcome = await drive(client);
    const pulledBefore = await pullAll(client, outcome, outcome.state);
    await registry.stop();
    await applyUploadAges(registry.root, outcome.state.uploads, Date.now());
    return { registry, outcome, registries, pulledBefore };
  } catch (error) {
    await registry.destroy();
    throw error;
  }
}

export async function destroyAll(registries: RunningRegistry[]): Promise<void> {
  // Newest first: a restarted registry must stop before the first one removes the shared root.
  for (const r of registries.splice(0).reverse()) await r.destroy();
}

export interface Comparison {
  /** The repository the reference's -m aborted on, when the model predicted it would (else undefined). */
  referenceUntaggedFailure: string | undefined;
  /** Per mode, what the reference deletes and registry-gc keeps. */
  divergence: { default: Divergence; deleteUntagged: Divergence };
  reference: { default: ReferenceGcResult; deleteUntagged: ReferenceGcResult };
  ours: { default: CliReport; deleteUntagged: CliReport };
  ms: { reference: number; registryGc: number };
}

async function timed<T>(work: () => Promise<T>): Promise<[T, number]> {
  const started = performance.now();
  const result = await work();
  return [result, performance.now() - started];
}

/** Property 1: dry runs of both collectors, with and without -m, on the stopped registry's tree. */
export async function compareCollectors(live: LiveScenario): Promise<Comparison> {
  const { registry, outcome } = live;
  const state = outcome.state;
  const [[refDefault, refUntagged], refMs] = await timed(() =>
    Promise.all([
      runReferenceGc(registry.configPath, { dryRun: true, deleteUntagged: false }),
      runReferenceGc(registry.configPath, { dryRun: true, deleteUntagged: true }),
    ]),
  );
  const [[oursDefault, oursUntagged], oursMs] = await timed(() =>
    Promise.all([runRegistryGcCli(['--dry-run', '--json', registry.root]), runRegistryGcCli(['--dry-run', '-m', '--json', registry.root])]),
  );
  // The reference's -m aborts on a repository pushed by digest only: only where the model says so.
  const failures = referenceUntaggedFailures(state);
  const aborted = /failed to retrieve tags unknown repository name=(\S+)/.exec(refUntagged.stderr)?.[1];
  expect([refUntagged.exitCode, aborted], refUntagged.stderr).toEqual(failures.length > 0 ? [1, expect.toBeOneOf(failures)] : [0, undefined]);
  for (const ref of [refDefault, refUntagged]) expect(ref.unrecognized).toEqual([]);
  expect(refDefault.exitCode, refDefault.stderr).toBe(0);
  for (const ours of [oursDefault, oursUntagged]) {
    expect(ours.code, ours.stderr).toBe(0);
    expect(ours.report.errors).toEqual([]);
  }

  const divergence = { default: expectedDivergence(state, 'default'), deleteUntagged: expectedDivergence(state, 'deleteUntagged') };

  // Without -m: the reference lists no manifests; the blob sets differ by exactly the divergence.
  expect(refDefault.manifests).toEqual([]);
  expect(oursDefault.report.manifests.deleted).toEqual([]);
  const oursBlobs = blobsOf(oursDefault.report);
  expect(minus(refDefault.blobs, oursBlobs), 'blobs only the reference deletes (default)').toEqual(divergence.default.blobs);
  expect(minus(oursBlobs, refDefault.blobs), 'blobs only registry-gc deletes (default)').toEqual([]);

  // With -m: blobs and manifests, each differing by exactly the known losses of the reference.
  const oursBlobsM = blobsOf(oursUntagged.report);
  const oursManifests = manifestsOf(oursUntagged.report);
  if (aborted === undefined) {
    expect(minus(refUntagged.blobs, oursBlobsM), 'blobs only the reference deletes (-m)').toEqual(divergence.deleteUntagged.blobs);
    expect(minus(oursBlobsM, refUntagged.blobs), 'blobs only registry-gc deletes (-m)').toEqual([]);
    const refManifests = referenceManifestsOf(refUntagged);
    expect(minus(refManifests, oursManifests), 'manifests only the reference deletes (-m)').toEqual(divergence.deleteUntagged.manifests);
    expect(minus(oursManifests, refManifests), 'manifests only registry-gc deletes (-m)').toEqual([]);
    expect(refUntagged.blobs, 'reference (-m) vs model').toEqual(predictReference(state, 'deleteUntagged').blobs);
    expect(refManifests, 'reference manifests (-m) vs model').toEqual(predictReference(state, 'deleteUntagged').manifests);
  }

  // Each collector against its own prediction from the scenario's record.
  expect(refDefault.blobs, 'reference (default) vs model').toEqual(predictReference(state, 'default').blobs);
  expect(oursBlobs, 'registry-gc (default) vs model').toEqual(predictRegistryGc(state, 'default').blobs);
  expect(oursBlobsM, 'registry-gc (-m) vs model').toEqual(predictRegistryGc(state, 'deleteUntagged').blobs);
  expect(oursManifests, 'registry-gc manifests (-m) vs model').toEqual(predictRegistryGc(state, 'deleteUntagged').manifests);

  // Uploads: the reference never touches them; registry-gc lists exactly the stale ones, in both modes.
  const staleUploads = state.uploads.filter((u) => u.ageHours > DEFAULT_UPLOAD_AGE_HOURS).map((u) => `${u.repository}/${u.id}`).sort();
  for (const ours of [oursDefault, oursUntagged]) {
    expect(ours.report.uploads.deleted.map((u) => `${u.repository}/${u.id}`).sort(), 'stale uploads').toEqual(staleUploads);
  }

  return {
    referenceUntaggedFailure: aborted,
    divergence,
    reference: { default: refDefault, deleteUntagged: refUntagged },
    ours: { default: oursDefault.report, deleteUntagged: oursUntagged.report },
    ms: { reference: refMs, registryGc: oursMs },
  };
}

export interface PullProof {
  /** What the reference's dry run (no -m) found to delete on the collected tree. */
  referenceAfter: string[];
  ms: number;
}

/**
 * Cleanup options a real run may add to -m; none may change which blobs and
 * manifests go. With --keep-trash, the registry must serve every kept image
 * from the tree the moves leave, and restore must then give the tree back.
 */
export const CLEANUP_FLAGS = ['--prune-layer-links', '--remove-empty-repositories', '--keep-trash'] as const;

/**
 * Property 2: a real `registry-gc -m [cleanup flags]`, then pull everything
 * that must have survived, then the reference.
 */
export async function proveByPulling(live: LiveScenario, comparison: Comparison, cleanup: readonly string[] = []): Promise<PullProof> {
  const started = performance.now();
  const { registry, outcome } = live;
  const root = registry.root;
  const flags = ['-m', ...cleanup];
  let dry = comparison.ours.deleteUntagged;
  if (cleanup.length > 0) {
    const withCleanup = await runRegistryGcCli(['--dry-run', ...flags, '--json', root]);
    expect(withCleanup.code, withCleanup.stderr).toBe(0);
    expect([blobsOf(withCleanup.report), manifestsOf(withCleanup.report)], `${cleanup.join(' ')} changes no blob or manifest decision`).toEqual([
      blobsOf(dry),
      manifestsOf(dry),
    ]);
    dry = withCleanup.report;
  }
  const keepTrash = cleanup.includes('--keep-trash');
  const before = keepTrash ? snapshot(root) : undefined;
  const real = await runRegistryGcCli([...flags, '--json', root]);
  expect(real.code, real.stderr).toBe(0);
  expect(real.report.errors).toEqual([]);
  expect(real.stderr, 'the line that ends the offline window').toContain('it may be restarted now');
  // The real run deletes exactly what its dry run listed, in every category.
  expect(blobsOf(real.report)).toEqual(blobsOf(dry));
  expect(manifestsOf(real.report)).toEqual(manifestsOf(dry));
  expect(real.report.uploads.deleted).toEqual(dry.uploads.deleted);
  expect(real.report.layerLinks?.deleted).toEqual(dry.layerLinks?.deleted);
  expect(real.report.repositories?.deleted).toEqual(dry.repositories?.deleted);
  for (const digest of blobsOf(real.report)) {
    expect(existsSync(join(root, V2, 'blobs', 'sha256', digest.slice(7, 9), digest.slice(7))), `${digest} deleted`).toBe(false);
  }
  for (const { repository, digest } of real.report.manifests.deleted) {
    expect(existsSync(join(root, V2, 'repositories', repository, '_manifests', 'revisions', 'sha256', digest.slice(7), 'link'))).toBe(false);
  }
  for (const u of outcome.state.uploads) {
    const kept = u.ageHours <= DEFAULT_UPLOAD_AGE_HOURS;
    expect(existsSync(join(root, V2, 'repositories', u.repository, '_uploads', u.id)), `upload ${u.repository}/${u.id} (${u.ageHours} h)`).toBe(kept);
  }

  // A second run finds nothing more.
  const again = await runRegistryGcCli(['--dry-run', ...flags, '--json', root]);
  expect(again.code, again.stderr).toBe(0);
  expect([blobsOf(again.report), manifestsOf(again.report), again.report.uploads.deleted]).toEqual([[], [], []]);
  expect([again.report.layerLinks?.deleted ?? [], again.report.repositories?.deleted ?? []]).toEqual([[], []]);

  const after = stateAfterRegistryGc(outcome.state, 'deleteUntagged');
  const restarted = await startRegistry({ root });
  live.registries.push(restarted);
  const pulledAfter = await pullAll(new RegistryClient(restarted.url), outcome, after);
  expect(pulledAfter).toEqual(live.pulledBefore);
  await restarted.stop();

  const ref = await runReferenceGc(registry.configPath, { dryRun: true, deleteUntagged: false });
  expect(ref.exitCode, ref.stderr).toBe(0);
  expect(ref.unrecognized).toEqual([]);
  expect(ref.blobs, 'reference dry run after registry-gc -m').toEqual(predictReference(after, 'default').blobs);
  if (before !== undefined) {
    // Undo: the kept trash goes back, and the tree is the one before the run. A run that moved
    // nothing leaves no run in the trash (restore then says so): the tree is the one before already.
    if ((real.report.trash?.moved ?? 0) > 0) {
      const restored = await runRegistryGcCli(['restore', '--json', root]);
      expect(restored.code, restored.stderr).toBe(0);
    }
    expect(snapshot(root)).toEqual(before);
  }
  return { referenceAfter: ref.blobs, ms: performance.now() - started };
}
