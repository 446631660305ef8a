/**
 * Stored results (`benchmarks/results/*.json`) and their rendering as
 * `benchmarks/RESULTS.md`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { AnyRecord, MODES, MODE_ORDER, ModeResult, NOTES_MD, PROJECT, PresetRecord, RESULTS_DIR, RESULTS_MD, STRACE_SET, Sample, ScalingMode, ScalingRecord, TreeInfo } from './bench-model.js';
import { fmtInt, fmtLoad, fmtMB, fmtRatio, fmtS, log, median, sec } from './bench-log.js';
import { COPY_METHODS } from './bench-setup.js';
import { offlineCell, offlineRow, renderOffline } from './results-offline.js';
import { TARGETS, renderRssRow, renderScalingToLarge } from './targets.js';
import type { S3Record } from './s3-model.js';
import { renderS3, renderS3Target } from './results-s3.js';

// Storage ------------------------------------------------------------------------------

export function recordFile(name: string): string {
  return path.join(RESULTS_DIR, `${name}.json`);
}

export function loadRecord<T extends AnyRecord>(name: string): T | undefined {
  const file = recordFile(name);
  return fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as T) : undefined;
}

export function saveRecord(name: string, record: AnyRecord): void {
  fs.mkdirSync(RESULTS_DIR, { recursive: true });
  const file = recordFile(name);
  fs.writeFileSync(`${file}.tmp`, `${JSON.stringify(record, null, 1)}\n`);
  fs.renameSync(`${file}.tmp`, file);
}

export function loadAll(): AnyRecord[] {
  if (!fs.existsSync(RESULTS_DIR)) return [];
  return fs
    .readdirSync(RESULTS_DIR)
    .filter((f) => f.endsWith('.json'))
    .map((f) => JSON.parse(fs.readFileSync(path.join(RESULTS_DIR, f), 'utf8')) as AnyRecord);
}

// Rendering ----------------------------------------------------------------------------

export const PRESET_ORDER = ['small', 'standard-half', 'standard', 'tags', 'mid', 'large'];
export const presetRank = (p: string): number => {
  const i = PRESET_ORDER.indexOf(p);
  return i < 0 ? PRESET_ORDER.length : i;
};

export interface Row {
  ours: number;
  reference: number;
  ratio: number;
  floor: number;
  oursFloor: number;
  rssKb: number | null;
  referenceRssKb: number | null;
}

export function ok(samples: readonly Sample[]): Sample[] {
  return samples.filter((s) => s.error === undefined);
}

export function maxRss(samples: readonly Sample[]): number | null {
  const xs = samples.map((s) => s.rssKb).filter((x): x is number => x !== null);
  return xs.length === 0 ? null : Math.max(...xs);
}

export function row(m: ModeResult): Row {
  const ours = median(ok(m.ours).map((s) => s.seconds));
  const reference = median(ok(m.reference).map((s) => s.seconds));
  const floor = median(m.floor);
  return { ours, reference, ratio: reference / ours, floor, oursFloor: ours / floor, rssKb: maxRss(m.ours), referenceRssKb: maxRss(m.reference) };
}

/** A row of ours against our own run of another mode (MODES[mode].comparedWith), in that mode's place of the reference. */
function comparedRow(m: ModeResult, base: ModeResult): Row {
  const r = row(m);
  const reference = median(ok(base.ours).map((s) => s.seconds));
  return { ...r, reference, ratio: reference / r.ours, referenceRssKb: maxRss(base.ours) };
}

export const modeLabel = (m: ModeResult): string => (m.copy?.method === COPY_METHODS.full ? MODES[m.mode].label.replace('`cp -al`', 'full `cp -a`') : MODES[m.mode].label);

export const yes = (b: boolean): string => (b ? '**yes**' : '**no**');

export function summaryLine(t: TreeInfo): string {
  const s = t.summary;
  if (s === null) return `${t.root} (no generator summary)`;
  return `${fmtInt(s.repositories)} repositories (+${s.deletedRepositories + s.uploadOnlyRepositories} emptied or upload-only), ${fmtInt(s.manifests)} manifests, ${fmtInt(s.tags)} tags, ${fmtInt(s.blobs)} blobs, ${(s.blobBytes / 1e9).toFixed(2)} GB of blobs (${fmtInt(s.files)} files)`;
}

export function render(records: readonly AnyRecord[]): string {
  const presets = records.filter((r): r is PresetRecord => r.kind === 'preset').sort((a, b) => presetRank(a.preset) - presetRank(b.preset));
  const scaling = records.find((r): r is ScalingRecord => r.kind === 'scaling');
  // Its own machine, build and date lines are in its section: the header keeps describing the disk rows.
  const s3 = records.find((r): r is S3Record => r.kind === 's3');
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
  out.push(`## Targets (issues ${[...new Set(TARGETS.flatMap((t) => [...t.target.matchAll(/#(\d+)/g)].map((x) => Number(x[1]))))].sort((a, b) => a - b).join(', ')})`, '');
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
    if (t.mode === 'scaling-to-large') {
      out.push(renderScalingToLarge(t, presets));
      continue;
    }
    if (t.mode === 's3') {
      out.push(renderS3Target(t, s3));
      continue;
    }
    const m = presets.find((p) => p.preset === t.tree)?.modes[t.mode];
    if (m === undefined) {
      out.push(`| ${t.tree} | ${t.label} | not run | | | | | | ${t.target} | — |`);
      continue;
    }
    if (t.rss === true) {
      out.push(renderRssRow(t, row(m)));
      continue;
    }
    const against = MODES[t.mode].comparedWith;
    const base = against === undefined ? undefined : presets.find((p) => p.preset === t.tree)?.modes[against];
    const r = MODES[t.mode].keepsTrash === true ? offlineRow(m) : base !== undefined ? comparedRow(m, base) : row(m);
    out.push(
      `| ${t.tree} | ${t.label} | ${sec(r.ours)} | ${sec(r.reference)} | ${fmtRatio(r.ratio)} | ${sec(r.floor)} | ${fmtRatio(r.oursFloor)} | ${fmtMB(r.rssKb)} | ${t.target} | ${yes(t.met(r))} |`,
    );
    const fullCopy = presets.find((p) => p.preset === t.tree)?.modes[`${t.mode}:full-copy`];
    if (fullCopy !== undefined) {
      const rf = MODES[t.mode].keepsTrash === true ? offlineRow(fullCopy) : row(fullCopy);
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
        `| ${modeLabel(m)} | ${sec(r.ours)}${list(ourTimes)}${MODES[m.mode].keepsTrash === true ? offlineCell(m) : ''} | ${m.reference.length > 0 ? `${sec(r.reference)}${list(refTimes)}` : 'not run'} | ${fmtRatio(r.ratio)} | ${m.floor.length > 0 ? `${sec(r.floor)}${list(m.floor)}` : '—'} | ${fmtRatio(r.oursFloor)} | ${fmtMB(r.rssKb)} / ${fmtMB(r.referenceRssKb)} | ${fmtLoad(m.loadBefore)} → ${fmtLoad(m.loadAfter)}${(m.waited ?? 0) >= 1 ? ` (after waiting ${fmtS(m.waited ?? 0)} s for a lower load)` : ''} | ${m.date.slice(0, 16).replace('T', ' ')}, ${fmtS(m.seconds)} s, dist ${m.build.distHash} |`,
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

    for (const m of modes) if (MODES[m.mode].keepsTrash === true) out.push(...renderOffline(m, modeLabel(m)));

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

  if (s3 !== undefined) out.push(...renderS3(s3));

  if (fs.existsSync(NOTES_MD)) {
    const notes = fs.readFileSync(NOTES_MD, 'utf8').trim();
    out.push(...(notes.startsWith('#') ? [] : ['## Observations', '']), notes, '');
  }
  return `${out.join('\n')}\n`;
}

export function writeResults(): void {
  fs.writeFileSync(RESULTS_MD, render(loadAll()));
  log(`wrote ${path.relative(PROJECT, RESULTS_MD)}`);
}
