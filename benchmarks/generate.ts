/**
 * Deterministic generator of Docker Registry v2 filesystem trees (spec §1)
 * for benchmarks and differential tests: real sha256 digests, real manifest
 * JSON of every kind of spec §2 that the reference can read, real bytes.
 * The same seed and parameters give a byte-identical tree.
 *
 *   npx tsx benchmarks/generate.ts --preset small --out /tmp/bench-small [--seed N]
 *       [--now ISO|now] [--replace] [--expect FILE] [--repositories N] [--manifests-per-repository N]
 *
 * Prints a JSON summary with the expected results of a collection, computed
 * from the graph that was written (lib/model.ts). In default mode every
 * revision is a root, so the blobs a collector must delete are exactly the
 * planted orphans (`orphans`); that equality is asserted on every run.
 * `--expect FILE` writes the full sorted lists (blobs, manifests, layer
 * links, uploads) per mode, for exact comparison with a collector's report.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Generator, type Counters, type Sample } from './lib/generator.js';
import { computeExpectations, type Expectations, type ExpectationLists } from './lib/model.js';
import { Prng, maxSize } from './lib/prng.js';
import { TreeWriter } from './lib/tree-writer.js';
import { PRESETS, isPresetName, type GenerateParams, type PresetName } from './presets.js';
import { runIfEntryPoint } from './lib/entry.js';

export { PRESETS, type GenerateParams, type PresetName };
export type { Expectations, ModeExpectation } from './lib/model.js';

export interface GenerateOptions {
  /** Remove an existing `<root>/docker` first; otherwise its presence is an error. @default false */
  replace?: boolean;
  /** Also write the full expected lists, as JSON, to this file. */
  expectFile?: string;
  /** Called after each repository with images. */
  onProgress?: (done: number, total: number) => void;
}

export interface GenerateSummary extends Omit<Counters, 'layerBlobs' | 'layerBytes' | 'orphanBytes'> {
  root: string;
  seed: number;
  now: string;
  /** Repositories with images. */
  repositories: number;
  deletedRepositories: number;
  uploadOnlyRepositories: number;
  /** Revision links (a manifest in two repositories counts twice). */
  manifests: number;
  /** Distinct manifest blobs among the revisions. */
  uniqueManifests: number;
  /** Revisions that a tag's `current/link` names. */
  tagged: number;
  /** Revisions no tag's `current/link` names (what the reference's `-m` deletes). */
  untaggedManifests: number;
  tags: number;
  tagIndexEntries: number;
  blobs: number;
  blobBytes: number;
  layerBlobs: number;
  layerBytes: number;
  layerLinks: number;
  /** Blobs no revision references: exactly the blobs a default-mode collection deletes. */
  orphans: number;
  orphanBytes: number;
  uploads: number;
  staleUploads: number;
  freshUploads: number;
  files: number;
  bytesWritten: number;
  seconds: number;
  expected: Expectations;
  /** A few manifests to pull: one per tagged kind, and untagged index children. */
  samples: Sample[];
}

export function generateRegistry(root: string, params: GenerateParams, options: GenerateOptions = {}): GenerateSummary {
  const started = process.hrtime.bigint();
  validate(params);
  const resolved = path.resolve(root);
  const docker = path.join(resolved, 'docker');
  if (fs.existsSync(docker)) {
    if (!options.replace) throw new Error(`${docker} exists; pass replace: true (--replace) to overwrite it`);
    fs.rmSync(docker, { recursive: true, force: true });
  }
  const rng = new Prng(params.seed);
  const largest = Math.max(maxSize(params.layerSizes), maxSize(params.baseLayerSizes), maxSize(params.uploadSizes));
  const pool = Buffer.allocUnsafe(Math.max(8 << 20, largest + (1 << 20)));
  rng.fill(pool);
  const writer = new TreeWriter(resolved, rng, pool);
  const gen = new Generator(params, rng, writer);

  const names = gen.repositoryNames();
  const budgets = gen.budgets();
  names.forEach((name, i) => {
    gen.fillRepository(name, budgets[i] ?? params.manifestsPerRepository);
    options.onProgress?.(i + 1, names.length);
  });
  const normal = gen.repositories.slice(0, names.length);
  gen.orphans(normal);
  gen.uploads(normal);

  const model = { repositories: gen.repositories, manifests: gen.manifests, blobs: writer.blobs };
  const { expectations, lists } = computeExpectations(model);
  assertOrphansExact(lists, gen.intendedOrphans);

  const revisions = gen.repositories.reduce((n, r) => n + r.revisions.length, 0);
  let tags = 0;
  let tagIndexEntries = 0;
  for (const r of gen.repositories) {
    tags += r.tags.size;
    for (const t of r.tags.values()) tagIndexEntries += new Set(t.history).size;
  }
  const uploads = gen.repositories.flatMap((r) => r.uploads);
  const { layerBlobs, layerBytes, orphanBytes, ...counters } = gen.counters;
  const summary: GenerateSummary = {
    root: resolved,
    seed: params.seed,
    now: params.now,
    repositories: names.length,
    deletedRepositories: params.deletedRepositories,
    uploadOnlyRepositories: params.uploadOnlyRepositories,
    manifests: revisions,
    uniqueManifests: new Set(gen.repositories.flatMap((r) => r.revisions)).size,
    tagged: revisions - expectations.referenceDeleteUntagged.deletedManifests,
    untaggedManifests: expectations.referenceDeleteUntagged.deletedManifests,
    tags,
    tagIndexEntries,
    ...counters,
    blobs: writer.blobs.size,
    blobBytes: [...writer.blobs.values()].reduce((a, b) => a + b, 0),
    layerBlobs,
    layerBytes,
    layerLinks: gen.repositories.reduce((n, r) => n + r.layerLinks.size, 0),
    orphans: gen.intendedOrphans.size,
    orphanBytes,
    uploads: uploads.length,
    staleUploads: uploads.filter((u) => u.stale).length,
    freshUploads: uploads.filter((u) => !u.stale).length,
    files: writer.filesWritten,
    bytesWritten: writer.bytesWritten,
    seconds: Number(process.hrtime.bigint() - started) / 1e9,
    expected: expectations,
    samples: [...gen.samples.values()],
  };
  if (options.expectFile !== undefined) {
    fs.writeFileSync(options.expectFile, JSON.stringify({ root: resolved, seed: params.seed, now: params.now, expected: expectations, samples: summary.samples, lists }) + '\n');
  }
  return summary;
}

function validate(p: GenerateParams): void {
  const positive = ['repositories', 'teamSize', 'manifestsPerRepository'] as const;
  for (const key of positive) {
    if (!Number.isInteger(p[key]) || p[key] < 1) throw new RangeError(`${key} must be a positive integer, got ${p[key]}`);
  }
  const counts = ['orphanBlobs', 'deletedRepositories', 'staleUploads', 'freshUploads', 'uploadOnlyRepositories', 'baseLayerPool'] as const;
  for (const key of counts) {
    if (!Number.isInteger(p[key]) || p[key] < 0) throw new RangeError(`${key} must be a non-negative integer, got ${p[key]}`);
  }
  if (p.layersPerImage[0] < 1) throw new RangeError('layersPerImage must start at 1 or more');
  if (p.orphanBlobs > 0 && p.repositories < 1) throw new RangeError('orphans need a repository');
}

/** The generator's own check: the blobs default mode deletes are exactly the orphans it planted. */
function assertOrphansExact(lists: ExpectationLists, intended: ReadonlySet<string>): void {
  const deleted = new Set<string>(lists.default.deletedBlobs);
  const extra = [...deleted].filter((d) => !intended.has(d));
  const missing = [...intended].filter((d) => !deleted.has(d));
  if (extra.length > 0 || missing.length > 0 || lists.default.deletedManifests.length > 0) {
    throw new Error(`generator bug: unplanned orphans ${extra.slice(0, 5).join(', ')}; referenced orphans ${missing.slice(0, 5).join(', ')}`);
  }
}

// CLI -----------------------------------------------------------------------------

const USAGE = `usage: npx tsx benchmarks/generate.ts --preset small|standard|standard-half|tags|large --out DIR [--seed N]
       [--now ISO|now] [--replace] [--expect FILE] [--repositories N] [--manifests-per-repository N] [--quiet]`;

export async function main(argv: readonly string[]): Promise<number> {
  const args = new Map<string, string>();
  const flags = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === '--replace' || arg === '--quiet') flags.add(arg);
    else if (arg.startsWith('--') && i + 1 < argv.length) args.set(arg, argv[++i] ?? '');
    else {
      process.stderr.write(`unexpected argument ${arg}\n${USAGE}\n`);
      return 2;
    }
  }
  const preset = args.get('--preset') ?? 'small';
  const out = args.get('--out');
  if (!isPresetName(preset) || out === undefined) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const params: GenerateParams = { ...PRESETS[preset] };
  const integer = (flag: string, apply: (n: number) => void): void => {
    const value = args.get(flag);
    if (value !== undefined) apply(Number.parseInt(value, 10));
  };
  integer('--seed', (n) => (params.seed = n));
  integer('--repositories', (n) => (params.repositories = n));
  integer('--manifests-per-repository', (n) => (params.manifestsPerRepository = n));
  const now = args.get('--now');
  if (now !== undefined) params.now = now === 'now' ? new Date().toISOString().replace(/\.\d{3}Z$/, 'Z') : now;
  const quiet = flags.has('--quiet');
  let last = 0;
  const summary = generateRegistry(out, params, {
    replace: flags.has('--replace'),
    ...(args.has('--expect') ? { expectFile: args.get('--expect') } : {}),
    onProgress: (done, total) => {
      if (quiet || (Date.now() - last < 2000 && done < total)) return;
      last = Date.now();
      process.stderr.write(`generate: ${done}/${total} repositories\n`);
    },
  });
  process.stdout.write(`${JSON.stringify({ preset, ...summary }, null, 2)}\n`);
  return 0;
}

runIfEntryPoint(import.meta.url, main);
