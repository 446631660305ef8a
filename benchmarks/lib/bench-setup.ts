/**
 * What a benchmark runs on: the trees (generated when absent), their copies
 * for delete modes, the build of registry-gc and the machine.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { GenerateSummary } from '../generate.js';
import { PRESETS, type PresetName } from '../presets.js';
import { BuildInfo, Machine, PROJECT, TreeInfo, TreeSummary } from './bench-model.js';
import { fmtInt, fmtMB, fmtS, log, median } from './bench-log.js';
import { execute, tail } from './child-process.js';
import { Context } from './bench-tools.js';

// Trees ---------------------------------------------------------------------------

export function countBlobs(root: string): number {
  const dir = path.join(root, 'docker', 'registry', 'v2', 'blobs', 'sha256');
  let n = 0;
  for (const prefix of fs.existsSync(dir) ? fs.readdirSync(dir) : []) n += fs.readdirSync(path.join(dir, prefix)).length;
  return n;
}

/** Rough disk need of a preset: its blobs' bytes plus ~5.5 inodes of 4 KiB per blob (measured on standard: 5.1 GB for 3.2 GB of data). */
export function estimate(preset: PresetName): { bytes: number; inodes: number } {
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

export function freeSpace(dir: string): { bytes: number; inodes: number } {
  const s = fs.statfsSync(dir);
  return { bytes: s.bavail * s.bsize, inodes: s.ffree };
}

export async function ensureTree(ctx: Context, preset: PresetName): Promise<TreeInfo> {
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

export function pickSummary(s: GenerateSummary): TreeSummary {
  const { repositories, deletedRepositories, uploadOnlyRepositories, manifests, tags, blobs, blobBytes, orphans, files, bytesWritten, seconds, expected, seed } = s;
  return { repositories, deletedRepositories, uploadOnlyRepositories, manifests, tags, blobs, blobBytes, orphans, files, bytesWritten, seconds, expected, seed };
}

export const COPY_METHODS = {
  hardlink: 'cp -al (hard-link copy: new directories, hard-linked files)',
  full: 'cp -a (full copy of every file)',
} as const;

export async function copyTree(ctx: Context, tree: TreeInfo, name: string): Promise<{ dir: string; seconds: number }> {
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

export async function removeTree(ctx: Context, dir: string): Promise<number> {
  const o = await execute(['rm', '-rf', '--one-file-system', dir], { stdout: '/dev/null', stderr: '/dev/null', timeout: ctx.options.timeout, time: false });
  if (o.exit !== 0) throw new Error(`rm -rf ${dir} failed`);
  return o.seconds;
}

// Build and machine -------------------------------------------------------------------

export function git(args: string[]): string {
  const r = spawnSync('git', args, { cwd: PROJECT, encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : '';
}

export function hashDist(dist: string): string {
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
export function snapshotDist(): { cli: string; build: BuildInfo } {
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

export async function machineInfo(tmp: string, referenceAvailable: boolean): Promise<Machine> {
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
