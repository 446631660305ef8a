/**
 * The S3 sitting (issue 16, benchmarks/s3.ts) in RESULTS.md: its target rows
 * and its own section. Kept apart from results.ts: its rows carry request
 * counts, and its floor is the request floor (lib/s3-floor.ts), not the disk's.
 */
import { fmtInt, fmtLoad, fmtMB, fmtRatio, fmtS, median, sec } from './bench-log.js';
import { S3_MODES, S3_MODE_LABELS, type RequestCounts, type S3Mode, type S3ModeResult, type S3Record, type S3Sample } from './s3-model.js';
import { getBudget } from './s3-requests.js';
import type { Row } from './results.js';
import type { Target } from './targets.js';

const good = (xs: readonly S3Sample[]): S3Sample[] => xs.filter((s) => s.error === undefined);
const rss = (xs: readonly S3Sample[]): number | null => {
  const kb = xs.map((s) => s.rssKb).filter((x): x is number => x !== null);
  return kb.length === 0 ? null : Math.max(...kb);
};
const floorOf = (m: S3ModeResult, direct: boolean): number[] => m.floor.filter((f) => f.direct === direct).map((f) => f.seconds);

/** ours / reference / the floor through the proxy (the tools' path), medians. */
export function s3Row(m: S3ModeResult): Row {
  const ours = median(good(m.ours).map((s) => s.seconds));
  const reference = median(good(m.reference).map((s) => s.seconds));
  const floor = median(floorOf(m, false));
  return { ours, reference, ratio: reference / ours, floor, oursFloor: ours / floor, rssKb: rss(m.ours), referenceRssKb: rss(m.reference) };
}

const medianOf = (xs: readonly S3Sample[], f: (c: RequestCounts) => number): number => median(xs.map((s) => f(s.requests)));
const kind = (c: RequestCounts, k: string): number => c.byKind[k] ?? 0;
const lists = (c: RequestCounts): number => kind(c, 'list') + kind(c, 'listDelimiter') + kind(c, 'stat');

/** Issue 16's budget for one of our runs, and whether the run kept within it (see README: requests per run). */
export function requestVerdict(rec: S3Record, mode: S3Mode, s: S3Sample): { ok: boolean; text: string } {
  const k = rec.tree.keys;
  const c = s.requests;
  const real = mode === 'delete-m';
  const budget = getBudget(k, real);
  const get = kind(c, 'get');
  const flatAllowed = Math.ceil(k.keys / 1000) + k.splitPrefixes;
  const doKeys = c.deleteObjectsKeys;
  const doAllowed = real ? Math.ceil(doKeys / 1000) + Math.max(0, (s.deletingPhases ?? 1) - 1) : 0;
  const perBlob = c.perBlob + kind(c, 'head') + kind(c, 'stat');
  const ok = perBlob === 0 && get <= budget && kind(c, 'list') <= flatAllowed && kind(c, 'deleteObjects') <= doAllowed;
  const over = get - budget;
  const extras = [`${fmtInt(c.gets['layerLink'] ?? 0)} layer-link reads`, `${fmtInt(c.repeatedGets)} repeated`].join(', ');
  const runs = c.deleteObjectsSizes.map(([n, times]) => (times > 1 ? `${n}×${times}` : `${n}`));
  const sizes = runs.length > 16 ? `${runs.slice(0, 16).join(', ')}, …` : runs.join(', ');
  const deletes = real ? `, ${fmtInt(kind(c, 'deleteObjects'))} DeleteObjects for ${fmtInt(doKeys)} keys (keys each: ${sizes}; allowed ${fmtInt(doAllowed)}: ⌈keys/1000⌉ + one partial batch per further phase that deletes, ${s.deletingPhases ?? '?'} did)` : '';
  const text = `${S3_MODE_LABELS[mode].replace(' (a fresh bucket per run)', '')}: ${fmtInt(kind(c, 'list'))} flat list pages (≤ ${fmtInt(flatAllowed)}) + ${fmtInt(kind(c, 'listDelimiter'))} grouped, ${fmtInt(get)} GET (budget ${fmtInt(budget)}${over > 0 ? `: **${fmtInt(over)} over**` : ''}; ${extras})${deletes}, ${fmtInt(perBlob)} per blob kept`;
  return { ok, text };
}

export function renderS3Target(t: Target, rec: S3Record | undefined): string {
  const tree = rec === undefined ? 's3' : `s3 (${fmtInt(rec.tree.keys.keys)} keys)`;
  if (rec === undefined || t.s3 === undefined) return `| ${tree} | ${t.label} | not run | | | | | | ${t.target} | — |`;
  if (t.s3 === 'requests') {
    const verdicts = S3_MODES.flatMap((mode) => (rec.modes[mode]?.ours ?? []).slice(0, 1).map((s) => requestVerdict(rec, mode, s)));
    const ref = S3_MODES.map((mode) => {
      const m = rec.modes[mode];
      if (m === undefined || m.reference.length === 0) return '';
      const r = m.reference;
      return `${S3_MODE_LABELS[mode].replace(' (a fresh bucket per run)', '')}: ${fmtInt(medianOf(r, (c) => c.total))} (${fmtInt(medianOf(r, lists))} listings, ${fmtInt(medianOf(r, (c) => kind(c, 'get')))} GET, ${fmtInt(medianOf(r, (c) => c.perBlob))} per blob kept)`;
    }).filter((x) => x !== '');
    const met = verdicts.length === S3_MODES.length && verdicts.every((v) => v.ok);
    return `| ${tree} | ${t.label} | ${verdicts.map((v) => v.text).join('; ')} | ${ref.join('; ')} | | | | | ${t.target} | ${met ? '**yes**' : '**no**'} |`;
  }
  const m = rec.modes[t.s3];
  if (m === undefined) return `| ${tree} | ${t.label} | not run | | | | | | ${t.target} | — |`;
  const r = s3Row(m);
  return `| ${tree} | ${t.label} | ${sec(r.ours)} | ${sec(r.reference)} | ${fmtRatio(r.ratio)} | ${sec(r.floor)} | ${fmtRatio(r.oursFloor)} | ${fmtMB(r.rssKb)} | ${t.target} | ${t.met(r) ? '**yes**' : '**no**'} |`;
}

const times = (xs: readonly number[]): string => `${sec(median(xs))}${xs.length > 1 ? ` (${xs.map(fmtS).join(', ')})` : ''}`;

export function renderS3(rec: S3Record): string[] {
  const s = rec.tree.summary;
  const k = rec.tree.keys;
  const out: string[] = ['## S3 (radosgw)', ''];
  out.push(
    `Issue 16's sitting (\`npm run bench:s3\`, [benchmarks/s3.ts](s3.ts); how to reproduce: [README](README.md#s3-radosgw)): the \`s3\` preset on ${fmtInt(rec.tree.repositories)} repositories, ${fmtInt(s.manifests)} manifests, ${fmtInt(s.tags)} tags, ${fmtInt(s.blobs)} blobs (${(s.blobBytes / 1e6).toFixed(1)} MB), uploaded key for key below rootdirectory \`/registry\` of a bucket on a throw-away ${rec.radosgw} (one mon, one OSD on memstore, beast, 127.0.0.1): ${fmtInt(k.keys)} keys, of which ${fmtInt(k.revisionLinks)} revision links, ${fmtInt(k.tagCurrentLinks)} tag current links, ${fmtInt(k.tagIndexLinks)} tag history links, ${fmtInt(k.layerLinks)} layer links, ${fmtInt(k.uploads)} uploads and ${fmtInt(k.manifests)} distinct manifests.`,
    '',
    `Both tools read one registry config.yml whose \`regionendpoint\` is a counting proxy in front of radosgw (harness/s3-proxy.ts, in the benchmark's process): every request is counted by kind. Ours is \`node dist/cli.js [-d] [-m] --json CONFIG\` (dist ${rec.build.distHash}, HEAD ${rec.build.commit}${rec.build.srcDirty ? ' + uncommitted src/' : ''}), the reference \`docker-registry garbage-collect [--dry-run] [-m] CONFIG\`, both with AWS_* and REGISTRY_* out of their environment; wall time is around each process. Measured ${rec.date.slice(0, 16).replace('T', ' ')} UTC, ${fmtS(rec.seconds)} s in all; ${rec.machine.cores} cores, Node ${rec.machine.node}, ${rec.machine.reference ?? ''}.`,
    '',
    `The **request floor** (lib/s3-floor.ts, in its own process, timed from its first request): one flat, paginated ListObjectsV2 of \`registry/\`, and as each page arrives one GET per revision link, tag current link, upload \`startedat\` and distinct manifest, ${rec.requestsInFlight} in flight. Tag history links are not read (a tag's history is the listing's folder names). The ratio columns use the floor through the proxy, as the tools go; the floor straight to radosgw shows what the proxy costs.`,
    '',
    '| mode | ours: median (runs) | reference: median (runs) | reference / ours | floor via proxy | floor direct (its listing alone) | ours / floor | peak RSS ours / reference | load 1/5/15 before → after |',
    '|---|---|---|---|---|---|---|---|---|',
  );
  for (const mode of S3_MODES) {
    const m = rec.modes[mode];
    if (m === undefined) continue;
    const r = s3Row(m);
    const direct = m.floor.filter((f) => f.direct);
    out.push(
      `| ${S3_MODE_LABELS[mode]} | ${times(m.ours.map((x) => x.seconds))} | ${times(m.reference.map((x) => x.seconds))} | **${fmtRatio(r.ratio)}** | ${m.floor.length > 0 ? times(floorOf(m, false)) : '—'} | ${direct.length > 0 ? `${times(floorOf(m, true))} (${sec(median(direct.map((f) => f.listSeconds)))})` : '—'} | ${m.floor.length > 0 ? fmtRatio(r.oursFloor) : '—'} | ${fmtMB(r.rssKb)} / ${fmtMB(r.referenceRssKb)} | ${fmtLoad(m.loadBefore)} → ${fmtLoad(m.loadAfter)} |`,
    );
  }
  const warm = S3_MODES.flatMap((mode) => {
    const w = rec.modes[mode]?.warmup;
    return w?.ours === undefined ? [] : [`${S3_MODE_LABELS[mode]}: ours ${sec(w.ours)}, floor ${sec(w.floor ?? Number.NaN)}`];
  });
  const del = rec.modes['delete-m'];
  out.push('', `Warm-up runs (not counted; the reference has none, its runs come after ours have warmed radosgw): ${warm.join('; ')}.${del?.uploads ? ` Real runs: each on a fresh bucket, uploaded first (${del.uploads.map(fmtS).join(', ')} s, not timed), emptied after.` : ''}`, '');

  out.push(
    '**Requests per run** (median of the runs; "grouped": ListObjectsV2 with `delimiter=/`; "stat": `max-keys=1` listings of one key, the reference\'s Stat; "per blob kept": HEAD, GET or stat of a blob that is no manifest):',
    '',
    '| mode | who | flat list | grouped | stat | GET | PUT | DELETE | DeleteObjects (keys) | all | per blob kept | revision links | tag current | tag history | startedat | layer links | manifests | other blobs | repeated GETs |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
  );
  for (const mode of S3_MODES) {
    const m = rec.modes[mode];
    if (m === undefined) continue;
    for (const [who, xs] of [['ours', m.ours], ['reference', m.reference]] as const) {
      if (xs.length === 0) continue;
      const n = (f: (c: RequestCounts) => number): string => fmtInt(medianOf(xs, f));
      const g = (cat: string): string => n((c) => c.gets[cat] ?? 0);
      out.push(
        `| ${S3_MODE_LABELS[mode]} | ${who} | ${n((c) => kind(c, 'list'))} | ${n((c) => kind(c, 'listDelimiter'))} | ${n((c) => kind(c, 'stat'))} | ${n((c) => kind(c, 'get'))} | ${n((c) => kind(c, 'put'))} | ${n((c) => kind(c, 'delete'))} | ${n((c) => kind(c, 'deleteObjects'))} (${n((c) => c.deleteObjectsKeys)}) | ${n((c) => c.total)} | ${n((c) => c.perBlob)} | ${g('revisionLink')} | ${g('tagCurrentLink')} | ${g('tagIndexLink')} | ${g('startedAt')} | ${g('layerLink')} | ${g('manifest')} | ${g('blob')} | ${n((c) => c.repeatedGets)} |`,
      );
    }
    const f = m.floor.find((x) => !x.direct);
    if (f !== undefined) {
      out.push(`| ${S3_MODE_LABELS[mode]} | floor | ${fmtInt(f.pages)} | 0 | 0 | ${fmtInt(f.requests['get'])} | 0 | 0 | 0 | ${fmtInt(f.pages + (f.requests['get'] ?? 0))} | 0 | ${fmtInt(f.reads.revisionLinks)} | ${fmtInt(f.reads.tagCurrentLinks)} | 0 | ${fmtInt(f.reads.startedAt)} | 0 | ${fmtInt(f.reads.manifests)} | 0 | 0 |`);
    }
  }
  // Where our time goes: the report's phases (`list` is the listing and every read-ahead GET), and what lies outside them.
  out.push('');
  for (const mode of S3_MODES) {
    const xs = good(rec.modes[mode]?.ours ?? []).filter((x) => x.durations !== undefined);
    if (xs.length === 0) continue;
    const names = Object.keys(xs[0]?.durations ?? {});
    const ms = (n: string): number => median(xs.map((x) => x.durations?.[n] ?? Number.NaN));
    const inside = names.filter((n) => n !== 'blobs').reduce((a, n) => a + ms(n), 0);
    const wall = median(xs.map((x) => x.seconds)) * 1000;
    out.push(`- registry-gc's phases, ${S3_MODE_LABELS[mode]} (its \`durations\`, median ms): ${names.map((n) => `${n} ${ms(n).toFixed(0)}`).join(', ')}; outside them (start-up, modules, output) ${(wall - inside).toFixed(0)} of ${wall.toFixed(0)}.`);
  }
  out.push('', `Against issue 16's budget (per run of ours: flat list pages ≤ ⌈keys/1000⌉ + the ${fmtInt(k.splitPrefixes)} prefixes the listing is split at; GETs ≤ one per revision link, tag link (current and history), upload and manifest, + the lock's read-back in a real run; DeleteObjects ≤ ⌈keys/1000⌉ per phase that deletes; nothing per blob kept):`, '');
  for (const mode of S3_MODES) for (const s of (rec.modes[mode]?.ours ?? []).slice(0, 1)) {
    const v = requestVerdict(rec, mode, s);
    out.push(`- ${v.text}: ${v.ok ? 'within' : '**not within**'}.`);
  }
  out.push('', `Correctness guard: registry-gc \`-m\` on a disk copy of the same tree left ${fmtInt(rec.guard.keysLeft)} files (${sec(rec.guard.seconds)})${rec.guard.error !== undefined ? `; **it failed**: ${rec.guard.error}` : ''}; each real run of ours must leave exactly those keys.`, '');

  const checks = S3_MODES.flatMap((mode) => (rec.modes[mode]?.checks ?? []).map((c) => `${S3_MODE_LABELS[mode]}: ${c}`));
  const problems = S3_MODES.flatMap((mode) => (rec.modes[mode]?.problems ?? []).map((c) => `${S3_MODE_LABELS[mode]}: ${c}`));
  if (checks.length > 0) out.push('Checked against the generator’s expectations and the guard:', '', ...checks.map((c) => `- ${c}`), '');
  if (problems.length > 0) out.push('**Problems:**', '', ...problems.map((c) => `- ${c}`), '');
  return out;
}
