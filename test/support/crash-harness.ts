/**
 * Helpers of the crash tests: scratch trees (on tmpfs when there is one: the
 * harness copies and deletes thousands of files per kill point), the CLI as
 * a child process killed after a delay, and the checks made after each kill.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { snapshot } from '../../harness/tree.js';
import type { ServedImage } from './generated-registry.js';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const cli = path.join(repoRoot, 'dist', 'cli.js');

/** `CRASH_TMPDIR`, else /dev/shm when writable, else the system's temp folder. */
function scratchBase(): string {
  const configured = process.env['CRASH_TMPDIR'];
  if (configured) return configured;
  try {
    fs.accessSync('/dev/shm', fs.constants.W_OK);
    return '/dev/shm';
  } catch {
    return os.tmpdir();
  }
}

export function scratchDir(prefix = 'registry-gc-crash-'): string {
  return fs.mkdtempSync(path.join(scratchBase(), prefix));
}

/** A copy of `from` in a new scratch folder (cp -a: several times faster than fs.cpSync). */
export function copyScratch(from: string): string {
  const to = scratchDir();
  const result = spawnSync('cp', ['-a', `${from}/.`, to]);
  if (result.status !== 0) fs.cpSync(from, to, { recursive: true, verbatimSymlinks: true });
  return to;
}

export function removeScratch(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
}

/** The environment without REGISTRY_* variables, so the developer's own shell cannot change a run. */
function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('REGISTRY_')));
}

export interface CliRun {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly ms: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the CLI on `root`; with `killAfterMs`, sends SIGKILL that long after the spawn. */
export function runCli(args: readonly string[], root: string, killAfterMs?: number): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const child = spawn(process.execPath, [cli, ...args, root], { env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = killAfterMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    const guard = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      clearTimeout(guard);
      resolve({ code, signal, ms: performance.now() - start, stdout, stderr });
    });
  });
}

/** Every directory below `dir`, relative: `snapshot` lists files only, so an emptied folder left behind shows here. */
export function directories(dir: string): Set<string> {
  const found = new Set<string>();
  const walk = (current: string): void => {
    for (const entry of fs.readdirSync(current, { withFileTypes: true })) {
      if (!entry.isDirectory()) continue;
      const full = path.join(current, entry.name);
      found.add(path.relative(dir, full));
      walk(full);
    }
  };
  walk(dir);
  return found;
}

/** Images of `served` with a missing or wrong file on the tree at `root`, with those files. */
export function lostImages(root: string, served: readonly ServedImage[]): Array<{ ref: string; missing: string[] }> {
  return served.map((image) => ({ ref: image.ref, missing: missingFiles(root, image) })).filter((lost) => lost.missing.length > 0);
}

/** Paths that differ between two snapshots (added, removed or resized), sorted. */
export function changedPaths(before: ReadonlyMap<string, number>, after: ReadonlyMap<string, number>): string[] {
  const changed = new Set<string>();
  for (const [file, size] of before) if (after.get(file) !== size) changed.add(file);
  for (const file of after.keys()) if (!before.has(file)) changed.add(file);
  return [...changed].sort();
}

/** Stratified delays: one drawn at random in each of `count` equal slices of [0, until). */
export function spreadDelays(count: number, until: number, random: () => number): number[] {
  return Array.from({ length: count }, (_, i) => ((i + random()) / count) * until);
}

/** The files of `image` that are missing or do not hold what they must, on the tree at `root`. */
export function missingFiles(root: string, image: ServedImage): string[] {
  const missing: string[] = [];
  for (const [file, content] of image.files) {
    let data: string;
    try {
      data = fs.readFileSync(path.join(root, file), 'latin1');
    } catch {
      missing.push(file);
      continue;
    }
    if (content !== undefined && data !== content) missing.push(file);
  }
  return missing;
}

/**
 * Right after a kill: the kept images it broke and the files it deleted
 * that are no garbage, each as a failure line that starts with `at`; and the
 * tree as the kill left it, with the files it took.
 */
export function afterKill(
  root: string,
  initial: ReadonlyMap<string, number>,
  garbage: { has(file: string): boolean },
  served: readonly ServedImage[],
  at: string,
): { files: Map<string, number>; removed: string[]; imagesLost: number; failures: string[] } {
  const files = snapshot(root);
  const lost = lostImages(root, served);
  const failures = lost.map((image) => `${at}: ${image.ref} lost ${image.missing.join(', ')}`);
  const removed = [...initial.keys()].filter((file) => !files.has(file));
  for (const file of removed.filter((f) => !garbage.has(f))) failures.push(`${at}: deleted ${file}, which is no garbage`);
  return { files, removed, imagesLost: lost.length, failures };
}
