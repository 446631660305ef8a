/**
 * The benchmark runner's vocabulary: modes, samples, and the records stored in
 * `benchmarks/results/`.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { GenerateSummary } from '../generate.js';
import type { FloorResult } from '../floor.js';
import type { S3Record } from './s3-model.js';

/** The repository: two folders up from benchmarks/lib/. */
export const PROJECT = path.resolve(fileURLToPath(new URL('../..', import.meta.url)));
export const RESULTS_DIR = path.join(PROJECT, 'benchmarks', 'results');
export const RESULTS_MD = path.join(PROJECT, 'benchmarks', 'RESULTS.md');
export const NOTES_MD = path.join(RESULTS_DIR, 'notes.md');
export const TIME = '/usr/bin/time';
export const STRACE_SET = 'trace=%file,getdents64,read,openat,unlinkat,newfstatat,statx';
// Modes -------------------------------------------------------------------------------

export type Mode = 'dry' | 'dry-m' | 'dry-cold' | 'dry-m-cold' | 'dry-m-keep-last' | 'dry-m-keep-all' | 'delete' | 'delete-m' | 'offline-m' | 'offline-apply';
/** `none`: the generator predicts nothing for this mode (retention's), its counts are not checked. */
export type ExpectKey = 'default' | 'deleteUntagged' | 'referenceDeleteUntagged' | 'none';

export interface ModeSpec {
  label: string;
  ours: string[];
  reference: string[];
  deletes: boolean;
  /** The dry mode that warms the cache before a delete mode. */
  warmup: Mode;
  expectOurs: ExpectKey;
  expectReference: ExpectKey;
  /**
   * registry-gc moves what it collects into its trash and exits (`--keep-trash`), then a
   * timed `registry-gc purge` frees it: the offline window is only the moves.
   */
  keepsTrash?: boolean;
  /**
   * registry-gc first makes a plan (`plan -m`, untimed: the registry would be serving), then the
   * timed run is `apply PLAN --keep-trash`: the offline window is that whole command.
   */
  plansFirst?: boolean;
  /** Every run (each tool's and the floor's) starts on dropped caches: `sync; echo 3 > /proc/sys/vm/drop_caches` (root only). */
  cold?: boolean;
  /** Only registry-gc runs (the reference has no such option); its row compares it with our run of `comparedWith`. */
  oursOnly?: boolean;
  comparedWith?: Mode;
}

// The reference's offline window is its whole run; ours ends at its last move (its report's offlineMs).
const OFFLINE_M: ModeSpec = {
  label: 'offline window `-m` (on `cp -al` copies)',
  ours: ['-m', '--keep-trash'],
  reference: ['-m'],
  deletes: true,
  warmup: 'dry-m',
  expectOurs: 'deleteUntagged',
  expectReference: 'referenceDeleteUntagged',
  keepsTrash: true,
};

export const MODES: Record<Mode, ModeSpec> = {
  dry: { label: 'dry run', ours: ['-d'], reference: ['--dry-run'], deletes: false, warmup: 'dry', expectOurs: 'default', expectReference: 'default' },
  'dry-m': { label: '`-m` dry run', ours: ['-d', '-m'], reference: ['--dry-run', '-m'], deletes: false, warmup: 'dry-m', expectOurs: 'deleteUntagged', expectReference: 'referenceDeleteUntagged' },
  'dry-cold': { label: 'dry run, cold caches', ours: ['-d'], reference: ['--dry-run'], deletes: false, warmup: 'dry', expectOurs: 'default', expectReference: 'default', cold: true },
  'dry-m-cold': {
    label: '`-m` dry run, cold caches',
    ours: ['-d', '-m'],
    reference: ['--dry-run', '-m'],
    deletes: false,
    warmup: 'dry-m',
    expectOurs: 'deleteUntagged',
    expectReference: 'referenceDeleteUntagged',
    cold: true,
  },
  'dry-m-keep-last': {
    label: '`-m --keep-last 10` dry run',
    ours: ['-d', '-m', '--keep-last', '10'],
    reference: [],
    deletes: false,
    warmup: 'dry-m',
    expectOurs: 'none',
    expectReference: 'none',
    oursOnly: true,
    comparedWith: 'dry-m',
  },
  // Every tag is weighed by a rule and none goes: retention's own cost, at the work of `-m` alone.
  'dry-m-keep-all': {
    label: '`-m --keep-last 1000000` dry run (every tag ranked, none deleted)',
    ours: ['-d', '-m', '--keep-last', '1000000'],
    reference: [],
    deletes: false,
    warmup: 'dry-m',
    expectOurs: 'deleteUntagged',
    expectReference: 'none',
    oursOnly: true,
    comparedWith: 'dry-m',
  },
  delete: { label: 'delete (on `cp -al` copies)', ours: [], reference: [], deletes: true, warmup: 'dry', expectOurs: 'default', expectReference: 'default' },
  'delete-m': { label: 'delete `-m` (on `cp -al` copies)', ours: ['-m'], reference: ['-m'], deletes: true, warmup: 'dry-m', expectOurs: 'deleteUntagged', expectReference: 'referenceDeleteUntagged' },
  'offline-m': OFFLINE_M,
  'offline-apply': { ...OFFLINE_M, label: 'offline window, plan + apply `-m` (on `cp -al` copies)', ours: ['apply', '--keep-trash'], plansFirst: true },
};
export const MODE_ORDER: Mode[] = ['dry', 'dry-m', 'dry-cold', 'dry-m-cold', 'dry-m-keep-last', 'dry-m-keep-all', 'delete', 'delete-m', 'offline-m', 'offline-apply'];
export const isMode = (m: string): m is Mode => Object.prototype.hasOwnProperty.call(MODES, m);

// Records -------------------------------------------------------------------------------

export type Tool = 'ours' | 'reference';

export interface Sample {
  seconds: number;
  /** Peak resident set size in KiB (GNU time's %M); null when unknown. */
  rssKb: number | null;
  exit: number | null;
  timedOut: boolean;
  /** Blobs / manifests the tool deleted (or would delete), from its output. */
  blobsDeleted?: number;
  manifestsDeleted?: number;
  blobsMarked?: number;
  /** Delete modes: blobs left in the copy afterwards. */
  blobsLeft?: number;
  /** registry-gc's `durations` (ms per phase). */
  durations?: Record<string, number>;
  /** Real runs of registry-gc: its `offlineMs` (from the start of its run, after start-up, to the end of its last move). */
  offlineMs?: number;
  /** Real runs of registry-gc: its `trash` (without its run name and path). */
  trash?: { moved: number; deletedInPlace: number; purged: boolean };
  /** offline-m: blobs left in the copy right after the moves (`blobsLeft` counts them after the purge). */
  blobsLeftBeforePurge?: number;
  /** offline-apply: the untimed `plan -m` made first (seconds), and how apply re-checked it. */
  plan?: { seconds: number; error?: string };
  recheck?: { mode: string; rescanned: number };
  /** offline-m: the timed `registry-gc purge COPY` that followed, on the same copy. */
  purge?: PurgeSample;
  error?: string;
}

export interface PurgeSample {
  seconds: number;
  rssKb: number | null;
  /** Entries its report says it freed, over all runs. */
  entries?: number;
  /** `<copy>/registry-gc-trash` still held something afterwards. */
  trashLeft: boolean;
  error?: string;
}

export interface StraceResult {
  calls: Record<string, number>;
  errors: Record<string, number>;
  total: number;
  seconds: number;
  exit: number | null;
  timedOut: boolean;
}

export interface BuildInfo {
  commit: string;
  /** `git status --porcelain src` was not empty. */
  srcDirty: boolean;
  /** sha256 (12 hex) of dist/**\/*.js as snapshotted. */
  distHash: string;
  distBuilt: string;
}

export interface Machine {
  cores: number;
  cpu: string;
  memoryGB: number;
  kernel: string;
  node: string;
  reference: string | null;
  /** Median wall time of `node -e 0` (process start-up alone). */
  nodeStartup: number;
}

/** What every measured mode records about when, where and with which build it ran. */
export interface Measurement {
  mode: Mode;
  date: string;
  build: BuildInfo;
  machine: Machine;
  loadBefore: number[];
  loadAfter: number[];
  /** Seconds spent waiting for --max-load before measuring. */
  waited?: number;
  seconds: number;
}

export interface ModeResult extends Measurement {
  ours: Sample[];
  reference: Sample[];
  floor: number[];
  floorWorkers: number;
  floorCounts?: FloorResult['counts'];
  warmup: { ours?: number; reference?: number; floor?: number };
  strace: Partial<Record<Tool, StraceResult | { error: string }>>;
  /** Strace results kept from an earlier measurement of the same mode (this one ran without strace). */
  straceFrom?: Partial<Record<Tool, { date: string; distHash: string }>>;
  copy?: { method: string; copySeconds: number[]; removeSeconds: number[] };
  checks: string[];
  problems: string[];
}

export interface TreeInfo {
  preset: string;
  root: string;
  summary: TreeSummary | null;
}

export type TreeSummary = Pick<
  GenerateSummary,
  'repositories' | 'deletedRepositories' | 'uploadOnlyRepositories' | 'manifests' | 'tags' | 'blobs' | 'blobBytes' | 'orphans' | 'files' | 'bytesWritten' | 'seconds' | 'expected' | 'seed'
>;

export interface PresetRecord {
  kind: 'preset';
  preset: string;
  tree: TreeInfo;
  /** By mode; a delete mode measured on full copies is stored as `<mode>:full-copy`. */
  modes: Record<string, ModeResult | undefined>;
}

export interface ScalingSide {
  ours: Sample[];
  reference: Sample[];
  floor: number[];
}

export interface ScalingMode extends Measurement {
  half: ScalingSide;
  full: ScalingSide;
  problems: string[];
}

export interface ScalingRecord {
  kind: 'scaling';
  half: TreeInfo;
  full: TreeInfo;
  modes: Partial<Record<Mode, ScalingMode>>;
}

/** S3Record: issue 16's sitting on radosgw (s3-model.ts, benchmarks/s3.ts). */
export type AnyRecord = PresetRecord | ScalingRecord | S3Record;
