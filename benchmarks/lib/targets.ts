/**
 * The targets RESULTS.md checks, each with the issue that set it: a row of
 * the targets table per entry, in this order.
 */
import type { Mode, PresetRecord } from './bench-model.js';
import type { S3Mode } from './s3-model.js';
import { fmtMB, fmtRatio, fmtS, median } from './bench-log.js';
import { ok, maxRss, type Row } from './results.js';

export interface Target {
  tree: string;
  /** `scaling`: standard-half → standard; `scaling-to-large`: standard → large, from the presets' own dry rows; `s3`: the S3 sitting (see `s3`). */
  mode: Mode | 'scaling' | 'scaling-to-large' | 's3';
  /** mode `s3`: which row of the S3 record (results-s3.ts); `requests` is judged on the record's counts, not by `met`. */
  s3?: S3Mode | 'requests';
  label: string;
  target: string;
  met: (r: Row) => boolean;
  /** A memory row: the time columns show peak RSS, ours and the reference's, and their ratio. */
  rss?: true;
}

export const TARGETS: Target[] = [
  { tree: 'standard', mode: 'dry', label: 'dry run', target: '#6: ≥ 20× faster, or ≤ 1.25× the floor', met: (r) => r.ratio >= 20 || r.oursFloor <= 1.25 },
  { tree: 'standard', mode: 'dry', label: 'dry run', target: '#15: ours/floor ≤ 2×', met: (r) => r.oursFloor <= 2 },
  { tree: 'standard', mode: 'dry-m', label: '`-m` dry run', target: '#6: ≥ 20× faster, or ≤ 1.25× the floor', met: (r) => r.ratio >= 20 || r.oursFloor <= 1.25 },
  { tree: 'standard', mode: 'dry-m', label: '`-m` dry run', target: '#15: ours/floor ≤ 2.5×', met: (r) => r.oursFloor <= 2.5 },
  // Issue 15's cold rows: every run on dropped caches (root only), alternating tools.
  { tree: 'standard', mode: 'dry-cold', label: 'dry run, cold caches', target: '#15: ours/floor ≤ 1.1×', met: (r) => r.oursFloor <= 1.1 },
  { tree: 'standard', mode: 'dry-cold', label: 'dry run, cold caches', target: '#15: reference/ours ≥ 4×', met: (r) => r.ratio >= 4 },
  { tree: 'standard', mode: 'dry-m-cold', label: '`-m` dry run, cold caches', target: '(measured; no target)', met: () => true },
  { tree: 'standard', mode: 'delete-m', label: 'delete `-m` (on `cp -al` copies)', target: '#6: ≥ 15× faster', met: (r) => r.ratio >= 15 },
  { tree: 'standard', mode: 'offline-m', label: 'offline window `-m` (on `cp -al` copies; ours: `offlineMs`)', target: '#12: reference’s run ≥ 5× our offline window', met: (r) => r.ratio >= 5 },
  { tree: 'standard', mode: 'offline-apply', label: 'offline window, plan + apply `-m` (on `cp -al` copies; ours: wall of `apply`)', target: '#12: reference’s run ≥ 10× our `apply`', met: (r) => r.ratio >= 10 },
  { tree: 'tags', mode: 'dry-m', label: '`-m` dry run', target: '#6, #15: ≥ 100× faster', met: (r) => r.ratio >= 100 },
  // The "reference" column of this row is our own `-m` dry run of the same sitting; ratio = that / ours.
  {
    tree: 'tags',
    mode: 'dry-m-keep-last',
    label: '`-m --keep-last 10` dry run (reference column: our `-m` dry run)',
    target: '#14: not measurably slower: ≤ 1.1× our `-m` dry run',
    met: (r) => r.ratio >= 1 / 1.1,
  },
  {
    tree: 'tags',
    mode: 'dry-m-keep-all',
    label: '`-m --keep-last 1000000` dry run: every tag ranked, none deleted (reference column: our `-m` dry run)',
    target: '#14: retention’s own cost at equal work: ≤ 1.1× our `-m` dry run',
    met: (r) => r.ratio >= 1 / 1.1,
  },
  // Issue 16, on radosgw (benchmarks/s3.ts): one sitting, ratios side by side; the floor is the request floor measured alongside.
  { tree: 's3', mode: 's3', s3: 'dry', label: 'S3 dry run (radosgw)', target: '#16: ≥ 30× faster, or ≤ 1.5× the request floor', met: (r) => r.ratio >= 30 || r.oursFloor <= 1.5 },
  { tree: 's3', mode: 's3', s3: 'dry-m', label: 'S3 `-m` dry run (radosgw)', target: '#16: ≥ 30× faster, or ≤ 1.5× the request floor', met: (r) => r.ratio >= 30 || r.oursFloor <= 1.5 },
  { tree: 's3', mode: 's3', s3: 'delete-m', label: 'S3 real `-m` run (radosgw, a fresh bucket per run)', target: '#16: ≥ 10× faster', met: (r) => r.ratio >= 10 },
  {
    tree: 's3',
    mode: 's3',
    s3: 'requests',
    label: 'S3 requests per run (ours; reference in its column)',
    target: '#16: flat listing pages + one GET per manifest and tag link + one DeleteObjects per 1,000 keys, nothing per blob kept',
    met: () => false,
  },
  { tree: 'any', mode: 'scaling', label: 'scaling', target: '#6: time for 2N blobs ≤ 2.2 × time for N', met: () => false },
  { tree: 'large', mode: 'dry', label: 'dry run', target: '#6: peak RSS ≤ 300 MB', met: (r) => r.rssKb !== null && r.rssKb * 1024 <= 300e6 },
  {
    tree: 'large',
    mode: 'dry',
    label: 'dry run: peak RSS (ours, reference, reference/ours)',
    target: '#15: peak RSS ≤ 0.6× the reference’s',
    met: (r) => r.rssKb !== null && r.referenceRssKb !== null && r.rssKb <= 0.6 * r.referenceRssKb,
    rss: true,
  },
  {
    tree: 'mid',
    mode: 'dry',
    label: 'dry run: peak RSS (ours, reference, reference/ours)',
    target: '#15: peak RSS ≤ 1.0× the reference’s',
    met: (r) => r.rssKb !== null && r.referenceRssKb !== null && r.rssKb <= r.referenceRssKb,
    rss: true,
  },
  { tree: 'standard → large', mode: 'scaling-to-large', label: 'scaling', target: '#15: peak RSS per blob flat or falling', met: () => false },
];

/** A memory row: peak RSS of ours and of the reference, and reference/ours. */
export function renderRssRow(t: Target, r: Row): string {
  const ratio = r.rssKb !== null && r.referenceRssKb !== null ? r.referenceRssKb / r.rssKb : Number.NaN;
  return `| ${t.tree} | ${t.label} | ${fmtMB(r.rssKb)} | ${fmtMB(r.referenceRssKb)} | ${fmtRatio(ratio)} | | | ${fmtMB(r.rssKb)} | ${t.target} | ${t.met(r) ? '**yes**' : '**no**'} |`;
}

/** standard → large from each preset's own dry row (separate sittings: compare the ratios, per blob). */
export function renderScalingToLarge(t: Target, presets: readonly PresetRecord[]): string {
  const small = presets.find((p) => p.preset === 'standard');
  const big = presets.find((p) => p.preset === 'large');
  const a = small?.modes['dry'];
  const b = big?.modes['dry'];
  const blobsA = small?.tree.summary?.blobs;
  const blobsB = big?.tree.summary?.blobs;
  if (a === undefined || b === undefined || blobsA === undefined || blobsB === undefined) return `| standard → large | dry run | not run | | | | | | ${t.target} | — |`;
  const [ta, tb] = [median(ok(a.ours).map((s) => s.seconds)), median(ok(b.ours).map((s) => s.seconds))];
  const [ra, rb] = [maxRss(a.ours), maxRss(b.ours)];
  const blobs = blobsB / blobsA;
  const perBlobFalling = ra !== null && rb !== null && rb / blobsB <= ra / blobsA;
  return `| standard → large (${fmtRatio(blobs)} blobs) | dry run | ${fmtS(ta)} → ${fmtS(tb)} s: **${fmtRatio(tb / ta)}** | | | | | ${fmtMB(ra)} → ${fmtMB(rb)}: **${fmtRatio((rb ?? Number.NaN) / (ra ?? Number.NaN))}** | ${t.target} | ${perBlobFalling ? '**yes**' : '**no**'} |`;
}
