/**
 * Checks a generated tree against the real registry (Debian's
 * docker-registry 2.8.2), so that benchmark trees are known to be trees the
 * registry itself reads and serves:
 *
 * 1. `garbage-collect --dry-run` succeeds, and the blobs it calls eligible
 *    for deletion are exactly the expected default-mode list (the orphans).
 * 2. With `--delete-untagged`: `garbage-collect --dry-run -m` deletes exactly
 *    the manifests and blobs the generator predicts for the reference.
 * 3. With `--serve`: `docker-registry serve` (read-only, upload purging off,
 *    127.0.0.1 only) answers every sample manifest by tag or digest with the
 *    right digest and content type, and every referenced blob with bytes of
 *    the right digest.
 *
 *   npx tsx benchmarks/check-reference.ts ROOT EXPECT_FILE [--delete-untagged] [--serve]
 *
 * Nothing in the tree is modified: the gc runs are dry runs, and the server
 * is read-only.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Sample } from './lib/generator.js';
import { runIfEntryPoint } from './lib/entry.js';
import type { ExpectationLists } from './lib/model.js';
import { registryConfigYaml } from '../harness/registry-server.js';

const ACCEPT = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ');

interface ExpectFile {
  lists: ExpectationLists;
  samples: Sample[];
}

function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string; seconds: number }> {
  const started = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const child = spawn('docker-registry', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code: code ?? -1, stdout, stderr, seconds: Number(process.hrtime.bigint() - started) / 1e9 }));
  });
}

function sameSet(label: string, actual: Iterable<string>, expected: Iterable<string>): string[] {
  const a = new Set(actual);
  const e = new Set(expected);
  const extra = [...a].filter((x) => !e.has(x));
  const missing = [...e].filter((x) => !a.has(x));
  if (extra.length === 0 && missing.length === 0) return [];
  return [`${label}: ${a.size} found, ${e.size} expected; unexpected ${extra.slice(0, 3).join(' ')}; missing ${missing.slice(0, 3).join(' ')}`];
}

/** Lines of 2.8.2's output; a manifest line belongs to the last bare repository line before it. */
function parse(stdout: string): { blobs: string[]; manifests: string[]; summary: string | undefined } {
  const blobs: string[] = [];
  const manifests: string[] = [];
  let repository = '';
  let summary: string | undefined;
  for (const line of stdout.split('\n')) {
    let m: RegExpMatchArray | null;
    if ((m = /^blob eligible for deletion: (\S+)$/.exec(line))) blobs.push(m[1] ?? '');
    else if ((m = /^manifest eligible for deletion: (\S+)$/.exec(line))) manifests.push(`${repository}@${m[1] ?? ''}`);
    else if (/^\d+ blobs marked/.test(line)) summary = line;
    else if (/^[a-z0-9][a-z0-9._/-]*$/.test(line)) repository = line;
  }
  return { blobs, manifests, summary };
}

async function gc(configPath: string, lists: ExpectationLists, deleteUntagged: boolean): Promise<string[]> {
  const args = ['garbage-collect', '--dry-run', ...(deleteUntagged ? ['--delete-untagged'] : []), configPath];
  const result = await run(args);
  const label = `garbage-collect --dry-run${deleteUntagged ? ' -m' : ''}`;
  if (result.code !== 0) return [`${label} exited ${result.code}: ${result.stderr.slice(-2000)}`];
  const parsed = parse(result.stdout);
  const expected = deleteUntagged ? lists.referenceDeleteUntagged : lists.default;
  process.stderr.write(`${label}: ${result.seconds.toFixed(2)} s; ${parsed.summary ?? 'no summary line'}\n`);
  return [
    ...sameSet(`${label} blobs`, parsed.blobs, expected.deletedBlobs),
    ...sameSet(`${label} manifests`, parsed.manifests, expected.deletedManifests.map((m) => `${m.repository}@${m.digest}`)),
  ];
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

const sha256 = (bytes: Uint8Array): string => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

async function pull(base: string, sample: Sample, problems: string[]): Promise<string> {
  const name = `${sample.repository}@${sample.tag ?? sample.digest}`;
  const res = await fetch(`${base}/v2/${sample.repository}/manifests/${sample.tag ?? sample.digest}`, { headers: { Accept: ACCEPT } });
  const body = new Uint8Array(await res.arrayBuffer());
  if (res.status !== 200) {
    problems.push(`GET manifest ${name}: HTTP ${res.status} ${Buffer.from(body).toString('utf8').slice(0, 300)}`);
    return name;
  }
  if (res.headers.get('docker-content-digest') !== sample.digest || sha256(body) !== sample.digest) {
    problems.push(`GET manifest ${name}: digest ${res.headers.get('docker-content-digest')} / ${sha256(body)}, expected ${sample.digest}`);
  }
  if (res.headers.get('content-type') !== sample.mediaType) problems.push(`GET manifest ${name}: content type ${res.headers.get('content-type')}`);
  const doc = JSON.parse(Buffer.from(body).toString('utf8')) as { config?: { digest: string; urls?: string[] }; layers?: { digest: string; urls?: string[] }[]; manifests?: { digest: string }[] };
  const blobs = [doc.config, ...(doc.layers ?? [])].filter((b): b is { digest: string; urls?: string[] } => b !== undefined && b.urls === undefined);
  for (const blob of blobs) {
    const r = await fetch(`${base}/v2/${sample.repository}/blobs/${blob.digest}`);
    const bytes = new Uint8Array(await r.arrayBuffer());
    if (r.status !== 200 || sha256(bytes) !== blob.digest) problems.push(`GET blob ${sample.repository}@${blob.digest}: HTTP ${r.status}, digest ${sha256(bytes)}`);
  }
  const child = doc.manifests?.[0];
  if (child !== undefined) {
    const r = await fetch(`${base}/v2/${sample.repository}/manifests/${child.digest}`, { headers: { Accept: ACCEPT } });
    const bytes = new Uint8Array(await r.arrayBuffer());
    if (r.status !== 200 || sha256(bytes) !== child.digest) problems.push(`GET child ${sample.repository}@${child.digest}: HTTP ${r.status}`);
  }
  return `${name} (${sample.kind}, ${blobs.length} blobs${child ? ', first child' : ''})`;
}

async function serve(root: string, dir: string, samples: readonly Sample[]): Promise<string[]> {
  const port = await freePort();
  const configPath = path.join(dir, 'serve.yml');
  fs.writeFileSync(configPath, registryConfigYaml(root, { port, readonly: true }));
  const child = spawn('docker-registry', ['serve', configPath], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr = (stderr + c).slice(-4000)));
  const base = `http://127.0.0.1:${port}`;
  const problems: string[] = [];
  try {
    for (let i = 0; ; i++) {
      const ok = await fetch(`${base}/v2/`).then((r) => r.status === 200, () => false);
      if (ok) break;
      if (i > 100 || child.exitCode !== null) return [`docker-registry serve did not start: ${stderr}`];
      await sleep(100);
    }
    for (const sample of samples) process.stderr.write(`pulled ${await pull(base, sample, problems)}\n`);
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) => (child.exitCode !== null ? resolve(null) : child.once('exit', resolve)));
  }
  return problems;
}

export async function main(argv: readonly string[]): Promise<number> {
  const [root, expectFile] = argv.filter((a) => !a.startsWith('--'));
  if (root === undefined || expectFile === undefined) {
    process.stderr.write('usage: npx tsx benchmarks/check-reference.ts ROOT EXPECT_FILE [--delete-untagged] [--serve]\n');
    return 2;
  }
  const expected = JSON.parse(fs.readFileSync(expectFile, 'utf8')) as ExpectFile;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'registry-gc-check-'));
  try {
    const configPath = path.join(dir, 'gc.yml');
    fs.writeFileSync(configPath, registryConfigYaml(path.resolve(root), { port: 5000, readonly: true }));
    const problems = await gc(configPath, expected.lists, false);
    if (argv.includes('--delete-untagged')) problems.push(...(await gc(configPath, expected.lists, true)));
    if (argv.includes('--serve')) problems.push(...(await serve(path.resolve(root), dir, expected.samples)));
    for (const p of problems) process.stderr.write(`FAIL ${p}\n`);
    process.stderr.write(problems.length === 0 ? 'OK: the reference agrees with the expectations\n' : `${problems.length} problem(s)\n`);
    return problems.length === 0 ? 0 : 1;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

runIfEntryPoint(import.meta.url, main);
