/**
 * Running the two tools (registry-gc, the reference) and the floor once, with
 * or without strace.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { FloorResult } from '../floor.js';
import { registryConfigYaml } from '../../harness/registry-server.js';
import { BuildInfo, Machine, MODES, Mode, PurgeSample, STRACE_SET, Sample, StraceResult, Tool } from './bench-model.js';
import { Options } from './bench-options.js';
import { fmtInt, fmtMB, fmtS } from './bench-log.js';
import { execute, tail } from './child-process.js';

// The two tools -------------------------------------------------------------------

export interface Context {
  options: Options;
  tmp: string;
  cli: string;
  build: BuildInfo;
  machine: Machine;
  referenceAvailable: boolean;
  configs: Map<string, string>;
  seq: number;
}

export function referenceConfig(ctx: Context, root: string): string {
  let file = ctx.configs.get(root);
  if (file === undefined) {
    file = path.join(ctx.tmp, `gc-${ctx.configs.size}.yml`);
    const text = registryConfigYaml(root);
    fs.writeFileSync(file, text);
    ctx.configs.set(root, file);
  }
  return file;
}

/** Where offline-apply keeps the plan of a copy: beside it, outside the tree. */
export const planFileOf = (root: string): string => `${root}.plan.json`;

export function command(ctx: Context, tool: Tool, mode: Mode, root: string): string[] {
  if (tool === 'ours' && MODES[mode].plansFirst === true) return [process.execPath, ctx.cli, ...MODES[mode].ours, '--json', '--quiet', planFileOf(root), root];
  if (tool === 'ours') return [process.execPath, ctx.cli, ...MODES[mode].ours, '--json', '--quiet', ...ctx.options.oursArgs, root];
  return ['docker-registry', 'garbage-collect', ...MODES[mode].reference, referenceConfig(ctx, root)];
}

const REFERENCE_SUMMARY = /(\d+) blobs marked, (\d+) blobs and (\d+) manifests eligible for deletion/;

/**
 * The counts of the reference's summary line in its output file (it comes
 * after the marking lines and before the deletion lines), into `sample`; an
 * error on it when there is none.
 */
export function readReferenceSummary(stdout: string, sample: { blobsMarked?: number; blobsDeleted?: number; manifestsDeleted?: number; error?: string }): void {
  const m = REFERENCE_SUMMARY.exec(fs.readFileSync(stdout, 'utf8'));
  if (m) {
    sample.blobsMarked = Number(m[1]);
    sample.blobsDeleted = Number(m[2]);
    sample.manifestsDeleted = Number(m[3]);
  } else sample.error ??= 'no summary line in its output';
}

/** `registry-gc apply --json` wraps the run's report. */
interface OursApplyReport {
  report?: OursReport;
  recheck?: { mode?: string; rescanned?: unknown[] };
}

export interface OursReport {
  blobs?: { marked?: number; deleted?: unknown[] };
  manifests?: { deleted?: unknown[] };
  durations?: Record<string, number>;
  errors?: unknown[];
  offlineMs?: number;
  trash?: { moved?: number; deletedInPlace?: number; purged?: boolean };
}

/** One timed run of a tool; parses what it decided. */
export async function runTool(ctx: Context, tool: Tool, mode: Mode, root: string, capture = true): Promise<Sample> {
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
      const parsed = JSON.parse(fs.readFileSync(stdout, 'utf8')) as OursReport & OursApplyReport;
      const report = parsed.report ?? parsed;
      if (parsed.recheck !== undefined) sample.recheck = { mode: parsed.recheck.mode ?? '?', rescanned: parsed.recheck.rescanned?.length ?? Number.NaN };
      sample.blobsDeleted = report.blobs?.deleted?.length;
      sample.manifestsDeleted = report.manifests?.deleted?.length;
      sample.blobsMarked = report.blobs?.marked;
      if (report.durations !== undefined) sample.durations = report.durations;
      if (report.offlineMs !== undefined) sample.offlineMs = report.offlineMs;
      const t = report.trash;
      if (t !== undefined) sample.trash = { moved: t.moved ?? Number.NaN, deletedInPlace: t.deletedInPlace ?? Number.NaN, purged: t.purged ?? false };
    } else if (tool === 'reference' && !o.timedOut && stdout !== '/dev/null') {
      readReferenceSummary(stdout, sample);
    }
  } catch (err) {
    sample.error ??= `unreadable output: ${(err as Error).message}`;
  }
  if (stdout !== '/dev/null') fs.rmSync(stdout, { force: true });
  return sample;
}

/**
 * offline-apply: the plan of `root`, made as the registry would be serving (not timed as the
 * window). It waits out the plan's racy window first: a fresh copy's entries are all just
 * written, and a plan cannot tell its own look from a write within it (docs/recheck.md).
 */
export async function runPlan(ctx: Context, root: string): Promise<{ seconds: number; error?: string }> {
  await new Promise((resolve) => setTimeout(resolve, 2200));
  const stderr = path.join(ctx.tmp, `${++ctx.seq}-plan.err`);
  const o = await execute([process.execPath, ctx.cli, 'plan', '-m', '--quiet', '-o', planFileOf(root), root], { stdout: '/dev/null', stderr, timeout: ctx.options.timeout, time: true });
  return o.exit === 0 ? { seconds: o.seconds } : { seconds: o.seconds, error: `plan: exit ${o.exit ?? o.signal}: ${tail(stderr, 600).trim()}` };
}

/**
 * `registry-gc purge --json ROOT`, timed like a tool: frees the trash a `--keep-trash` run left
 * (what a registry would do while serving again). Says whether `<root>/registry-gc-trash` still
 * holds anything afterwards.
 */
export async function runPurge(ctx: Context, root: string): Promise<PurgeSample> {
  const id = `${++ctx.seq}-purge`;
  const stdout = path.join(ctx.tmp, `${id}.out`);
  const stderr = path.join(ctx.tmp, `${id}.err`);
  const o = await execute([process.execPath, ctx.cli, 'purge', '--json', root], { stdout, stderr, timeout: ctx.options.timeout, time: true });
  const trash = path.join(root, 'registry-gc-trash');
  const sample: PurgeSample = { seconds: o.seconds, rssKb: o.rssKb, trashLeft: fs.existsSync(trash) && fs.readdirSync(trash).length > 0 };
  if (o.spawnError !== undefined) sample.error = o.spawnError;
  else if (o.timedOut) sample.error = `timed out after ${ctx.options.timeout} s`;
  else if (o.exit !== 0) sample.error = `exit ${o.exit ?? o.signal}: ${tail(stderr, 600).trim()}`;
  try {
    const report = JSON.parse(fs.readFileSync(stdout, 'utf8')) as { purged?: { entries?: number }[] };
    sample.entries = (report.purged ?? []).reduce((a, p) => a + (p.entries ?? 0), 0);
  } catch (err) {
    sample.error ??= `unreadable purge report: ${(err as Error).message}`;
  }
  fs.rmSync(stdout, { force: true });
  return sample;
}

export function describe(s: Sample): string {
  const parts = [`${fmtS(s.seconds)} s`, fmtMB(s.rssKb)];
  if (s.offlineMs !== undefined) parts.push(`offline ${fmtS(s.offlineMs / 1000)} s`);
  if (s.blobsDeleted !== undefined) parts.push(`${fmtInt(s.blobsDeleted)} blobs / ${fmtInt(s.manifestsDeleted)} manifests`);
  if (s.trash !== undefined) parts.push(`${fmtInt(s.trash.moved)} moved${s.trash.deletedInPlace > 0 ? `, ${fmtInt(s.trash.deletedInPlace)} deleted in place` : ''}`);
  if (s.blobsLeftBeforePurge !== undefined) parts.push(`${fmtInt(s.blobsLeftBeforePurge)} blobs left after the moves`);
  if (s.purge !== undefined) parts.push(`purge ${fmtS(s.purge.seconds)} s${s.purge.error !== undefined ? ` (ERROR ${s.purge.error})` : ''}`);
  if (s.blobsLeft !== undefined) parts.push(`${fmtInt(s.blobsLeft)} blobs left`);
  if (s.error !== undefined) parts.push(`ERROR ${s.error}`);
  return parts.join(', ');
}

export async function runStrace(ctx: Context, tool: Tool, mode: Mode, root: string): Promise<StraceResult | { error: string }> {
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

let floorModule: typeof import('../floor.js') | undefined;

export async function runFloor(ctx: Context, root: string): Promise<FloorResult> {
  floorModule ??= await import('../floor.js');
  return floorModule.measureFloor(root, { workers: ctx.options.floorWorkers });
}
