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
 * - delete modes (`delete-m`, `delete`, `offline-m`): a dry warm-up of each tool on the
 *   original tree, then per run and tool a fresh hard-link copy of the tree
 *   (`cp -al`: new directories, the files' names hard-linked; a deletion
 *   unlinks the copy's name and never touches the original's, and neither
 *   tool writes into an existing file), the timed run on the copy, a count of
 *   the blobs left against the generator's expectation, and removal of the
 *   copy (`--delete-runs`, default 1); `offline-m` runs registry-gc with
 *   `--keep-trash` (its `offlineMs` is the offline window) and then a timed
 *   `registry-gc purge` on the same copy; `offline-apply` first makes an
 *   untimed `plan -m` of the copy, then times `apply PLAN --keep-trash` (its
 *   whole wall is the window), then the purge;
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
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isPresetName } from './presets.js';
import { runIfEntryPoint } from './lib/entry.js';
import { MODES, Mode, PROJECT, PresetRecord, ScalingRecord, TIME } from './lib/bench-model.js';
import { Options, USAGE, UsageError, parseOptions } from './lib/bench-options.js';
import { fmtLoad, fmtMB, fmtRatio, fmtS, load, log, median, runStarted, which } from './lib/bench-log.js';
import { Context } from './lib/bench-tools.js';
import { ensureTree, machineInfo, removeTree, snapshotDist } from './lib/bench-setup.js';
import { benchDelete, benchDry, benchScaling } from './lib/bench-modes.js';
import { loadRecord, ok, row, saveRecord, summaryLine, writeResults } from './lib/results.js';
import { offlineMedians } from './lib/results-offline.js';

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
        if (MODES[mode].keepsTrash === true) {
          const x = offlineMedians(m);
          log(`${tree.preset} ${mode}: ours offline window ${fmtS(x.offline)} s (wall ${fmtS(x.wall)} s, then purge ${fmtS(x.purge)} s), reference ${fmtS(x.reference)} s: reference / offline window ${fmtRatio(x.reference / x.offline)} (target ≥ ${MODES[mode].plansFirst === true ? 10 : 5}×), reference / wall ${fmtRatio(x.reference / x.wall)}`);
        }
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
