/**
 * Issue 16's S3 rows: registry-gc against Debian's `docker-registry
 * garbage-collect` 2.8.2 and the request floor, on one radosgw, one sitting.
 *
 *   npm run bench:s3 [-- --runs N] [--delete-runs N] [--repositories N] [--record FILE]
 *
 * It generates the `s3` preset (benchmarks/presets.ts, ~29,000 keys), starts a
 * throw-away radosgw (harness/radosgw.ts, objects in RAM, 127.0.0.1) with a
 * counting proxy in front of it (harness/s3-proxy.ts), uploads the tree below
 * rootdirectory `/registry` and writes a registry config.yml whose
 * `regionendpoint` is the proxy, so every request of either tool is counted
 * by kind. Then:
 *
 * - a registry-gc `-m` real run on a disk copy of the tree: the keys it leaves
 *   are what our S3 runs must leave (the correctness guard);
 * - dry run and `-m` dry run: an untimed warm-up of ours and of the floor,
 *   then `--runs` rounds of ours, reference, floor through the proxy, floor
 *   straight to radosgw (lib/s3-floor.ts);
 * - real `-m` run: per round and tool a fresh bucket (uploaded untimed), the
 *   timed run, the keys left counted and checked, the bucket emptied.
 *
 * Ours is the built CLI (`npm run build` first; a snapshot of dist/), given the
 * config, as an operator runs it; wall time is around each child process.
 * Results go to benchmarks/results/s3.json and RESULTS.md's "S3 (radosgw)"
 * section (`--record FILE`: that file only, RESULTS.md untouched).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { hasRadosgw, startRadosgw } from '../harness/radosgw.js';
import { hasDockerRegistry, registryEnv } from '../harness/registry-server.js';
import { startS3Proxy } from '../harness/s3-proxy.js';
import { generateRegistry } from './generate.js';
import { PRESETS, type GenerateParams } from './presets.js';
import { fmtInt, fmtRatio, fmtS, load, log, median, runStarted } from './lib/bench-log.js';
import { machineInfo, pickSummary, snapshotDist } from './lib/bench-setup.js';
import type { Tool, TreeSummary } from './lib/bench-model.js';
import { execute, tail } from './lib/child-process.js';
import { runIfEntryPoint } from './lib/entry.js';
import { saveRecord, writeResults } from './lib/results.js';
import { S3_MODE_LABELS, type S3Mode, type S3ModeResult, type S3Record, type S3Sample } from './lib/s3-model.js';
import { treeKeys } from './lib/s3-requests.js';
import { emptyBucket, listKeys, newBucket, runS3Floor, runS3Tool, upload, type S3Bench } from './lib/s3-tools.js';

const USAGE = `usage: npm run bench:s3 [-- options]
  --runs N            timed runs per tool in each dry mode (default 3)
  --delete-runs N     real -m runs per tool, each on a fresh bucket (default 2)
  --repositories N    repositories of the s3 preset (default ${PRESETS.s3.repositories}; counts of orphans, uploads scale with it)
  --requests N        the floor's requests in flight (default 64, registry-gc's default)
  --timeout S         timeout of every child process (default 1800)
  --record FILE       write the record there only (RESULTS.md and benchmarks/results/ untouched)
needs: radosgw ceph-mon ceph-osd docker-registry (apt-get install --no-install-recommends radosgw ceph-mon ceph-osd docker-registry), npm run build`;

interface S3Options {
  runs: number;
  deleteRuns: number;
  repositories: number;
  requests: number;
  timeout: number;
  record: string | undefined;
}

function parse(argv: readonly string[]): S3Options | string {
  const o: S3Options = { runs: 3, deleteRuns: 2, repositories: PRESETS.s3.repositories, requests: 64, timeout: 1800, record: undefined };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = argv[++i];
    const n = Number(value);
    if (a === '--record' && value !== undefined) o.record = path.resolve(value);
    else if (!Number.isInteger(n) || n < 1) return `${a ?? ''} needs a positive integer\n${USAGE}`;
    else if (a === '--runs') o.runs = n;
    else if (a === '--delete-runs') o.deleteRuns = n;
    else if (a === '--repositories') o.repositories = n;
    else if (a === '--requests') o.requests = n;
    else if (a === '--timeout') o.timeout = n;
    else return `unknown option ${a ?? ''}\n${USAGE}`;
  }
  return o;
}

/** The s3 preset on `repositories` repositories; the garbage scales with them. Upload ages are today's: the runs use the real clock. */
export function s3Params(repositories: number): GenerateParams {
  const p = PRESETS.s3;
  const scale = (n: number): number => Math.max(1, Math.round((n * repositories) / p.repositories));
  return {
    ...p,
    repositories,
    now: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
    orphanBlobs: scale(p.orphanBlobs),
    deletedRepositories: scale(p.deletedRepositories),
    staleUploads: scale(p.staleUploads),
    freshUploads: scale(p.freshUploads),
    uploadOnlyRepositories: scale(p.uploadOnlyRepositories),
  };
}

/** Files below `dir`, relative to it (forward slashes). */
function filesBelow(dir: string, base = dir): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesBelow(path.join(dir, e.name), base) : [path.relative(base, path.join(dir, e.name)).split(path.sep).join('/')]));
}

/** Adds a check, or a problem when some value is not the expected one. */
function expect(m: S3ModeResult, what: string, got: readonly (number | undefined)[], want: number): void {
  const bad = got.filter((g) => g !== want);
  (bad.length === 0 ? m.checks : m.problems).push(`${what}: ${got.map((g) => fmtInt(g)).join(', ')} (expected ${fmtInt(want)})`);
}

const okSeconds = (xs: readonly S3Sample[]): number => median(xs.filter((s) => s.error === undefined).map((s) => s.seconds));

export async function main(argv: readonly string[]): Promise<number> {
  const options = parse(argv);
  if (typeof options === 'string') {
    process.stderr.write(`${options}\n`);
    return 2;
  }
  if (!hasRadosgw() || !hasDockerRegistry()) throw new Error('radosgw and docker-registry are needed: apt-get install --no-install-recommends radosgw ceph-mon ceph-osd docker-registry');
  const { cli, build } = snapshotDist();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'registry-gc-bench-s3-'));
  const gw = await startRadosgw();
  const proxy = await startS3Proxy(gw.endpoint);
  try {
    const machine = await machineInfo(tmp, true);
    const radosgw = execFileSync('radosgw', ['--version'], { encoding: 'utf8' }).trim().split('\n')[0] ?? '?';
    const root = path.join(tmp, 'tree');
    const summary: TreeSummary = pickSummary(generateRegistry(root, s3Params(options.repositories)));
    log(`s3 tree: ${fmtInt(summary.files)} files (${fmtInt(summary.manifests)} manifests, ${fmtInt(summary.tags)} tags, ${fmtInt(summary.blobs)} blobs, ${(summary.blobBytes / 1e6).toFixed(1)} MB); ${radosgw}`);
    const b: S3Bench = { tmp, cli, gw, proxy, timeout: options.timeout, requests: options.requests, manifests: new Set(), seq: 0 };

    const dryBucket = await newBucket(b, 'bench-dry');
    const up = await upload(dryBucket, root);
    const keys = (await listKeys(dryBucket)).filter((k) => k.startsWith('docker/registry/v2/')).map((k) => k.slice('docker/registry/v2/'.length));
    const { manifestHexes, ...counted } = treeKeys(keys);
    b.manifests = manifestHexes;
    log(`uploaded ${fmtInt(up.keys)} keys in ${fmtS(up.seconds)} s: ${JSON.stringify(counted)}`);
    if (keys.length !== summary.files) throw new Error(`the bucket holds ${keys.length} keys below v2/, the tree ${summary.files} files`);

    // The guard: registry-gc's real -m run on a disk copy; our S3 runs must leave exactly its files.
    const copy = path.join(tmp, 'disk-copy');
    fs.cpSync(root, copy, { recursive: true });
    const g = await execute([process.execPath, cli, '-m', '--json', '--quiet', copy], { stdout: path.join(tmp, 'guard.out'), stderr: path.join(tmp, 'guard.err'), timeout: options.timeout, time: false, env: registryEnv() });
    const guardKeys = new Set(filesBelow(path.join(copy, 'docker')).map((f) => `docker/${f}`));
    const guard = { keysLeft: guardKeys.size, seconds: g.seconds, ...(g.exit === 0 ? {} : { error: `exit ${g.exit ?? g.signal}: ${tail(path.join(tmp, 'guard.err'), 400)}` }) };
    log(`guard (registry-gc -m on a disk copy): ${fmtInt(guardKeys.size)} files left, ${fmtS(g.seconds)} s${guard.error ? `; ERROR ${guard.error}` : ''}`);

    const record: S3Record = {
      kind: 's3',
      date: new Date().toISOString(),
      build,
      machine,
      radosgw,
      seconds: 0,
      tree: { preset: 's3', repositories: options.repositories, summary, keys: counted },
      requestsInFlight: options.requests,
      modes: {},
      guard,
    };
    const e = summary.expected;
    const newMode = (mode: S3Mode): S3ModeResult => ({ mode, date: new Date().toISOString(), loadBefore: load(), loadAfter: [], seconds: 0, ours: [], reference: [], floor: [], warmup: {}, checks: [], problems: [] });
    const finish = (m: S3ModeResult): void => {
      m.loadAfter = load();
      m.seconds = (Date.now() - Date.parse(m.date)) / 1000;
      for (const s of [...m.ours, ...m.reference]) if (s.error !== undefined) m.problems.push(`a run failed: ${s.error}`);
      record.modes[m.mode] = m;
      const r = okSeconds(m.reference) / okSeconds(m.ours);
      const floor = median(m.floor.filter((f) => !f.direct).map((f) => f.seconds));
      log(`${S3_MODE_LABELS[m.mode]}: ours ${fmtS(okSeconds(m.ours))} s, reference ${fmtS(okSeconds(m.reference))} s (${fmtRatio(r)}), floor ${fmtS(floor)} s${m.problems.length > 0 ? `; PROBLEMS: ${m.problems.join('; ')}` : ''}`);
    };

    // Dry modes, one bucket, tools alternating with the floor.
    for (const mode of ['dry', 'dry-m'] as const) {
      const m = newMode(mode);
      const untagged = mode === 'dry-m';
      m.warmup.ours = (await runS3Tool(b, 'ours', true, untagged, dryBucket)).seconds;
      m.warmup.floor = (await runS3Floor(b, dryBucket, false)).seconds;
      for (let i = 0; i < options.runs; i++) {
        for (const tool of ['ours', 'reference'] as const) {
          const s = await runS3Tool(b, tool, true, untagged, dryBucket);
          m[tool].push(s);
          log(`  ${mode} ${tool}: ${fmtS(s.seconds)} s, ${fmtInt(s.requests.total)} requests ${JSON.stringify(s.requests.byKind)}${s.error ? `, ERROR ${s.error}` : ''}`);
        }
        for (const direct of [false, true]) m.floor.push(await runS3Floor(b, dryBucket, direct));
      }
      const want = untagged ? e.deleteUntagged : e.default;
      const ref = untagged ? e.referenceDeleteUntagged : e.default;
      expect(m, 'blobs registry-gc would delete', m.ours.map((s) => s.blobsDeleted), want.deletedBlobs);
      expect(m, 'manifests registry-gc would delete', m.ours.map((s) => s.manifestsDeleted), want.deletedManifests);
      expect(m, 'blobs the reference would delete', m.reference.map((s) => s.blobsDeleted), ref.deletedBlobs);
      expect(m, 'manifests the reference would delete', m.reference.map((s) => s.manifestsDeleted), ref.deletedManifests);
      expect(m, 'keys the floor listed', m.floor.map((f) => f.keys), keys.length);
      expect(m, 'manifests the floor read', m.floor.map((f) => f.reads.manifests), counted.manifests);
      finish(m);
    }

    // Real -m runs: each on a fresh bucket, uploaded untimed.
    const m = newMode('delete-m');
    m.uploads = [];
    for (let i = 0; i < options.deleteRuns; i++) {
      for (const tool of ['ours', 'reference'] as Tool[]) {
        const bucket = await newBucket(b, `bench-m-${tool === 'ours' ? 'ours' : 'ref'}-${i + 1}`);
        m.uploads.push((await upload(bucket, root)).seconds);
        const s = await runS3Tool(b, tool, false, true, bucket);
        const left = await listKeys(bucket);
        s.keysLeft = left.length;
        const blobsLeft = left.filter((k) => /^docker\/registry\/v2\/blobs\/.*\/data$/.test(k)).length;
        expect(m, `blobs left after ${tool === 'ours' ? 'registry-gc' : 'the reference'}, run ${i + 1}`, [blobsLeft], tool === 'ours' ? e.deleteUntagged.keptBlobs : e.referenceDeleteUntagged.keptBlobs);
        if (tool === 'ours') {
          const leftSet = new Set(left);
          const extra = left.filter((k) => !guardKeys.has(k));
          const missing = [...guardKeys].filter((k) => !leftSet.has(k));
          (extra.length + missing.length === 0 ? m.checks : m.problems).push(
            `run ${i + 1}: the bucket's ${fmtInt(left.length)} keys ${extra.length + missing.length === 0 ? 'are exactly' : 'differ from'} the ${fmtInt(guardKeys.size)} files registry-gc -m leaves on a disk copy${extra.length + missing.length === 0 ? '' : ` (left in S3 only: ${extra.slice(0, 3).join(', ')}${extra.length > 3 ? ` … ${extra.length}` : ''}; on disk only: ${missing.slice(0, 3).join(', ')}${missing.length > 3 ? ` … ${missing.length}` : ''})`}`,
          );
        }
        m[tool === 'ours' ? 'ours' : 'reference'].push(s);
        log(`  delete-m ${tool}: ${fmtS(s.seconds)} s, ${fmtInt(s.requests.total)} requests ${JSON.stringify(s.requests.byKind)}, ${fmtInt(left.length)} keys left${s.error ? `, ERROR ${s.error}` : ''}`);
        await emptyBucket(bucket);
      }
    }
    expect(m, 'blobs registry-gc deleted', m.ours.map((s) => s.blobsDeleted), e.deleteUntagged.deletedBlobs);
    expect(m, 'manifests registry-gc deleted', m.ours.map((s) => s.manifestsDeleted), e.deleteUntagged.deletedManifests);
    expect(m, 'blobs the reference deleted', m.reference.map((s) => s.blobsDeleted), e.referenceDeleteUntagged.deletedBlobs);
    expect(m, 'manifests the reference deleted', m.reference.map((s) => s.manifestsDeleted), e.referenceDeleteUntagged.deletedManifests);
    finish(m);

    record.seconds = (Date.now() - runStarted) / 1000;
    if (options.record !== undefined) fs.writeFileSync(options.record, `${JSON.stringify(record, null, 1)}\n`);
    else {
      saveRecord('s3', record);
      writeResults();
    }
    log(`done in ${fmtS(record.seconds)} s`);
    return Object.values(record.modes).some((x) => (x?.problems.length ?? 0) > 0) || guard.error !== undefined ? 1 : 0;
  } finally {
    await proxy.close();
    await gw.destroy();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

runIfEntryPoint(import.meta.url, main, 'bench:s3: ');
