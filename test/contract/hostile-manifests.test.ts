/**
 * Hostile manifests (issue 5, spec §3): bytes that are not a manifest, a
 * manifest far over the size limit, indexes nested thousands deep, and
 * indexes and referrers that name themselves. A kept manifest that cannot be
 * understood fails the run before any deletion, naming it; shapes that are
 * valid but pathological must neither overflow the stack, nor loop, nor
 * exhaust memory, and then only the usual garbage goes.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { Digest } from '../../src/registry/digest.js';
import { MediaType } from '../../src/registry/manifest.js';
import { repoRoot } from '../support/crash-harness.js';
import { expectFinding, hostileTree, HostileTally, rel, runGc, usualGarbage, type HostileTree } from '../support/hostile.js';
import type { Descriptor } from '../../harness/tree.js';

const tally = new HostileTally('hostile-manifests');
afterAll(() => tally.log());

/** Tags `content` as app:bad; the run must refuse before deleting, naming its blob with `code`. */
async function expectRefusedFor(content: string, code: string): Promise<void> {
  const h = hostileTree();
  const bad = h.t.rawManifest('app', content, { tag: 'bad' });
  const check = tally.watch(h.t.root, h.outside);
  const outcome = await runGc(h.t.root);
  check([]);
  expect(outcome.error?.code, 'the run went ahead').toBe('E_MARK_INCOMPLETE');
  expectFinding(outcome, code, rel(h.t, h.t.layout.blobData(bad.digest)));
}

const layer = { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', size: 3 };
const config = { mediaType: 'application/vnd.oci.image.config.v1+json', size: 2, digest: `sha256:${'c'.repeat(64)}` };

describe('a tagged manifest that is not one', () => {
  it('not JSON', () => expectRefusedFor('{"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json", "layers": [', 'manifest_unparsable'));
  it('JSON, but an array', () => expectRefusedFor('[{"schemaVersion": 2}]', 'manifest_unparsable'));
  it('JSON, but a string', () => expectRefusedFor('"application/vnd.oci.image.manifest.v1+json"', 'manifest_unparsable'));
  it('JSON, but null', () => expectRefusedFor('null', 'manifest_unparsable'));
  it('JSON nested a million arrays deep', () => expectRefusedFor(`${'['.repeat(1_000_000)}${']'.repeat(1_000_000)}`, 'manifest_unparsable'));
  it('a layer descriptor without digest', () =>
    expectRefusedFor(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.ociManifest, config, layers: [layer] }), 'manifest_unparsable'));
  it('a config descriptor without digest', () =>
    expectRefusedFor(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.dockerSchema2, config: { mediaType: 'x', size: 1 }, layers: [] }), 'manifest_unparsable'));
  it('an index child without digest', () =>
    expectRefusedFor(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: [{ mediaType: MediaType.ociManifest, size: 1 }] }), 'manifest_unparsable'));
  it('a descriptor whose digest is a path', () =>
    expectRefusedFor(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: [{ mediaType: MediaType.ociManifest, size: 1, digest: '../../../../etc/passwd' }] }), 'manifest_unparsable'));
});

/** Writes a 64 MiB manifest blob in 1 MiB pieces (no 64 MiB buffer in this process either) and tags it. */
function writeHugeManifest(h: HostileTree): Digest {
  const head = `{"schemaVersion":2,"mediaType":"${MediaType.ociManifest}","config":${JSON.stringify(h.a.config)},"layers":${JSON.stringify(h.a.layers)},"annotations":{"padding":"`;
  const tail = '"}}';
  const piece = Buffer.alloc(1 << 20, 'a');
  const total = 64 << 20;
  const hash = createHash('sha256');
  const pieces = [Buffer.from(head)];
  for (let size = head.length + tail.length; size < total; size += piece.length) pieces.push(piece.subarray(0, Math.min(piece.length, total - size)));
  pieces.push(Buffer.from(tail));
  for (const p of pieces) hash.update(p);
  const digest = `sha256:${hash.digest('hex')}` as Digest;
  const file = h.t.layout.blobData(digest);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const fd = fs.openSync(file, 'w');
  for (const p of pieces) fs.writeSync(fd, p);
  fs.closeSync(fd);
  h.t.revision('app', digest);
  h.t.tag('app', 'huge', digest);
  return digest;
}

/** Runs the built library in a fresh process; returns its outcome and peak resident memory in bytes. */
function runIsolated(root: string): { code: string | undefined; problems: Array<{ code: string; path: string }>; maxRss: number } {
  const index = pathToFileURL(path.join(repoRoot, 'dist', 'index.js')).href;
  const script = `
    const { collectGarbage } = await import(${JSON.stringify(index)});
    let out = { code: undefined, problems: [] };
    try { await collectGarbage(process.argv[1], { deleteUntagged: true }); }
    catch (e) { out = { code: e.code, problems: e.problems ?? [] }; }
    console.log(JSON.stringify({ ...out, maxRss: process.resourceUsage().maxRSS * 1024 }));`;
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', script, root], { encoding: 'utf8', timeout: 60_000 });
  expect(result.status, result.stderr).toBe(0);
  return JSON.parse(result.stdout.trim().split('\n').at(-1)!);
}

describe('size, depth and cycles', () => {
  it('a 64 MiB manifest: manifest_too_large naming it, nothing deleted, and it is never read into memory', () => {
    const baseline = runIsolated(hostileTree().t.root);
    const h = hostileTree();
    try {
      const digest = writeHugeManifest(h);
      const check = tally.watch(h.t.root, h.outside);
      const outcome = runIsolated(h.t.root);
      check([]);
      expect(outcome.code).toBe('E_MARK_INCOMPLETE');
      expect(outcome.problems).toContainEqual(expect.objectContaining({ code: 'manifest_too_large', path: rel(h.t, h.t.layout.blobData(digest)) }));
      // A run that read the blob would peak at least 64 MiB above a run on a small tree.
      expect(outcome.maxRss - baseline.maxRss).toBeLessThan(32 << 20);
    } finally {
      fs.rmSync(h.t.root, { recursive: true, force: true });
    }
  }, 60_000);

  /** Tags an index chain `depth` deep over a small image; every level is kept, nothing else. */
  async function nestedIndexes(depth: number): Promise<void> {
    const h = hostileTree();
    const leaf = h.t.image('app', { format: 'oci' });
    let child: Descriptor = leaf.manifest;
    for (let i = 1; i < depth; i++) child = h.t.manifestBlob({ schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: [child] }, MediaType.ociIndex);
    h.t.index('app', [child], { tag: 'deep' });
    const check = tally.watch(h.t.root, h.outside);
    const outcome = await runGc(h.t.root);
    check(usualGarbage(h));
    expect(outcome.error).toBeUndefined();
  }

  it('indexes nested 2,000 deep: no stack overflow, every level kept', () => nestedIndexes(2_000), 60_000);

  it('an index that contains itself (a corrupt blob naming its own folder digest): terminates, kept', async () => {
    const h = hostileTree();
    const digest = `sha256:${'5e1f'.repeat(16)}` as Digest;
    const file = h.t.layout.blobData(digest);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, JSON.stringify({ schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: [{ mediaType: MediaType.ociIndex, size: 1, digest }, h.a.manifest] }));
    h.t.revision('app', digest);
    h.t.tag('app', 'loop', digest);
    const check = tally.watch(h.t.root, h.outside);
    const outcome = await runGc(h.t.root);
    check(usualGarbage(h));
    expect(outcome.error).toBeUndefined();
  });

  it('two indexes that contain each other: terminates, both kept', async () => {
    const h = hostileTree();
    const [x, y] = [`sha256:${'a1'.repeat(32)}`, `sha256:${'b2'.repeat(32)}`] as Digest[];
    for (const [self, other] of [[x!, y!], [y!, x!]] as const) {
      const file = h.t.layout.blobData(self);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, JSON.stringify({ schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: [{ mediaType: MediaType.ociIndex, size: 1, digest: other }] }));
    }
    h.t.revision('app', x!);
    h.t.tag('app', 'ring', x!);
    const check = tally.watch(h.t.root, h.outside);
    const outcome = await runGc(h.t.root);
    check(usualGarbage(h));
    expect(outcome.error).toBeUndefined();
  });

  it('untagged referrers whose subjects form a cycle: terminates, collected (a referrer does not keep its subject)', async () => {
    const h = hostileTree();
    const [x, y] = [`sha256:${'c3'.repeat(32)}`, `sha256:${'d4'.repeat(32)}`] as Digest[];
    for (const [self, other] of [[x!, y!], [y!, x!]] as const) {
      const file = h.t.layout.blobData(self);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, JSON.stringify({ schemaVersion: 2, mediaType: MediaType.ociManifest, config: h.a.config, layers: [], subject: { mediaType: MediaType.ociManifest, size: 1, digest: other } }));
      h.t.revision('app', self);
    }
    const check = tally.watch(h.t.root, h.outside);
    const outcome = await runGc(h.t.root);
    check([...usualGarbage(h), ...[x!, y!].flatMap((d) => [h.t.layout.revisionDir('app', d), h.t.layout.blobDir(d)])]);
    expect(outcome.error).toBeUndefined();
  });
});
