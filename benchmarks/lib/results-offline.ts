/**
 * The `offline-m` mode in `RESULTS.md`: how long the registry must stay
 * stopped. registry-gc's window ends at its last move into the trash (its
 * report's `offlineMs`); the freeing (`registry-gc purge`) comes after, while
 * the registry would already serve again, so it is reported beside the
 * window, not in it. The reference deletes in place: its window is its whole
 * run. Kept apart from results.ts, whose rows are one wall time per tool.
 */
import { MODES, ModeResult, Sample } from './bench-model.js';
import { fmtInt, fmtMB, fmtRatio, median, sec } from './bench-log.js';
import type { Row } from './results.js';

const good = (xs: readonly Sample[]): Sample[] => xs.filter((s) => s.error === undefined);
const offlineSeconds = (s: Sample): number => (s.offlineMs === undefined ? Number.NaN : s.offlineMs / 1000);
const rss = (xs: readonly Sample[]): number | null => {
  const kb = xs.map((s) => s.rssKb).filter((x): x is number => x !== null);
  return kb.length === 0 ? null : Math.max(...kb);
};

/** plan + apply: the whole `apply` command is the window (reading the plan, the re-check, the moves). */
const windowSeconds = (m: ModeResult, s: Sample): number => (MODES[m.mode].plansFirst === true ? s.seconds : offlineSeconds(s));

/** The target's row: ours is the median window (no floor: the floor reads, it does not move). */
export function offlineRow(m: ModeResult): Row {
  const ours = median(good(m.ours).map((s) => windowSeconds(m, s)).filter(Number.isFinite));
  const reference = median(good(m.reference).map((s) => s.seconds));
  return { ours, reference, ratio: reference / ours, floor: Number.NaN, oursFloor: Number.NaN, rssKb: rss(m.ours), referenceRssKb: rss(m.reference) };
}

/** Medians of the three times of registry-gc's runs: the window, the wall of the moves, the purge after. */
export function offlineMedians(m: ModeResult): { offline: number; wall: number; purge: number; reference: number } {
  const ours = good(m.ours);
  return {
    offline: offlineRow(m).ours,
    wall: median(ours.map((s) => s.seconds)),
    purge: median(ours.map((s) => s.purge?.seconds ?? Number.NaN).filter(Number.isFinite)),
    reference: offlineRow(m).reference,
  };
}

/** For the per-preset table's ours cell. */
export const offlineCell = (m: ModeResult): string => `; offline window ${sec(offlineRow(m).ours)}, purge after ${sec(offlineMedians(m).purge)}`;

const APPLY_INTRO =
  'Ours: on each fresh synced copy, first `registry-gc plan -m -o PLAN COPY` (untimed: a registry would be serving meanwhile; it waits 2.2 s after the copy, past the window in which a plan cannot tell its own look from a write), then the timed `registry-gc apply PLAN COPY --keep-trash --json`: the **whole wall of that process** is the offline window (Node start-up, reading the plan, the re-check of what a registry could have changed, the moves, the report). Its `offlineMs` (from the start of its run to its last move) is shown beside it. Then `registry-gc purge COPY`, as for `-m --keep-trash`. The reference: the wall of its real `garbage-collect -m` on its own copy.';

/** Run i of each tool side by side, with the cells both offline tables show alike. */
function pairedRuns(m: ModeResult) {
  return Array.from({ length: Math.max(m.ours.length, m.reference.length) }, (_, i) => {
    const o = m.ours[i];
    const r = m.reference[i];
    return {
      i,
      o,
      wall: o?.error === undefined ? (o?.seconds ?? Number.NaN) : Number.NaN,
      ref: r?.error === undefined ? (r?.seconds ?? Number.NaN) : Number.NaN,
      purge: `${sec(o?.purge?.seconds ?? Number.NaN)}${o?.purge !== undefined ? ` (${fmtMB(o.purge.rssKb)})` : ''}`,
      moved: fmtInt(o?.trash?.moved),
      left: `${fmtInt(o?.blobsLeftBeforePurge)} → ${fmtInt(o?.blobsLeft)}; ${fmtInt(r?.blobsLeft)}`,
    };
  });
}

export function renderOffline(m: ModeResult, label: string): string[] {
  if (MODES[m.mode].plansFirst === true) return renderApply(m, label);
  const out: string[] = [
    `**${label}**: how long the registry must stay stopped. Ours: \`registry-gc -m --keep-trash --json COPY\` moves everything it collects into \`<root>/registry-gc-trash/<run>/\` and exits; its \`offlineMs\` runs from the start of its run (after Node start-up and loading its modules) to the end of its last move, and the wall of that process (start-up, moves and report included) bounds the window from above. Then \`registry-gc purge COPY\` frees the trash on the same copy, which a registry would already be serving from again. The reference: the wall of its real \`garbage-collect -m\` on its own copy, all of it offline. Each run of each tool on a fresh synced copy, as in delete \`-m\`.`,
    '',
    '| run | ours: offline window (`offlineMs`) | ours: wall, moves only | ours: `purge` after, registry serving (peak RSS) | reference: wall = offline window | reference / our offline window | reference / our wall | entries moved | blobs left: ours after moves → after purge; reference |',
    '|---|---|---|---|---|---|---|---|---|',
  ];
  const runs = pairedRuns(m);
  for (const { i, o, wall, ref, purge, moved, left } of runs) {
    const offline = o === undefined ? Number.NaN : offlineSeconds(o);
    out.push(`| ${i + 1} | ${sec(offline)} | ${sec(wall)} | ${purge} | ${sec(ref)} | ${fmtRatio(ref / offline)} | ${fmtRatio(ref / wall)} | ${moved} | ${left} |`);
  }
  if (runs.length > 1) {
    const x = offlineMedians(m);
    out.push(`| **median** | **${sec(x.offline)}** | ${sec(x.wall)} | ${sec(x.purge)} | ${sec(x.reference)} | **${fmtRatio(x.reference / x.offline)}** | ${fmtRatio(x.reference / x.wall)} | | |`);
  }
  out.push(
    '',
    'The purge unlinks what the moves took out; on a `cp -al` copy that frees no data blocks (the original tree still holds them), so on a registry’s own files it may take longer (on this `discard` mount it would also trim the freed blocks); either way it falls outside the offline window.',
    '',
  );
  return out;
}

function renderApply(m: ModeResult, label: string): string[] {
  const out: string[] = [
    `**${label}**: how long the registry must stay stopped when the plan was made beforehand. ${APPLY_INTRO}`,
    '',
    '| run | ours: `plan` before (untimed) | ours: `apply` wall = offline window | its `offlineMs` | re-check | ours: `purge` after (peak RSS) | reference: wall = offline window | reference / our window | entries moved | blobs left: ours after moves → after purge; reference |',
    '|---|---|---|---|---|---|---|---|---|---|',
  ];
  const runs = pairedRuns(m);
  for (const { i, o, wall, ref, purge, moved, left } of runs) {
    const recheck = o?.recheck === undefined ? '—' : `${o.recheck.mode}, ${fmtInt(o.recheck.rescanned)} rescanned`;
    out.push(
      `| ${i + 1} | ${sec(o?.plan?.seconds ?? Number.NaN)} | ${sec(wall)} | ${sec(o === undefined ? Number.NaN : offlineSeconds(o))} | ${recheck} | ${purge} | ${sec(ref)} | ${fmtRatio(ref / wall)} | ${moved} | ${left} |`,
    );
  }
  if (runs.length > 1) {
    const x = offlineMedians(m);
    out.push(`| **median** | | **${sec(x.offline)}** | | | ${sec(x.purge)} | ${sec(x.reference)} | **${fmtRatio(x.reference / x.offline)}** | | |`);
  }
  out.push('');
  return out;
}
