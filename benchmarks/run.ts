/**
 * Side-by-side benchmark of registry-gc against Debian's `docker-registry
 * garbage-collect` 2.8.2 and the I/O floor (issue 6), on generated trees.
 *
 *   npm run bench -- --preset standard [--runs N] [--modes dry,dry-m,delete-m] [--no-reference]
 *   npm run bench -- --scaling                  # standard-half (N blobs) against standard (2N)
 *   npm run bench -- --render                   # only rebuild RESULTS.md from benchmarks/results/*.json
 *
 * For a preset it uses `<trees>/<preset>` (default `/work/bench-trees/<preset>`),
 * generating it with benchmarks/generate.ts when absent (its summary goes to
 * `<trees>/<preset>.summary.json`). Then, per mode:
 *
 * - dry modes (`dry`, `dry-m`): one warm-up of each tool, then timed runs
 *   alternating ours, reference, floor, ours, reference, floor, …
 *   (`--runs`, default 3; `--reference-runs` for the reference alone);
 * - delete modes (`delete-m`, `delete`): a dry warm-up of each tool on the
 *   original tree, then per run and tool a fresh hard-link copy of the tree
 *   (`cp -al`: new directories, the files' names hard-linked; a deletion
 *   unlinks the copy's name and never touches the original's, and neither
 *   tool writes into an existing file), the timed run on the copy, a count of
 *   the blobs left against the generator's expectation, and removal of the
 *   copy (`--delete-runs`, default 1);
 * - one extra run of each tool under `strace -f -c` for system-call counts
 *   (`--strace all|ours|none`, default all; its own timeout `--strace-timeout`).
 *
 * Wall time is measured around each child process (it includes process
 * start-up); peak RSS comes from `/usr/bin/time -f '%e %M'`. Every child runs
 * in its own process group with a timeout (`--timeout`, default 1800 s) and
 * is killed as a group when it expires or when the runner is interrupted.
 * registry-gc's JSON report goes to a temp file (its `durations` give the
 * per-phase breakdown); the reference's timed dry runs print to /dev/null,
 * and only its warm-up and delete runs go to a file, scanned for its summary
 * line. What each tool decided is checked against the generator's
 * expectations (`<preset>.summary.json`). registry-gc runs from a snapshot
 * of `dist/` taken at start (dist may be rebuilt while a benchmark runs).
 *
 * Each invocation stores its measurements in `benchmarks/results/<name>.json`
 * (modes measured again replace the stored ones) and re-renders
 * `benchmarks/RESULTS.md` from all stored results, with
 * `benchmarks/results/notes.md` appended when present.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { GenerateSummary } from './generate.js';
import type { FloorResult } from './floor.js';
import { PRESETS, isPresetName, type PresetName } from './presets.js';
import { registryConfigYaml } from '../test/support/registry-server.js';
import { runIfEntryPoint } from './lib/entry.js';

const PROJECT = path.resolve(fileURLToPath(new URL('..', import.meta.url)));
const RESULTS_DIR = path.join(PROJECT, 'benchmarks', 'results');
const RESULTS_MD = path.join(PROJECT, 'benchmarks', 'RESULTS.md');
const NOTES_MD = path.join(RESULTS_DIR, 'notes.md');
const TIME = '/usr/bin/time';
const STRACE_SET = 'trace=%file,getdents64,read,openat,unlinkat,newfstatat,statx';

// Modes -------------------------------------------------------------------------------

export type Mode = 'dry' | 'dry-m' | 'delete' | 'delete-m';
type ExpectKey = 'default' | 'deleteUntagged' | 'referenceDeleteUntagged';

interface ModeSpec {
  label: string;
  ours: string[];
  reference: string[];
  deletes: boolean;
  /** The dry mode that warms the cache before a delete mode. */
  warmup: Mode;
  expectOurs: ExpectKey;
  expectReference: ExpectKey;
}

const MODES: Record<Mode, ModeSpec> = {
  dry: { label: 'dry run', ours: ['-d'], reference: ['--dry-run'], deletes: false, warmup: 'dry', expectOurs: 'default', expectReference: 'default' },
  'dry-m': { label: '`-m` dry run', ours: ['-d', '-m'], reference: ['--dry-run', '-m'], deletes: false, warmup: 'dry-m', expectOurs: 'deleteUntagged', expectReference: 'referenceDeleteUntagged' },
  delete: { label: 'delete (on `cp -al` copies)', ours: [], reference: [], deletes: true, warmup: 'dry', expectOurs: 'default', expectReference: 'default' },
  'delete-m': { label: 'delete `-m` (on `cp -al` copies)', ours: ['-m'], reference: ['-m'], deletes: true, warmup: 'dry-m', expectOurs: 'deleteUntagged', expectReference: 'referenceDeleteUntagged' },
};
const MODE_ORDER: Mode[] = ['dry', 'dry-m', 'delete', 'delete-m'];
const isMode = (m: string): m is Mode => Object.prototype.hasOwnProperty.call(MODES, m);

// Records -------------------------------------------------------------------------------

type Tool = 'ours' | 'reference';

interface Sample {
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
  error?: string;
}

interface StraceResult {
  calls: Record<string, number>;
  errors: Record<string, number>;
  total: number;
  seconds: number;
  exit: number | null;
  timedOut: boolean;
}

interface BuildInfo {
  commit: string;
  /** `git status --porcelain src` was not empty. */
  srcDirty: boolean;
  /** sha256 (12 hex) of dist/**\/*.js as snapshotted. */
  distHash: string;
  distBuilt: string;
}

interface Machine {
  cores: number;
  cpu: string;
  memoryGB: number;
  kernel: string;
  node: string;
  reference: string | null;
  /** Median wall time of `node -e 0` (process start-up alone). */
  nodeStartup: number;
}

interface ModeResult {
  mode: Mode;
  date: string;
  build: BuildInfo;
  machine: Machine;
  loadBefore: number[];
  loadAfter: number[];
  /** Seconds spent waiting for --max-load before measuring. */
  waited?: number;
  seconds: number;
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

interface TreeInfo {
  preset: string;
  root: string;
  summary: TreeSummary | null;
}

type TreeSummary = Pick<
  GenerateSummary,
  'repositories' | 'deletedRepositories' | 'uploadOnlyRepositories' | 'manifests' | 'tags' | 'blobs' | 'blobBytes' | 'orphans' | 'files' | 'bytesWritten' | 'seconds' | 'expected' | 'seed'
>;

interface PresetRecord {
  kind: 'preset';
  preset: string;
  tree: TreeInfo;
  /** By mode; a delete mode measured on full copies is stored as `<mode>:full-copy`. */
  modes: Record<string, ModeResult | undefined>;
}

interface ScalingSide {
  ours: Sample[];
  reference: Sample[];
  floor: number[];
}

interface ScalingMode {
  mode: Mode;
  date: string;
  build: BuildInfo;
  machine: Machine;
  loadBefore: number[];
  loadAfter: number[];
  waited?: number;
  seconds: number;
  half: ScalingSide;
  full: ScalingSide;
  problems: string[];
}

interface ScalingRecord {
  kind: 'scaling';
  half: TreeInfo;
  full: TreeInfo;
  modes: Partial<Record<Mode, ScalingMode>>;
}

type AnyRecord = PresetRecord | ScalingRecord;

// Options -------------------------------------------------------------------------------

interface Options {
  preset: string | undefined;
  scaling: boolean;
  render: boolean;
  runs: number;
  referenceRuns: number | undefined;
  deleteRuns: number;
  modes: Mode[] | undefined;
  reference: boolean;
  floor: boolean;
  floorWorkers: number;
  strace: 'all' | 'ours' | 'none';
  straceTimeout: number;
  timeout: number;
  generateTimeout: number;
  /** Before each mode, wait (up to maxWait s) until the 1-minute load average is at most this. */
  maxLoad: number | undefined;
  maxWait: number;
  /** How delete modes copy the tree: hard links (`cp -al`, default) or a full copy (`cp -a`). */
  copy: 'hardlink' | 'full';
  trees: string;
  regenerate: boolean;
  oursArgs: string[];
}

const USAGE = `usage: npm run bench -- --preset small|standard|standard-half|tags|large [options]
       npm run bench -- --scaling [options]      (standard-half against standard)
       npm run bench -- --render                 (rebuild benchmarks/RESULTS.md only)
options:
  --modes LIST          dry,dry-m,delete-m,delete (default: dry,dry-m,delete-m; scaling: dry,dry-m)
  --runs N              timed runs per tool in dry modes (default 3)
  --reference-runs N    timed runs of the reference in dry modes (default: --runs)
  --delete-runs N       timed runs per tool in delete modes, each on a fresh copy (default 1)
  --no-reference        registry-gc (and the floor) only
  --no-floor            no floor measurement
  --floor-workers N     worker threads of the floor besides the main thread (default 1)
  --strace all|ours|none  one extra run per tool under strace -f -c (default all)
  --strace-timeout S    timeout of a strace run (default 900)
  --timeout S           timeout of every other child process (default 1800)
  --generate-timeout S  timeout of generating a tree (default 3600)
  --max-load L          before each mode, wait until the 1-minute load average is ≤ L ...
  --max-wait S          ... for at most S seconds (default 600), then measure anyway
  --copy hardlink|full  delete modes copy the tree with cp -al (default) or cp -a
  --trees DIR           where trees live (default /work/bench-trees)
  --regenerate          generate the tree again even if it exists
  --ours-arg ARG        extra argument for registry-gc (repeatable)`;

function parseOptions(argv: readonly string[]): Options {
  const o: Options = {
    preset: undefined,
    scaling: false,
    render: false,
    runs: 3,
    referenceRuns: undefined,
    deleteRuns: 1,
    modes: undefined,
    reference: true,
    floor: true,
    floorWorkers: 1,
    strace: 'all',
    straceTimeout: 900,
    timeout: 1800,
    generateTimeout: 3600,
    maxLoad: undefined,
    maxWait: 600,
    copy: 'hardlink',
    trees: '/work/bench-trees',
    regenerate: false,
    oursArgs: [],
  };
  const int = (flag: string, v: string | undefined, min: number): number => {
    const n = Number(v);
    if (v === undefined || !Number.isInteger(n) || n < min) throw new UsageError(`${flag} needs an integer ≥ ${min}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] ?? '';
    const next = (): string | undefined => argv[++i];
    switch (a) {
      case '--':
        break;
      case '--preset':
        o.preset = next();
        break;
      case '--scaling':
        o.scaling = true;
        break;
      case '--render':
        o.render = true;
        break;
      case '--runs':
        o.runs = int(a, next(), 1);
        break;
      case '--reference-runs':
        o.referenceRuns = int(a, next(), 0);
        break;
      case '--delete-runs':
        o.deleteRuns = int(a, next(), 1);
        break;
      case '--modes': {
        const list = (next() ?? '').split(',').filter((m) => m !== '');
        const bad = list.filter((m) => !isMode(m));
        if (list.length === 0 || bad.length > 0) throw new UsageError(`unknown mode(s) ${bad.join(', ')}; modes: ${MODE_ORDER.join(', ')}`);
        o.modes = list as Mode[];
        break;
      }
      case '--no-reference':
        o.reference = false;
        break;
      case '--no-floor':
        o.floor = false;
        break;
      case '--floor-workers':
        o.floorWorkers = int(a, next(), 0);
        break;
      case '--strace': {
        const v = next();
        if (v !== 'all' && v !== 'ours' && v !== 'none') throw new UsageError('--strace takes all, ours or none');
        o.strace = v;
        break;
      }
      case '--no-strace':
        o.strace = 'none';
        break;
      case '--strace-timeout':
        o.straceTimeout = int(a, next(), 1);
        break;
      case '--timeout':
        o.timeout = int(a, next(), 1);
        break;
      case '--generate-timeout':
        o.generateTimeout = int(a, next(), 1);
        break;
      case '--max-load': {
        const v = Number(next());
        if (!(v > 0)) throw new UsageError('--max-load needs a positive number');
        o.maxLoad = v;
        break;
      }
      case '--max-wait':
        o.maxWait = int(a, next(), 0);
        break;
      case '--copy': {
        const v = next();
        if (v !== 'hardlink' && v !== 'full') throw new UsageError('--copy takes hardlink or full');
        o.copy = v;
        break;
      }
      case '--trees':
        o.trees = path.resolve(next() ?? '');
        break;
      case '--regenerate':
        o.regenerate = true;
        break;
      case '--ours-arg':
        o.oursArgs.push(next() ?? '');
        break;
      case '-h':
      case '--help':
        throw new UsageError('');
      default:
        throw new UsageError(`unexpected argument ${a}`);
    }
  }
  if (!o.render && !o.scaling && o.preset === undefined) throw new UsageError('give --preset NAME, --scaling or --render');
  if (o.preset !== undefined && !isPresetName(o.preset)) throw new UsageError(`unknown preset ${o.preset}; presets: ${Object.keys(PRESETS).join(', ')}`);
  return o;
}

class UsageError extends Error {}

// Progress and helpers --------------------------------------------------------------

const runStarted = Date.now();

function log(message: string): void {
  const t = new Date().toISOString().slice(11, 19);
  const elapsed = ((Date.now() - runStarted) / 1000).toFixed(0).padStart(5);
  process.stderr.write(`[bench ${t} +${elapsed}s] ${message}\n`);
}

const median = (xs: readonly number[]): number => {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? (s[mid] ?? Number.NaN) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
};

const load = (): number[] => os.loadavg().map((x) => Math.round(x * 100) / 100);
const fmtS = (s: number): string => (Number.isFinite(s) ? (s >= 100 ? s.toFixed(0) : s >= 10 ? s.toFixed(1) : s.toFixed(2)) : '—');
const sec = (s: number): string => (Number.isFinite(s) ? `${fmtS(s)} s` : '—');
const fmtMB = (kb: number | null | undefined): string => (kb === null || kb === undefined ? '—' : `${Math.round((kb * 1024) / 1e6)} MB`);
const fmtInt = (n: number | undefined): string => (n === undefined ? '—' : n.toLocaleString('en-US'));
const fmtRatio = (r: number): string => (Number.isFinite(r) ? (r >= 10 ? `${r.toFixed(0)}×` : `${r.toFixed(2)}×`) : '—');
const fmtLoad = (l: readonly number[]): string => l.map((x) => x.toFixed(2)).join(' / ');

function which(cmd: string): string | null {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

// Child processes ------------------------------------------------------------------

const activeGroups = new Set<number>();

function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    for (const pid of activeGroups) killGroup(pid);
    process.stderr.write(`\nbench: interrupted; copies (if any) are left under <trees>/.copies\n`);
    process.exit(130);
  });
}

interface Outcome {
  seconds: number;
  exit: number | null;
  signal: string | null;
  timedOut: boolean;
  /** GNU time's "%e %M" when wrapped. */
  rssKb: number | null;
  spawnError?: string;
}

/**
 * Runs argv in its own process group, stdout and stderr to files; with
 * `time`, under /usr/bin/time -f '%e %M'. Wall time is measured here.
 */
function execute(argv: readonly string[], opts: { stdout: string; stderr: string; timeout: number; time: boolean; interruptFirst?: boolean }): Promise<Outcome> {
  const timeFile = `${opts.stderr}.time`;
  const full = opts.time ? [TIME, '-f', '%e %M', '-o', timeFile, ...argv] : [...argv];
  const out = fs.openSync(opts.stdout, 'w');
  const err = fs.openSync(opts.stderr, 'w');
  const started = process.hrtime.bigint();
  const child = spawn(full[0] ?? '', full.slice(1), { stdio: ['ignore', out, err], detached: true });
  fs.closeSync(out);
  fs.closeSync(err);
  if (child.pid !== undefined) activeGroups.add(child.pid);
  return new Promise((resolve) => {
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      if (child.pid === undefined) return;
      const pid = child.pid;
      if (opts.interruptFirst) {
        // strace (-I 2) stops tracing on SIGINT and still prints its -c table; the tracee is killed after.
        try {
          process.kill(pid, 'SIGINT');
        } catch {
          // gone
        }
        setTimeout(() => killGroup(pid), 5000).unref();
      } else killGroup(pid);
    }, opts.timeout * 1000);
    const finish = (exit: number | null, signal: string | null, spawnError?: string): void => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      clearTimeout(timer);
      if (child.pid !== undefined) {
        if (timedOut) killGroup(child.pid);
        activeGroups.delete(child.pid);
      }
      let rssKb: number | null = null;
      if (opts.time && fs.existsSync(timeFile)) {
        const lines = fs.readFileSync(timeFile, 'utf8').trim().split('\n');
        const m = /^([\d.]+) (\d+)$/.exec(lines[lines.length - 1] ?? '');
        if (m) rssKb = Number(m[2]);
      }
      resolve({ seconds, exit, signal, timedOut, rssKb, ...(spawnError !== undefined ? { spawnError } : {}) });
    };
    child.once('error', (e) => finish(null, null, e.message));
    child.once('exit', (code, signal) => finish(code, signal));
  });
}

function tail(file: string, bytes = 2000): string {
  try {
    const fd = fs.openSync(file, 'r');
    try {
      const size = fs.fstatSync(fd).size;
      const buf = Buffer.alloc(Math.min(bytes, size));
      fs.readSync(fd, buf, 0, buf.length, size - buf.length);
      return buf.toString('utf8');
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return '';
  }
}

// The two tools -------------------------------------------------------------------

interface Context {
  options: Options;
  tmp: string;
  cli: string;
  build: BuildInfo;
  machine: Machine;
  referenceAvailable: boolean;
  configs: Map<string, string>;
  seq: number;
}

function referenceConfig(ctx: Context, root: string): string {
  let file = ctx.configs.get(root);
  if (file === undefined) {
    file = path.join(ctx.tmp, `gc-${ctx.configs.size}.yml`);
    const text = registryConfigYaml(root);
    fs.writeFileSync(file, text);
    ctx.configs.set(root, file);
  }
  return file;
}

function command(ctx: Context, tool: Tool, mode: Mode, root: string): string[] {
  if (tool === 'ours') return [process.execPath, ctx.cli, ...MODES[mode].ours, '--json', '--quiet', ...ctx.options.oursArgs, root];
  return ['docker-registry', 'garbage-collect', ...MODES[mode].reference, referenceConfig(ctx, root)];
}

const REFERENCE_SUMMARY = /(\d+) blobs marked, (\d+) blobs and (\d+) manifests eligible for deletion/;

interface OursReport {
  blobs?: { marked?: number; deleted?: unknown[] };
  manifests?: { deleted?: unknown[] };
  durations?: Record<string, number>;
  errors?: unknown[];
}

/** One timed run of a tool; parses what it decided. */
async function runTool(ctx: Context, tool: Tool, mode: Mode, root: string, capture = true): Promise<Sample> {
  const id = `${++ctx.seq}-${tool}-${mode}`;
  // registry-gc's report is one write (and holds its phase durations); the
  // reference prints a line per blob and manifest, unbuffered: read only when checked.
  const stdout = tool === 'reference' && !capture ? '/dev/null' : path.join(ctx.tmp, `${id}.out`);
  const stderr = path.join(ctx.tmp, `${id}.err`);
  const o = await execute(command(ctx, tool, mode, root), { stdout, stderr, timeout: ctx.options.timeout, time: true });
  const sample: Sample = { seconds: o.seconds, rssKb: o.rssKb, exit: o.exit, timedOut: o.timedOut };
  if (o.spawnError !== undefined) sample.error = o.spawnError;
  else if (o.timedOut) sample.error = `timed out after ${ctx.options.timeout} s`;
  else if (o.exit !== 0) sample.error = `exit ${o.exit ?? o.signal}: ${tail(stderr, 600).trim()}`;
  try {
    if (tool === 'ours' && !o.timedOut) {
      const report = JSON.parse(fs.readFileSync(stdout, 'utf8')) as OursReport;
      sample.blobsDeleted = report.blobs?.deleted?.length;
      sample.manifestsDeleted = report.manifests?.deleted?.length;
      sample.blobsMarked = report.blobs?.marked;
      if (report.durations !== undefined) sample.durations = report.durations;
    } else if (tool === 'reference' && !o.timedOut && stdout !== '/dev/null') {
      // The summary line comes after the marking lines and before the deletion lines.
      const m = REFERENCE_SUMMARY.exec(fs.readFileSync(stdout, 'utf8'));
      if (m) {
        sample.blobsMarked = Number(m[1]);
        sample.blobsDeleted = Number(m[2]);
        sample.manifestsDeleted = Number(m[3]);
      } else sample.error ??= 'no summary line in its output';
    }
  } catch (err) {
    sample.error ??= `unreadable output: ${(err as Error).message}`;
  }
  if (stdout !== '/dev/null') fs.rmSync(stdout, { force: true });
  return sample;
}

function describe(s: Sample): string {
  const parts = [`${fmtS(s.seconds)} s`, fmtMB(s.rssKb)];
  if (s.blobsDeleted !== undefined) parts.push(`${fmtInt(s.blobsDeleted)} blobs / ${fmtInt(s.manifestsDeleted)} manifests`);
  if (s.blobsLeft !== undefined) parts.push(`${fmtInt(s.blobsLeft)} blobs left`);
  if (s.error !== undefined) parts.push(`ERROR ${s.error}`);
  return parts.join(', ');
}

async function runStrace(ctx: Context, tool: Tool, mode: Mode, root: string): Promise<StraceResult | { error: string }> {
  const id = `${++ctx.seq}-strace-${tool}-${mode}`;
  const out = path.join(ctx.tmp, `${id}.strace`);
  const argv = ['strace', '-I', '2', '-f', '-c', '-o', out, '-e', STRACE_SET, ...command(ctx, tool, mode, root)];
  const o = await execute(argv, { stdout: '/dev/null', stderr: path.join(ctx.tmp, `${id}.err`), timeout: ctx.options.straceTimeout, time: false, interruptFirst: true });
  if (o.spawnError !== undefined) return { error: o.spawnError };
  const calls: Record<string, number> = {};
  const errors: Record<string, number> = {};
  let total = 0;
  for (const line of (fs.existsSync(out) ? fs.readFileSync(out, 'utf8') : '').split('\n')) {
    const m = /^\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(?:(\d+)\s+)?(\w+)\s*$/.exec(line);
    if (!m) continue;
    const name = m[3] ?? '';
    if (name === 'total') total = Number(m[1]);
    else {
      calls[name] = Number(m[1]);
      if (m[2] !== undefined) errors[name] = Number(m[2]);
    }
  }
  if (total === 0) {
    const why = o.timedOut ? `timed out after ${ctx.options.straceTimeout} s` : `exit ${o.exit}`;
    return { error: `no strace summary (${why}): ${tail(path.join(ctx.tmp, `${id}.err`), 400).trim()}` };
  }
  return { calls, errors, total, seconds: o.seconds, exit: o.exit, timedOut: o.timedOut };
}

// The floor -----------------------------------------------------------------------

let floorModule: typeof import('./floor.js') | undefined;

async function runFloor(ctx: Context, root: string): Promise<FloorResult> {
  floorModule ??= await import('./floor.js');
  return floorModule.measureFloor(root, { workers: ctx.options.floorWorkers });
}

// Trees ---------------------------------------------------------------------------

function countBlobs(root: string): number {
  const dir = path.join(root, 'docker', 'registry', 'v2', 'blobs', 'sha256');
  let n = 0;
  for (const prefix of fs.existsSync(dir) ? fs.readdirSync(dir) : []) n += fs.readdirSync(path.join(dir, prefix)).length;
  return n;
}

/** Rough disk need of a preset: its blobs' bytes plus ~5.5 inodes of 4 KiB per blob (measured on standard: 5.1 GB for 3.2 GB of data). */
function estimate(preset: PresetName): { bytes: number; inodes: number } {
  const p = PRESETS[preset];
  const mean = (classes: readonly { weight: number; min: number; max: number }[]): number => {
    const w = classes.reduce((a, c) => a + c.weight, 0);
    return classes.reduce((a, c) => a + (c.weight / w) * (c.max > c.min ? (c.max - c.min) / Math.log(c.max / c.min) : c.min), 0);
  };
  const manifests = p.repositories * p.manifestsPerRepository;
  const blobs = manifests * 5.2 + p.orphanBlobs;
  const layers = manifests * 0.75 * ((p.layersPerImage[0] + p.layersPerImage[1]) / 2);
  const bytes = layers * mean(p.layerSizes) + p.baseLayerPool * mean(p.baseLayerSizes) + blobs * 5.5 * 4096;
  return { bytes, inodes: blobs * 5.5 };
}

function freeSpace(dir: string): { bytes: number; inodes: number } {
  const s = fs.statfsSync(dir);
  return { bytes: s.bavail * s.bsize, inodes: s.ffree };
}

async function ensureTree(ctx: Context, preset: PresetName): Promise<TreeInfo> {
  const root = path.join(ctx.options.trees, preset);
  const summaryFile = path.join(ctx.options.trees, `${preset}.summary.json`);
  const exists = fs.existsSync(path.join(root, 'docker'));
  if (exists && !ctx.options.regenerate) {
    if (!fs.existsSync(summaryFile)) {
      throw new Error(`${root} exists but ${summaryFile} does not (an interrupted generation?): pass --regenerate`);
    }
    return { preset, root, summary: pickSummary(JSON.parse(fs.readFileSync(summaryFile, 'utf8')) as GenerateSummary) };
  }
  fs.mkdirSync(ctx.options.trees, { recursive: true });
  const need = estimate(preset);
  const free = freeSpace(ctx.options.trees);
  log(`generating ${preset} into ${root}: needs ~${(need.bytes / 1e9).toFixed(1)} GB and ~${(need.inodes / 1e6).toFixed(1)} M inodes; free ${(free.bytes / 1e9).toFixed(1)} GB, ${(free.inodes / 1e6).toFixed(1)} M inodes`);
  if (free.bytes < need.bytes * 1.2 + 5e9 || free.inodes < need.inodes * 1.2 + 1e6) {
    throw new Error(`not enough free space in ${ctx.options.trees} to generate ${preset}`);
  }
  fs.rmSync(summaryFile, { force: true });
  const partial = `${summaryFile}.partial`;
  const tsx = path.join(PROJECT, 'node_modules', '.bin', 'tsx');
  const argv = [tsx, path.join(PROJECT, 'benchmarks', 'generate.ts'), '--preset', preset, '--out', root, ...(exists ? ['--replace'] : [])];
  const errFile = path.join(ctx.tmp, `generate-${preset}.err`);
  const progress = setInterval(() => {
    const lines = tail(errFile, 300).trim().split('\n');
    log(`  ${lines[lines.length - 1] ?? ''}`);
  }, 30_000);
  const o = await execute(argv, { stdout: partial, stderr: errFile, timeout: ctx.options.generateTimeout, time: true }).finally(() => clearInterval(progress));
  if (o.exit !== 0) throw new Error(`generating ${preset} failed (${o.timedOut ? 'timed out' : `exit ${o.exit ?? o.signal}`}): ${tail(errFile, 1000)}`);
  fs.renameSync(partial, summaryFile);
  const summary = JSON.parse(fs.readFileSync(summaryFile, 'utf8')) as GenerateSummary;
  log(`generated ${preset}: ${fmtInt(summary.blobs)} blobs, ${(summary.bytesWritten / 1e9).toFixed(2)} GB in ${fmtS(o.seconds)} s (peak RSS ${fmtMB(o.rssKb)})`);
  return { preset, root, summary: pickSummary(summary) };
}

function pickSummary(s: GenerateSummary): TreeSummary {
  const { repositories, deletedRepositories, uploadOnlyRepositories, manifests, tags, blobs, blobBytes, orphans, files, bytesWritten, seconds, expected, seed } = s;
  return { repositories, deletedRepositories, uploadOnlyRepositories, manifests, tags, blobs, blobBytes, orphans, files, bytesWritten, seconds, expected, seed };
}

const COPY_METHODS = {
  hardlink: 'cp -al (hard-link copy: new directories, hard-linked files)',
  full: 'cp -a (full copy of every file)',
} as const;

async function copyTree(ctx: Context, tree: TreeInfo, name: string): Promise<{ dir: string; seconds: number }> {
  const copies = path.join(ctx.options.trees, '.copies');
  fs.mkdirSync(copies, { recursive: true });
  const full = ctx.options.copy === 'full';
  if (!full && fs.statSync(copies).dev !== fs.statSync(tree.root).dev) throw new Error(`${copies} is not on the file system of ${tree.root}: cannot hard-link`);
  const free = freeSpace(copies);
  const inodes = (tree.summary?.files ?? 1e6) * 2.2;
  const bytes = inodes * 4096 + (full ? (tree.summary?.blobBytes ?? 0) * 1.1 : 0);
  if (free.bytes < bytes * 1.2 + 2e9 || free.inodes < inodes * 1.5) throw new Error(`not enough free space or inodes in ${copies} for a copy of ${tree.root}`);
  const dir = path.join(copies, name);
  if (fs.existsSync(dir)) await removeTree(ctx, dir);
  const o = await execute(['cp', full ? '-a' : '-al', tree.root, dir], { stdout: '/dev/null', stderr: path.join(ctx.tmp, `${name}.cp.err`), timeout: ctx.options.timeout, time: false });
  if (o.exit !== 0) throw new Error(`cp ${full ? '-a' : '-al'} ${tree.root} ${dir} failed: ${tail(path.join(ctx.tmp, `${name}.cp.err`))}`);
  // Write the copy back to disk first, so the timed run does not race the copy's writeback
  // (a registry's own files are on disk too).
  const synced = await execute(['sync', '-f', dir], { stdout: '/dev/null', stderr: '/dev/null', timeout: ctx.options.timeout, time: false });
  return { dir, seconds: o.seconds + synced.seconds };
}

async function removeTree(ctx: Context, dir: string): Promise<number> {
  const o = await execute(['rm', '-rf', '--one-file-system', dir], { stdout: '/dev/null', stderr: '/dev/null', timeout: ctx.options.timeout, time: false });
  if (o.exit !== 0) throw new Error(`rm -rf ${dir} failed`);
  return o.seconds;
}

// Build and machine -------------------------------------------------------------------

function git(args: string[]): string {
  const r = spawnSync('git', args, { cwd: PROJECT, encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : '';
}

function hashDist(dist: string): string {
  const hash = createHash('sha256');
  const walk = (dir: string): void => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.js')) hash.update(e.name).update(fs.readFileSync(p));
    }
  };
  walk(dist);
  return hash.digest('hex').slice(0, 12);
}

/** Copies dist/ (and package.json, which --version reads) under node_modules/.cache, so a rebuild during the run changes nothing. */
function snapshotDist(): { cli: string; build: BuildInfo } {
  const dist = path.join(PROJECT, 'dist');
  if (!fs.existsSync(path.join(dist, 'cli.js'))) throw new Error('dist/cli.js is missing: run npm run build');
  for (let attempt = 0; ; attempt++) {
    const before = hashDist(dist);
    const target = path.join(PROJECT, 'node_modules', '.cache', 'registry-gc-bench', before);
    if (!fs.existsSync(path.join(target, 'dist', 'cli.js'))) {
      fs.rmSync(target, { recursive: true, force: true });
      fs.mkdirSync(target, { recursive: true });
      fs.cpSync(dist, path.join(target, 'dist'), { recursive: true });
      fs.copyFileSync(path.join(PROJECT, 'package.json'), path.join(target, 'package.json'));
    }
    if (hashDist(path.join(target, 'dist')) === before) {
      return {
        cli: path.join(target, 'dist', 'cli.js'),
        build: {
          commit: git(['rev-parse', '--short', 'HEAD']),
          srcDirty: git(['status', '--porcelain', '--', 'src']) !== '',
          distHash: before,
          distBuilt: fs.statSync(path.join(dist, 'cli.js')).mtime.toISOString(),
        },
      };
    }
    fs.rmSync(target, { recursive: true, force: true });
    if (attempt >= 5) throw new Error('dist/ kept changing while it was copied');
  }
}

async function machineInfo(tmp: string, referenceAvailable: boolean): Promise<Machine> {
  const startups: number[] = [];
  for (let i = 0; i < 5; i++) {
    const o = await execute([process.execPath, '-e', '0'], { stdout: '/dev/null', stderr: path.join(tmp, 'node-e.err'), timeout: 60, time: false });
    startups.push(o.seconds);
  }
  let reference: string | null = null;
  if (referenceAvailable) {
    const r = spawnSync('docker-registry', ['--version'], { encoding: 'utf8' });
    reference = (r.stdout || r.stderr).trim().split('\n')[0] ?? null;
  }
  return {
    cores: os.cpus().length,
    cpu: os.cpus()[0]?.model ?? 'unknown',
    memoryGB: Math.round(os.totalmem() / 1e9),
    kernel: os.release(),
    node: process.version,
    reference,
    nodeStartup: median(startups),
  };
}

// Checks ---------------------------------------------------------------------------

function expectation(tree: TreeInfo, key: ExpectKey): { deletedBlobs: number; deletedManifests: number; keptBlobs: number } | undefined {
  return tree.summary?.expected[key];
}

function check(result: ModeResult, tree: TreeInfo, tool: Tool, s: Sample): void {
  const key = tool === 'ours' ? MODES[result.mode].expectOurs : MODES[result.mode].expectReference;
  const e = expectation(tree, key);
  if (s.error !== undefined) {
    result.problems.push(`${tool}: ${s.error}`);
    return;
  }
  if (e === undefined || s.blobsDeleted === undefined) return;
  const wrong: string[] = [];
  if (s.blobsDeleted !== e.deletedBlobs) wrong.push(`${fmtInt(s.blobsDeleted)} blobs (expected ${fmtInt(e.deletedBlobs)})`);
  if (s.manifestsDeleted !== e.deletedManifests) wrong.push(`${fmtInt(s.manifestsDeleted)} manifests (expected ${fmtInt(e.deletedManifests)})`);
  if (s.blobsLeft !== undefined && s.blobsLeft !== e.keptBlobs) wrong.push(`${fmtInt(s.blobsLeft)} blobs left (expected ${fmtInt(e.keptBlobs)})`);
  const line =
    wrong.length === 0
      ? `${tool}: ${fmtInt(s.blobsDeleted)} blobs and ${fmtInt(s.manifestsDeleted)} manifests ${MODES[result.mode].deletes ? `deleted, ${fmtInt(s.blobsLeft)} blobs left` : 'to delete'}, as the generator predicts (\`${key}\`)`
      : `${tool}: ${wrong.join(', ')} (\`${key}\`)`;
  if (wrong.length > 0) result.problems.push(line);
  else if (!result.checks.includes(line)) result.checks.push(line);
}

// Benchmarks ---------------------------------------------------------------------------

/** --max-load: waits until the 1-minute load average is low enough, or --max-wait has passed. */
async function waitForQuiet(ctx: Context): Promise<number> {
  const limit = ctx.options.maxLoad;
  if (limit === undefined) return 0;
  const started = Date.now();
  let said = 0;
  while ((os.loadavg()[0] ?? 0) > limit && Date.now() - started < ctx.options.maxWait * 1000) {
    if (Date.now() - said > 60_000) {
      log(`  waiting for the 1-minute load average (${fmtLoad(load())}) to reach ${limit} (at most ${ctx.options.maxWait} s)`);
      said = Date.now();
    }
    await new Promise((resolve) => setTimeout(resolve, 5000));
  }
  return (Date.now() - started) / 1000;
}

async function newModeResult(ctx: Context, mode: Mode): Promise<ModeResult> {
  const waited = await waitForQuiet(ctx);
  return {
    waited,
    mode,
    date: new Date().toISOString(),
    build: ctx.build,
    machine: ctx.machine,
    loadBefore: load(),
    loadAfter: [],
    seconds: 0,
    ours: [],
    reference: [],
    floor: [],
    floorWorkers: ctx.options.floorWorkers,
    warmup: {},
    strace: {},
    checks: [],
    problems: [],
  };
}

function tools(ctx: Context): Tool[] {
  return ctx.referenceAvailable && ctx.options.reference ? ['ours', 'reference'] : ['ours'];
}

async function benchDry(ctx: Context, tree: TreeInfo, mode: Mode): Promise<ModeResult> {
  const r = await newModeResult(ctx, mode);
  const started = Date.now();
  const runs: Record<Tool, number> = { ours: ctx.options.runs, reference: ctx.options.referenceRuns ?? ctx.options.runs };
  const active = tools(ctx).filter((t) => runs[t] > 0);
  log(`${tree.preset} ${mode}: warm-up (load ${fmtLoad(r.loadBefore)})`);
  for (const tool of active) {
    const s = await runTool(ctx, tool, mode, tree.root);
    r.warmup[tool] = s.seconds;
    check(r, tree, tool, s);
    log(`  warm-up ${tool}: ${describe(s)}`);
  }
  if (ctx.options.floor) {
    const f = await runFloor(ctx, tree.root);
    r.warmup.floor = f.seconds;
    log(`  warm-up floor: ${fmtS(f.seconds)} s`);
  }
  const rounds = Math.max(...active.map((t) => runs[t]));
  for (let i = 0; i < rounds; i++) {
    for (const tool of active) {
      if (i >= runs[tool]) continue;
      const s = await runTool(ctx, tool, mode, tree.root, false);
      r[tool].push(s);
      check(r, tree, tool, s);
      log(`  run ${i + 1}/${runs[tool]} ${tool}: ${describe(s)}`);
    }
    if (ctx.options.floor && i < runs.ours) {
      const f = await runFloor(ctx, tree.root);
      r.floor.push(f.seconds);
      r.floorCounts = f.counts;
      log(`  run ${i + 1}/${runs.ours} floor: ${fmtS(f.seconds)} s`);
    }
  }
  for (const tool of active) {
    if (ctx.options.strace === 'none' || (ctx.options.strace === 'ours' && tool !== 'ours')) continue;
    log(`  strace ${tool} …`);
    r.strace[tool] = await runStrace(ctx, tool, mode, tree.root);
    log(`  strace ${tool}: ${straceLine(r.strace[tool])}`);
  }
  r.loadAfter = load();
  r.seconds = (Date.now() - started) / 1000;
  return r;
}

async function benchDelete(ctx: Context, tree: TreeInfo, mode: Mode): Promise<ModeResult> {
  const r = await newModeResult(ctx, mode);
  const started = Date.now();
  r.copy = { method: COPY_METHODS[ctx.options.copy], copySeconds: [], removeSeconds: [] };
  const active = tools(ctx);
  log(`${tree.preset} ${mode}: warm-up with ${MODES[mode].warmup} on the original tree (load ${fmtLoad(r.loadBefore)})`);
  for (const tool of active) {
    const s = await runTool(ctx, tool, MODES[mode].warmup, tree.root);
    r.warmup[tool] = s.seconds;
    log(`  warm-up ${tool} (${MODES[mode].warmup}): ${describe(s)}`);
  }
  const onCopy = async (name: string, work: (dir: string) => Promise<void>): Promise<void> => {
    const copy = await copyTree(ctx, tree, name);
    r.copy?.copySeconds.push(copy.seconds);
    log(`  copied the tree (${ctx.options.copy === 'full' ? 'cp -a' : 'cp -al'}) in ${fmtS(copy.seconds)} s`);
    try {
      await work(copy.dir);
    } finally {
      const removed = await removeTree(ctx, copy.dir);
      r.copy?.removeSeconds.push(removed);
      log(`  removed the copy in ${fmtS(removed)} s`);
    }
  };
  for (let i = 0; i < ctx.options.deleteRuns; i++) {
    for (const tool of active) {
      await onCopy(`${tree.preset}-${tool}-${i}`, async (dir) => {
        const s = await runTool(ctx, tool, mode, dir);
        s.blobsLeft = countBlobs(dir);
        r[tool].push(s);
        check(r, tree, tool, s);
        log(`  run ${i + 1}/${ctx.options.deleteRuns} ${tool}: ${describe(s)}`);
      });
    }
  }
  for (const tool of active) {
    if (ctx.options.strace === 'none' || (ctx.options.strace === 'ours' && tool !== 'ours')) continue;
    await onCopy(`${tree.preset}-${tool}-strace`, async (dir) => {
      log(`  strace ${tool} …`);
      r.strace[tool] = await runStrace(ctx, tool, mode, dir);
      log(`  strace ${tool}: ${straceLine(r.strace[tool])}`);
    });
  }
  r.loadAfter = load();
  r.seconds = (Date.now() - started) / 1000;
  return r;
}

function straceLine(s: StraceResult | { error: string } | undefined): string {
  if (s === undefined) return '—';
  if ('error' in s) return s.error;
  const c = s.calls;
  return `${s.timedOut ? 'PARTIAL (timed out) ' : ''}getdents64 ${fmtInt(c['getdents64'] ?? 0)}, openat ${fmtInt(c['openat'] ?? 0)}, stat ${fmtInt((c['statx'] ?? 0) + (c['newfstatat'] ?? 0))}, unlink ${fmtInt(unlinks(c))}, read ${fmtInt(c['read'] ?? 0)}, all ${fmtInt(s.total)} (${fmtS(s.seconds)} s under strace)`;
}

const unlinks = (c: Record<string, number>): number => (c['unlinkat'] ?? 0) + (c['unlink'] ?? 0) + (c['rmdir'] ?? 0);

async function benchScaling(ctx: Context, half: TreeInfo, full: TreeInfo, mode: Mode): Promise<ScalingMode> {
  const waited = await waitForQuiet(ctx);
  const started = Date.now();
  const r: ScalingMode = {
    waited,
    mode,
    date: new Date().toISOString(),
    build: ctx.build,
    machine: ctx.machine,
    loadBefore: load(),
    loadAfter: [],
    seconds: 0,
    half: { ours: [], reference: [], floor: [] },
    full: { ours: [], reference: [], floor: [] },
    problems: [],
  };
  const runs: Record<Tool, number> = { ours: ctx.options.runs, reference: ctx.options.referenceRuns ?? ctx.options.runs };
  const active = tools(ctx).filter((t) => runs[t] > 0);
  const sides = [
    ['half', half],
    ['full', full],
  ] as const;
  log(`scaling ${mode}: warm-up (load ${fmtLoad(r.loadBefore)})`);
  for (const tool of active) {
    for (const [, tree] of sides) {
      const s = await runTool(ctx, tool, mode, tree.root);
      if (s.error !== undefined) r.problems.push(`${tool} on ${tree.preset} (warm-up): ${s.error}`);
      log(`  warm-up ${tool} ${tree.preset}: ${describe(s)}`);
    }
  }
  if (ctx.options.floor) for (const [, tree] of sides) await runFloor(ctx, tree.root);
  const rounds = Math.max(...active.map((t) => runs[t]));
  for (let i = 0; i < rounds; i++) {
    for (const tool of active) {
      if (i >= runs[tool]) continue;
      for (const [side, tree] of sides) {
        const s = await runTool(ctx, tool, mode, tree.root, false);
        r[side][tool].push(s);
        if (s.error !== undefined) r.problems.push(`${tool} on ${tree.preset}: ${s.error}`);
        log(`  run ${i + 1}/${runs[tool]} ${tool} ${tree.preset}: ${describe(s)}`);
      }
    }
    if (ctx.options.floor && i < runs.ours) {
      for (const [side, tree] of sides) {
        const f = await runFloor(ctx, tree.root);
        r[side].floor.push(f.seconds);
        log(`  run ${i + 1}/${runs.ours} floor ${tree.preset}: ${fmtS(f.seconds)} s`);
      }
    }
  }
  r.loadAfter = load();
  r.seconds = (Date.now() - started) / 1000;
  return r;
}

// Storage ------------------------------------------------------------------------------

function recordFile(name: string): string {
  return path.join(RESULTS_DIR, `${name}.json`);
}

function loadRecord<T extends AnyRecord>(name: string): T | undefined {
  const file = recordFile(name);
  return fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as T) : undefined;
}

function saveRecord(name: string, record: AnyRecord): void {
  fs.mkdirSync(RESULTS_DIR, { recursive: true });
  const file = recordFile(name);
  fs.writeFileSync(`${file}.tmp`, `${JSON.stringify(record, null, 1)}\n`);
  fs.renameSync(`${file}.tmp`, file);
}

function loadAll(): AnyRecord[] {
  if (!fs.existsSync(RESULTS_DIR)) return [];
  return fs
    .readdirSync(RESULTS_DIR)
    .filter((f) => f.endsWith('.json'))
    .map((f) => JSON.parse(fs.readFileSync(path.join(RESULTS_DIR, f), 'utf8')) as AnyRecord);
}

// Rendering ----------------------------------------------------------------------------

const PRESET_ORDER = ['small', 'standard-half', 'standard', 'tags', 'large'];
const presetRank = (p: string): number => {
  const i = PRESET_ORDER.indexOf(p);
  return i < 0 ? PRESET_ORDER.length : i;
};

interface Row {
  ours: number;
  reference: number;
  ratio: number;
  floor: number;
  oursFloor: number;
  rssKb: number | null;
  referenceRssKb: number | null;
}

function ok(samples: readonly Sample[]): Sample[] {
  return samples.filter((s) => s.error === undefined);
}

function maxRss(samples: readonly Sample[]): number | null {
  const xs = samples.map((s) => s.rssKb).filter((x): x is number => x !== null);
  return xs.length === 0 ? null : Math.max(...xs);
}

function row(m: ModeResult): Row {
  const ours = median(ok(m.ours).map((s) => s.seconds));
  const reference = median(ok(m.reference).map((s) => s.seconds));
  const floor = median(m.floor);
  return { ours, reference, ratio: reference / ours, floor, oursFloor: ours / floor, rssKb: maxRss(m.ours), referenceRssKb: maxRss(m.reference) };
}

interface Target {
  tree: string;
  mode: Mode | 'scaling';
  label: string;
  target: string;
  met: (r: Row) => boolean;
}

const TARGETS: Target[] = [
  { tree: 'standard', mode: 'dry', label: 'dry run', target: '≥ 20× faster, or ≤ 1.25× the floor', met: (r) => r.ratio >= 20 || r.oursFloor <= 1.25 },
  { tree: 'standard', mode: 'dry-m', label: '`-m` dry run', target: '≥ 20× faster, or ≤ 1.25× the floor', met: (r) => r.ratio >= 20 || r.oursFloor <= 1.25 },
  { tree: 'standard', mode: 'delete-m', label: 'delete `-m` (on `cp -al` copies)', target: '≥ 15× faster', met: (r) => r.ratio >= 15 },
  { tree: 'tags', mode: 'dry-m', label: '`-m` dry run', target: '≥ 100× faster', met: (r) => r.ratio >= 100 },
  { tree: 'any', mode: 'scaling', label: 'scaling', target: 'time for 2N blobs ≤ 2.2 × time for N', met: () => false },
  { tree: 'large', mode: 'dry', label: 'dry run', target: 'peak RSS ≤ 300 MB', met: (r) => r.rssKb !== null && r.rssKb * 1024 <= 300e6 },
];

const modeLabel = (m: ModeResult): string => (m.copy?.method === COPY_METHODS.full ? MODES[m.mode].label.replace('`cp -al`', 'full `cp -a`') : MODES[m.mode].label);

const yes = (b: boolean): string => (b ? '**yes**' : '**no**');

function summaryLine(t: TreeInfo): string {
  const s = t.summary;
  if (s === null) return `${t.root} (no generator summary)`;
  return `${fmtInt(s.repositories)} repositories (+${s.deletedRepositories + s.uploadOnlyRepositories} emptied or upload-only), ${fmtInt(s.manifests)} manifests, ${fmtInt(s.tags)} tags, ${fmtInt(s.blobs)} blobs, ${(s.blobBytes / 1e9).toFixed(2)} GB of blobs (${fmtInt(s.files)} files)`;
}

function render(records: readonly AnyRecord[]): string {
  const presets = records.filter((r): r is PresetRecord => r.kind === 'preset').sort((a, b) => presetRank(a.preset) - presetRank(b.preset));
  const scaling = records.find((r): r is ScalingRecord => r.kind === 'scaling');
  const all = [...presets.flatMap((p) => Object.values(p.modes)), ...(scaling ? Object.values(scaling.modes) : [])].filter(
    (m): m is ModeResult | ScalingMode => m !== undefined,
  );
  const latest = all.reduce<ModeResult | ScalingMode | undefined>((a, b) => (a === undefined || b.date > a.date ? b : a), undefined);
  const out: string[] = [];
  out.push('# Benchmark results', '');
  out.push('Written by `npm run bench` ([`run.ts`](run.ts)) from the measurements in [`results/`](results/); do not edit by hand (observations go to `results/notes.md`). How to reproduce: [README](README.md#run-the-benchmark).', '');
  if (latest !== undefined) {
    const m = latest.machine;
    out.push(
      `Machine: **${m.cores} cores** (${m.cpu}), ${m.memoryGB} GB RAM, Linux ${m.kernel}; Node **${m.node}** (process start-up alone, \`node -e 0\`: ${fmtS(m.nodeStartup)} s); reference: ${m.reference ?? 'not installed'}.`,
      '',
    );
    const builds = new Map<string, Set<string>>();
    for (const x of all) {
      const key = `dist ${x.build.distHash} (built ${x.build.distBuilt.slice(0, 16).replace('T', ' ')} UTC)`;
      builds.set(key, (builds.get(key) ?? new Set()).add(`${x.build.commit}${x.build.srcDirty ? '+dirty' : ''}`));
    }
    out.push(
      `registry-gc measured (a snapshot of \`dist/\` per invocation; src/ was being changed during these runs, so rows may come from different builds: each row names its own): ${[...builds].map(([k, heads]) => `${k}, HEAD at the time ${[...heads].join(' / ')}`).join('; ')}. Dates: ${[...new Set(all.map((x) => x.date.slice(0, 10)))].join(', ')}.`,
      '',
    );
  }

  // Targets.
  out.push('## Targets of issue 6', '');
  out.push('| tree | mode | ours | reference | ratio | floor | ours/floor | peak RSS (ours) | target | met? |', '|---|---|---|---|---|---|---|---|---|---|');
  for (const t of TARGETS) {
    if (t.mode === 'scaling') {
      const m = scaling?.modes.dry;
      if (m === undefined) {
        out.push(`| any | scaling | not run | | | | | | ${t.target} | — |`);
        continue;
      }
      const h = median(ok(m.half.ours).map((s) => s.seconds));
      const f = median(ok(m.full.ours).map((s) => s.seconds));
      const blobs = (scaling?.full.summary?.blobs ?? Number.NaN) / (scaling?.half.summary?.blobs ?? Number.NaN);
      const hr = median(ok(m.half.reference).map((s) => s.seconds));
      const fr = median(ok(m.full.reference).map((s) => s.seconds));
      const hf = median(m.half.floor);
      const ff = median(m.full.floor);
      out.push(
        `| ${scaling?.half.preset} → ${scaling?.full.preset} (${fmtRatio(blobs)} blobs) | dry run | ${fmtS(h)} → ${fmtS(f)} s: **${fmtRatio(f / h)}** | ${fmtS(hr)} → ${fmtS(fr)} s: ${fmtRatio(fr / hr)} | | ${fmtS(hf)} → ${fmtS(ff)} s: ${fmtRatio(ff / hf)} | | ${fmtMB(maxRss(m.half.ours))} → ${fmtMB(maxRss(m.full.ours))} | ${t.target} | ${yes(f / h <= 2.2)} |`,
      );
      continue;
    }
    const m = presets.find((p) => p.preset === t.tree)?.modes[t.mode];
    if (m === undefined) {
      out.push(`| ${t.tree} | ${t.label} | not run | | | | | | ${t.target} | — |`);
      continue;
    }
    const r = row(m);
    out.push(
      `| ${t.tree} | ${t.label} | ${sec(r.ours)} | ${sec(r.reference)} | ${fmtRatio(r.ratio)} | ${sec(r.floor)} | ${fmtRatio(r.oursFloor)} | ${fmtMB(r.rssKb)} | ${t.target} | ${yes(t.met(r))} |`,
    );
    const fullCopy = presets.find((p) => p.preset === t.tree)?.modes[`${t.mode}:full-copy`];
    if (fullCopy !== undefined) {
      const rf = row(fullCopy);
      out.push(
        `| ${t.tree} | ${t.label.replace('`cp -al`', 'full `cp -a`')} | ${sec(rf.ours)} | ${sec(rf.reference)} | ${fmtRatio(rf.ratio)} | | | ${fmtMB(rf.rssKb)} | ${t.target} | ${yes(t.met(rf))} |`,
      );
    }
  }
  out.push(
    '',
    'Times are medians of wall time around the child process (start-up included), warm page cache; ratio = reference / ours; the floor is `measureFloor` (benchmarks/floor.ts, main thread + worker threads as listed below) in the runner process, so it has no process start-up; peak RSS is the largest of the timed runs (GNU time `%M`; MB = 10⁶ bytes).',
    '',
  );

  // Trees.
  out.push('## Trees', '', '| preset | repositories | manifests | tags | blobs | blob bytes | files | generated in |', '|---|---|---|---|---|---|---|---|');
  const trees = [...presets.map((p) => p.tree), ...(scaling ? [scaling.half, scaling.full] : [])];
  const seen = new Set<string>();
  for (const t of trees.sort((a, b) => presetRank(a.preset) - presetRank(b.preset))) {
    if (seen.has(t.preset)) continue;
    seen.add(t.preset);
    const s = t.summary;
    out.push(
      s === null
        ? `| ${t.preset} | | | | | | | |`
        : `| ${t.preset} | ${fmtInt(s.repositories)} (+${s.deletedRepositories + s.uploadOnlyRepositories}) | ${fmtInt(s.manifests)} | ${fmtInt(s.tags)} | ${fmtInt(s.blobs)} | ${(s.blobBytes / 1e9).toFixed(2)} GB | ${fmtInt(s.files)} | ${fmtS(s.seconds)} s |`,
    );
  }
  out.push('');

  // Per preset.
  for (const p of presets) {
    out.push(`## ${p.preset}`, '', summaryLine(p.tree), '');
    const modes = MODE_ORDER.flatMap((m) => [p.modes[m], p.modes[`${m}:full-copy`]]).filter((m): m is ModeResult => m !== undefined);
    out.push(
      '| mode | ours: median (runs) | reference: median (runs) | ratio | floor: median (runs) | ours/floor | peak RSS ours / reference | load avg 1/5/15 before → after | measured (UTC), took, build |',
      '|---|---|---|---|---|---|---|---|---|',
    );
    for (const m of modes) {
      const r = row(m);
      const list = (xs: number[]): string => (xs.length > 1 ? ` (${xs.map(fmtS).join(', ')})` : '');
      const ourTimes = m.ours.map((s) => s.seconds);
      const refTimes = m.reference.map((s) => s.seconds);
      out.push(
        `| ${modeLabel(m)} | ${sec(r.ours)}${list(ourTimes)} | ${m.reference.length > 0 ? `${sec(r.reference)}${list(refTimes)}` : 'not run'} | ${fmtRatio(r.ratio)} | ${m.floor.length > 0 ? `${sec(r.floor)}${list(m.floor)}` : '—'} | ${fmtRatio(r.oursFloor)} | ${fmtMB(r.rssKb)} / ${fmtMB(r.referenceRssKb)} | ${fmtLoad(m.loadBefore)} → ${fmtLoad(m.loadAfter)}${(m.waited ?? 0) >= 1 ? ` (after waiting ${fmtS(m.waited ?? 0)} s for a lower load)` : ''} | ${m.date.slice(0, 16).replace('T', ' ')}, ${fmtS(m.seconds)} s, dist ${m.build.distHash} |`,
      );
    }
    out.push('');
    const warm = modes.filter((m) => m.warmup.ours !== undefined).map((m) => `${modeLabel(m)}${m.copy !== undefined ? ` (a ${MODES[MODES[m.mode].warmup].label} on the original)` : ''}: ours ${sec(m.warmup.ours ?? Number.NaN)}, reference ${sec(m.warmup.reference ?? Number.NaN)}${m.warmup.floor !== undefined ? `, floor ${fmtS(m.warmup.floor)} s` : ''}`);
    if (warm.length > 0) out.push(`Warm-up runs (not counted): ${warm.join('; ')}.`, '');
    const floorModes = modes.filter((m) => m.floor.length > 0);
    if (floorModes.length > 0) {
      const f = floorModes[0];
      const c = f?.floorCounts;
      out.push(
        `Floor: main thread + ${f?.floorWorkers} worker thread(s)${c ? `; it listed ${fmtInt(c.blobs)} blob folders and ${fmtInt(c.repositories)} repositories, read ${fmtInt(c.revisions)} manifests (${(c.manifestBytes / 1e6).toFixed(1)} MB) and ${fmtInt(c.tagLinks)} tag links` : ''}. ours/(floor + node start-up ${fmtS(f?.machine.nodeStartup ?? Number.NaN)} s): ${floorModes.map((m) => `${m.mode} ${fmtRatio(row(m).ours / (row(m).floor + m.machine.nodeStartup))}`).join(', ')}.`,
        '',
      );
    }
    const copies = modes.filter((m) => m.copy !== undefined);
    for (const m of copies) {
      out.push(
        `${modeLabel(m)}: each run on a fresh copy made with \`${m.copy?.method}\` (copy and \`sync\` ${m.copy?.copySeconds.map(fmtS).join(', ')} s; removal ${m.copy?.removeSeconds.map(fmtS).join(', ')} s, neither timed); the warm-up was a ${MODES[MODES[m.mode].warmup].label} of each tool on the original tree.`,
        '',
      );
    }

    // System calls.
    const straced = modes.filter((m) => Object.keys(m.strace).length > 0);
    if (straced.length > 0) {
      out.push(
        '**File-system calls per run** (one extra run of each tool under `strace -f -c -e ' + STRACE_SET + '`; "failed" counts calls that returned an error, e.g. ENOENT or EISDIR):',
        '',
        '| mode | tool | getdents64 | openat | statx + newfstatat | unlinkat + unlink + rmdir | read | all traced | wall under strace |',
        '|---|---|---|---|---|---|---|---|---|',
      );
      for (const m of straced) {
        for (const tool of ['ours', 'reference'] as const) {
          const s = m.strace[tool];
          if (s === undefined) continue;
          if ('error' in s) {
            out.push(`| ${modeLabel(m)} | ${tool} | ${s.error} | | | | | | |`);
            continue;
          }
          const cell = (...names: string[]): string => {
            const calls = names.reduce((a, n) => a + (s.calls[n] ?? 0), 0);
            const failed = names.reduce((a, n) => a + (s.errors[n] ?? 0), 0);
            return `${fmtInt(calls)}${failed > 0 ? ` (${fmtInt(failed)} failed)` : ''}`;
          };
          const failedTotal = Object.values(s.errors).reduce((a, b) => a + b, 0);
          out.push(
            `| ${modeLabel(m)} | ${tool}${m.straceFrom?.[tool] ? ` (counted ${m.straceFrom[tool]?.date.slice(0, 16).replace('T', ' ')}, dist ${m.straceFrom[tool]?.distHash})` : ''}${s.timedOut ? ` (**partial**: strace stopped after ${fmtS(s.seconds)} s, the run unfinished)` : ''} | ${cell('getdents64')} | ${cell('openat')} | ${cell('statx', 'newfstatat')} | ${cell('unlinkat', 'unlink', 'rmdir')} | ${cell('read')} | ${fmtInt(s.total)}${failedTotal > 0 ? ` (${fmtInt(failedTotal)} failed)` : ''} | ${fmtS(s.seconds)} s |`,
          );
        }
      }
      out.push('');
    }

    // Phases.
    const phased = modes.filter((m) => ok(m.ours).some((s) => s.durations !== undefined));
    if (phased.length > 0) {
      const phases: string[] = [];
      for (const m of phased) for (const s of ok(m.ours)) for (const k of Object.keys(s.durations ?? {})) if (!phases.includes(k)) phases.push(k);
      const med = (m: ModeResult, k: string): number => median(ok(m.ours).map((s) => s.durations?.[k]).filter((x): x is number => x !== undefined));
      out.push(
        "**registry-gc's phases** (its `--json` `durations`, median of the timed runs, ms; `blobs` runs on the main thread inside `scan` while worker threads scan the repositories, so it is not added to the sum):",
        '',
        `| phase | ${phased.map((m) => modeLabel(m)).join(' | ')} |`,
        `|---|${phased.map(() => '---:').join('|')}|`,
      );
      for (const k of phases) out.push(`| ${k === 'blobs' ? '↳ blobs (in scan)' : k} | ${phased.map((m) => (Number.isFinite(med(m, k)) ? med(m, k).toFixed(1) : '—')).join(' | ')} |`);
      const sum = (m: ModeResult): number => phases.filter((k) => k !== 'blobs').reduce((a, k) => a + (Number.isFinite(med(m, k)) ? med(m, k) : 0), 0);
      out.push(`| **sum of phases** | ${phased.map((m) => sum(m).toFixed(0)).join(' | ')} |`);
      out.push(`| **wall (median)** | ${phased.map((m) => (row(m).ours * 1000).toFixed(0)).join(' | ')} |`);
      out.push(`| outside phases (start-up, loading modules, report output) | ${phased.map((m) => (row(m).ours * 1000 - sum(m)).toFixed(0)).join(' | ')} |`, '');
    }

    const checks = modes.flatMap((m) => m.checks.map((c) => `${modeLabel(m)}: ${c}`));
    const problems = modes.flatMap((m) => m.problems.map((c) => `${modeLabel(m)}: ${c}`));
    if (checks.length > 0) out.push('Checked against the generator’s expectations:', '', ...checks.map((c) => `- ${c}`), '');
    if (problems.length > 0) out.push('**Problems:**', '', ...problems.map((c) => `- ${c}`), '');
  }

  // Scaling.
  if (scaling !== undefined) {
    out.push('## Scaling', '', `- N: ${scaling.half.preset}: ${summaryLine(scaling.half)}`, `- 2N: ${scaling.full.preset}: ${summaryLine(scaling.full)}`, '');
    out.push('| mode | tool | N: median (runs) | 2N: median (runs) | 2N / N | peak RSS N → 2N | load before → after | measured (UTC), build |', '|---|---|---|---|---|---|---|---|');
    for (const mode of MODE_ORDER) {
      const m = scaling.modes[mode];
      if (m === undefined) continue;
      const line = (name: string, h: number[], f: number[], rss: string): string =>
        `| ${MODES[mode].label} | ${name} | ${fmtS(median(h))} s (${h.map(fmtS).join(', ')}) | ${fmtS(median(f))} s (${f.map(fmtS).join(', ')}) | ${fmtRatio(median(f) / median(h))} | ${rss} | ${fmtLoad(m.loadBefore)} → ${fmtLoad(m.loadAfter)} | ${m.date.slice(0, 16).replace('T', ' ')}, dist ${m.build.distHash} |`;
      out.push(line('ours', ok(m.half.ours).map((s) => s.seconds), ok(m.full.ours).map((s) => s.seconds), `${fmtMB(maxRss(m.half.ours))} → ${fmtMB(maxRss(m.full.ours))}`));
      if (m.half.reference.length > 0) out.push(line('reference', ok(m.half.reference).map((s) => s.seconds), ok(m.full.reference).map((s) => s.seconds), `${fmtMB(maxRss(m.half.reference))} → ${fmtMB(maxRss(m.full.reference))}`));
      if (m.half.floor.length > 0) out.push(line('floor', m.half.floor, m.full.floor, ''));
      for (const p of m.problems) out.push(`| | **problem** | ${p} | | | | | |`);
    }
    out.push('');
  }

  if (fs.existsSync(NOTES_MD)) {
    const notes = fs.readFileSync(NOTES_MD, 'utf8').trim();
    out.push(...(notes.startsWith('#') ? [] : ['## Observations', '']), notes, '');
  }
  return `${out.join('\n')}\n`;
}

function writeResults(): void {
  fs.writeFileSync(RESULTS_MD, render(loadAll()));
  log(`wrote ${path.relative(PROJECT, RESULTS_MD)}`);
}

// Main ---------------------------------------------------------------------------------

export async function main(argv: readonly string[]): Promise<number> {
  let options: Options;
  try {
    options = parseOptions(argv);
  } catch (err) {
    if (err instanceof UsageError) {
      if (err.message !== '') process.stderr.write(`${err.message}\n`);
      process.stderr.write(`${USAGE}\n`);
      return err.message === '' ? 0 : 2;
    }
    throw err;
  }
  if (options.render) {
    writeResults();
    return 0;
  }
  if (!fs.existsSync(TIME)) throw new Error(`${TIME} is missing (apt-get install -y time): peak RSS comes from it`);
  if (options.strace !== 'none' && which('strace') === null) {
    log('strace is not installed: no system-call counts (apt-get install -y strace)');
    options.strace = 'none';
  }
  const referenceAvailable = which('docker-registry') !== null;
  if (!referenceAvailable) log('docker-registry is not installed: registry-gc and the floor only');
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'registry-gc-bench-'));
  try {
    const { cli, build } = snapshotDist();
    log(`registry-gc: ${path.relative(PROJECT, cli)} (commit ${build.commit}${build.srcDirty ? ' + uncommitted src/' : ''}, dist built ${build.distBuilt})`);
    const machine = await machineInfo(tmp, referenceAvailable);
    log(`machine: ${machine.cores} cores, node ${machine.node} (start-up ${fmtS(machine.nodeStartup)} s), reference ${machine.reference ?? 'none'}, load ${fmtLoad(load())}`);
    const ctx: Context = { options, tmp, cli, build, machine, referenceAvailable, configs: new Map(), seq: 0 };
    const copies = path.join(options.trees, '.copies');
    if (fs.existsSync(copies) && fs.readdirSync(copies).length > 0) {
      log(`removing leftover copies in ${copies}`);
      await removeTree(ctx, copies);
    }

    if (options.scaling) {
      const half = await ensureTree(ctx, 'standard-half');
      const full = await ensureTree(ctx, 'standard');
      const record: ScalingRecord = loadRecord<ScalingRecord>('scaling') ?? { kind: 'scaling', half, full, modes: {} };
      record.half = half;
      record.full = full;
      for (const mode of options.modes ?? (['dry', 'dry-m'] as Mode[])) {
        if (MODES[mode].deletes) {
          log(`scaling: skipping ${mode} (delete modes are not part of the scaling row)`);
          continue;
        }
        const m = await benchScaling(ctx, half, full, mode);
        record.modes[mode] = m;
        saveRecord('scaling', record);
        writeResults();
        const h = median(ok(m.half.ours).map((s) => s.seconds));
        const f = median(ok(m.full.ours).map((s) => s.seconds));
        log(`scaling ${mode}: ours ${fmtS(h)} s → ${fmtS(f)} s = ${fmtRatio(f / h)} (target ≤ 2.2×)`);
      }
    }
    if (options.preset !== undefined && isPresetName(options.preset)) {
      const tree = await ensureTree(ctx, options.preset);
      log(`${tree.preset}: ${summaryLine(tree)}`);
      const previous = loadRecord<PresetRecord>(tree.preset);
      const record: PresetRecord = { kind: 'preset', preset: tree.preset, tree, modes: previous?.modes ?? {} };
      for (const mode of options.modes ?? (['dry', 'dry-m', 'delete-m'] as Mode[])) {
        const m = MODES[mode].deletes ? await benchDelete(ctx, tree, mode) : await benchDry(ctx, tree, mode);
        const key = MODES[mode].deletes && options.copy === 'full' ? `${mode}:full-copy` : mode;
        const before = record.modes[key];
        for (const tool of ['ours', 'reference'] as const) {
          // A run without strace keeps the counts of the last run that had them (they do not depend on the load).
          const old = before?.strace[tool];
          if (m.strace[tool] === undefined && old !== undefined && before !== undefined) {
            m.strace[tool] = old;
            m.straceFrom = { ...m.straceFrom, [tool]: before.straceFrom?.[tool] ?? { date: before.date, distHash: before.build.distHash } };
          }
        }
        record.modes[key] = m;
        saveRecord(tree.preset, record);
        writeResults();
        const r = row(m);
        log(`${tree.preset} ${mode}: ours ${fmtS(r.ours)} s, reference ${fmtS(r.reference)} s, ratio ${fmtRatio(r.ratio)}, floor ${fmtS(r.floor)} s, ours/floor ${fmtRatio(r.oursFloor)}, peak RSS ${fmtMB(r.rssKb)}${m.problems.length > 0 ? `; ${m.problems.length} problem(s)` : ''}`);
      }
    }
    log(`done in ${fmtS((Date.now() - runStarted) / 1000)} s`);
    return 0;
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

runIfEntryPoint(import.meta.url, main, 'bench: ');
