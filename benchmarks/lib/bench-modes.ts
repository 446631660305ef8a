/**
 * One mode of one preset, or the scaling pair: warm-up, alternating timed
 * runs, strace, and the checks against the generator.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { ExpectKey, MODES, Measurement, Mode, ModeResult, Sample, ScalingMode, StraceResult, Tool, TreeInfo } from './bench-model.js';
import { fmtInt, fmtLoad, fmtS, load, log } from './bench-log.js';
import { Context, describe, planFileOf, runFloor, runPlan, runPurge, runStrace, runTool } from './bench-tools.js';
import { COPY_METHODS, copyTree, countBlobs, removeTree } from './bench-setup.js';

// Cold caches ----------------------------------------------------------------------

const DROP_CACHES = '/proc/sys/vm/drop_caches';

function canDropCaches(): boolean {
  try {
    fs.accessSync(DROP_CACHES, fs.constants.W_OK);
    return process.getuid?.() === 0;
  } catch {
    return false;
  }
}

/** Writes back dirty pages, then drops the page, dentry and inode caches: the next run reads from the disk. */
function dropCaches(): void {
  execFileSync('sync');
  fs.writeFileSync(DROP_CACHES, '3');
}

// Checks ---------------------------------------------------------------------------

export function expectation(tree: TreeInfo, key: ExpectKey): { deletedBlobs: number; deletedManifests: number; keptBlobs: number } | undefined {
  return key === 'none' ? undefined : tree.summary?.expected[key];
}

export function check(result: ModeResult, tree: TreeInfo, tool: Tool, s: Sample): void {
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

/** offline-m, registry-gc: its report names the offline window and a kept trash; the purge frees all of it. */
export function checkOffline(result: ModeResult, tree: TreeInfo, s: Sample): void {
  if (s.error !== undefined) return;
  const kept = expectation(tree, MODES[result.mode].expectOurs)?.keptBlobs;
  const wrong: string[] = [];
  if (s.offlineMs === undefined) wrong.push('no offlineMs in its report');
  if (MODES[result.mode].plansFirst === true && (s.recheck?.mode !== 'incremental' || s.recheck.rescanned !== 0)) {
    wrong.push(`apply re-checked ${s.recheck === undefined ? 'somehow' : `${s.recheck.mode}ly, ${s.recheck.rescanned} repositories scanned again`} (expected incrementally, none: nothing wrote to the copy)`);
  }
  if (s.trash === undefined) wrong.push('no trash in its report');
  else {
    if (s.trash.purged) wrong.push('its report says the trash was purged (--keep-trash)');
    if (s.trash.deletedInPlace !== 0) wrong.push(`${fmtInt(s.trash.deletedInPlace)} items deleted in place instead of moved`);
  }
  if (kept !== undefined && s.blobsLeftBeforePurge !== kept) wrong.push(`${fmtInt(s.blobsLeftBeforePurge)} blobs left after the moves (expected ${fmtInt(kept)})`);
  const p = s.purge;
  if (p === undefined) wrong.push('no purge');
  else {
    if (p.error !== undefined) wrong.push(`purge: ${p.error}`);
    if (p.trashLeft) wrong.push('purge left something in registry-gc-trash');
    if (s.trash !== undefined && p.entries !== s.trash.moved) wrong.push(`purge freed ${fmtInt(p.entries)} entries, the run moved ${fmtInt(s.trash.moved)}`);
  }
  if (wrong.length > 0) {
    result.problems.push(`ours (offline window): ${wrong.join('; ')}`);
    return;
  }
  const how = MODES[result.mode].plansFirst === true ? 'apply re-checked the plan incrementally, 0 repositories scanned again; ' : '';
  const line = `ours (offline window): ${how}\`offlineMs\` reported; ${fmtInt(s.trash?.moved)} entries moved into the trash (0 deleted in place), kept; ${fmtInt(s.blobsLeftBeforePurge)} blobs left after the moves and ${fmtInt(s.blobsLeft)} after \`registry-gc purge\`, which freed ${fmtInt(p?.entries)} entries and left an empty trash`;
  if (!result.checks.includes(line)) result.checks.push(line);
}

// Benchmarks ---------------------------------------------------------------------------

/** --max-load: waits until the 1-minute load average is low enough, or --max-wait has passed. */
export async function waitForQuiet(ctx: Context): Promise<number> {
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

/** Waits for a quiet machine (--max-load), then records the start of a measurement. */
async function startMeasurement(ctx: Context, mode: Mode): Promise<Measurement> {
  const waited = await waitForQuiet(ctx);
  return { waited, mode, date: new Date().toISOString(), build: ctx.build, machine: ctx.machine, loadBefore: load(), loadAfter: [], seconds: 0 };
}

export async function newModeResult(ctx: Context, mode: Mode): Promise<ModeResult> {
  return {
    ...(await startMeasurement(ctx, mode)),
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

export function tools(ctx: Context): Tool[] {
  return ctx.referenceAvailable && ctx.options.reference ? ['ours', 'reference'] : ['ours'];
}

export async function benchDry(ctx: Context, tree: TreeInfo, mode: Mode): Promise<ModeResult> {
  const r = await newModeResult(ctx, mode);
  const started = Date.now();
  const runs: Record<Tool, number> = { ours: ctx.options.runs, reference: MODES[mode].oursOnly === true ? 0 : (ctx.options.referenceRuns ?? ctx.options.runs) };
  const active = tools(ctx).filter((t) => runs[t] > 0);
  const cold = MODES[mode].cold === true;
  if (cold && !canDropCaches()) {
    r.problems.push('skipped: dropping the page cache needs root (/proc/sys/vm/drop_caches)');
    log(`${tree.preset} ${mode}: skipped, not root: the page cache cannot be dropped`);
    return r;
  }
  // Cold: no warm-up (it would warm what the runs must find cold); every run starts on dropped caches.
  const before = cold ? dropCaches : () => undefined;
  if (!cold) log(`${tree.preset} ${mode}: warm-up (load ${fmtLoad(r.loadBefore)})`);
  for (const tool of cold ? [] : active) {
    const s = await runTool(ctx, tool, mode, tree.root);
    r.warmup[tool] = s.seconds;
    check(r, tree, tool, s);
    log(`  warm-up ${tool}: ${describe(s)}`);
  }
  if (ctx.options.floor && !cold) {
    const f = await runFloor(ctx, tree.root);
    r.warmup.floor = f.seconds;
    log(`  warm-up floor: ${fmtS(f.seconds)} s`);
  }
  const rounds = Math.max(...active.map((t) => runs[t]));
  for (let i = 0; i < rounds; i++) {
    for (const tool of active) {
      if (i >= runs[tool]) continue;
      before();
      const s = await runTool(ctx, tool, mode, tree.root, false);
      r[tool].push(s);
      check(r, tree, tool, s);
      log(`  run ${i + 1}/${runs[tool]} ${tool}: ${describe(s)}`);
    }
    if (ctx.options.floor && i < runs.ours) {
      before();
      const f = await runFloor(ctx, tree.root);
      r.floor.push(f.seconds);
      r.floorCounts = f.counts;
      log(`  run ${i + 1}/${runs.ours} floor: ${fmtS(f.seconds)} s`);
    }
  }
  for (const tool of cold ? [] : active) {
    if (ctx.options.strace === 'none' || (ctx.options.strace === 'ours' && tool !== 'ours')) continue;
    log(`  strace ${tool} …`);
    r.strace[tool] = await runStrace(ctx, tool, mode, tree.root);
    log(`  strace ${tool}: ${straceLine(r.strace[tool])}`);
  }
  r.loadAfter = load();
  r.seconds = (Date.now() - started) / 1000;
  return r;
}

export async function benchDelete(ctx: Context, tree: TreeInfo, mode: Mode): Promise<ModeResult> {
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
        const plan = tool === 'ours' && MODES[mode].plansFirst === true ? await runPlan(ctx, dir) : undefined;
        if (plan !== undefined) log(`  plan of the copy (untimed, the registry would serve): ${fmtS(plan.seconds)} s${plan.error === undefined ? '' : `; ${plan.error}`}`);
        const s = await runTool(ctx, tool, mode, dir);
        if (plan !== undefined) {
          s.plan = plan;
          if (plan.error !== undefined) s.error ??= plan.error;
          fs.rmSync(planFileOf(dir), { force: true });
        }
        s.blobsLeft = countBlobs(dir);
        if (tool === 'ours' && MODES[mode].keepsTrash === true && s.error === undefined) {
          // Then free the trash on the same copy, as a restarted registry's host would (untimed count in between).
          s.blobsLeftBeforePurge = s.blobsLeft;
          s.purge = await runPurge(ctx, dir);
          s.blobsLeft = countBlobs(dir);
          checkOffline(r, tree, s);
        }
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

export function straceLine(s: StraceResult | { error: string } | undefined): string {
  if (s === undefined) return '—';
  if ('error' in s) return s.error;
  const c = s.calls;
  return `${s.timedOut ? 'PARTIAL (timed out) ' : ''}getdents64 ${fmtInt(c['getdents64'] ?? 0)}, openat ${fmtInt(c['openat'] ?? 0)}, stat ${fmtInt((c['statx'] ?? 0) + (c['newfstatat'] ?? 0))}, unlink ${fmtInt(unlinks(c))}, read ${fmtInt(c['read'] ?? 0)}, all ${fmtInt(s.total)} (${fmtS(s.seconds)} s under strace)`;
}

export const unlinks = (c: Record<string, number>): number => (c['unlinkat'] ?? 0) + (c['unlink'] ?? 0) + (c['rmdir'] ?? 0);

export async function benchScaling(ctx: Context, half: TreeInfo, full: TreeInfo, mode: Mode): Promise<ScalingMode> {
  const measurement = await startMeasurement(ctx, mode);
  const started = Date.now();
  const r: ScalingMode = {
    ...measurement,
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
