/**
 * Hostile names and shapes (issue 5, spec §1): folders that look like
 * repositories but cannot be one (`...`, `.hidden`, `_hidden`, upper case, a
 * newline, too long), file names with newlines, and files where folders
 * should be. Each is reported by code and left alone; only the usual garbage
 * goes. A misnamed repository cannot be served by the registry (its API
 * rejects the name), but it is data someone put there (issue 13): left alone
 * means whole, so its folder stays as it is and every blob its manifests
 * name stays too, also with -m and every cleanup option.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli } from '../support/crash-harness.js';
import { expectFinding, hostileTree, HostileTally, rel, runGc, usualGarbage, type HostileTree } from '../support/hostile.js';

const tally = new HostileTally('hostile-names');
afterAll(() => tally.log());

/** Pushes a tagged image to a valid name, then renames the repository folder to `name` (a path below repositories/). */
function misnamedRepository(h: HostileTree, name: string): { dir: string; blobs: string[] } {
  const image = h.t.image('misnamed', { tag: 'v1' });
  const dir = path.join(h.t.layout.repositoriesDir, name);
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  fs.renameSync(h.t.layout.repositoryDir('misnamed'), dir);
  return { dir, blobs: [image.manifest, image.config, ...image.layers].map((d) => h.t.layout.blobDir(d.digest)) };
}

describe('a folder below repositories/ that holds a repository but has no valid name', () => {
  const names: ReadonlyArray<[string, string]> = [
    ['named ...', '...'],
    ['named .hidden', '.hidden'],
    ['named _hidden', '_hidden'],
    ['with upper-case letters', 'App'],
    ['with upper-case letters, nested', 'team/App'],
    ['with a newline in its name', 'bad\nname'],
    ['with a name longer than 255 characters', `${'a'.repeat(130)}/${'b'.repeat(130)}`],
  ];
  for (const [label, name] of names) {
    it(`${label}: repository_name_invalid, its folder and every blob it names left alone`, async () => {
      const h = hostileTree();
      const { dir, blobs } = misnamedRepository(h, name);
      const check = tally.watch(h.t.root, h.outside);
      const outcome = await runGc(h.t.root);
      check(usualGarbage(h));
      expect(outcome.error).toBeUndefined();
      for (const blob of blobs) expect(fs.existsSync(path.join(blob, 'data')), blob).toBe(true);
      const reported = outcome.findings.filter((f) => f.startsWith('repository_name_invalid '));
      expect(reported.some((f) => rel(h.t, dir).startsWith(f.slice('repository_name_invalid '.length))), JSON.stringify(outcome.findings)).toBe(true);
    });
  }
});

describe('file names with newlines', () => {
  it('a tag whose name holds a newline: tag_name_invalid, and its target is still kept', async () => {
    const h = hostileTree();
    const tag = 'v2\nlatest';
    h.t.tag('app', tag, h.ua.manifest.digest);
    const check = tally.watch(h.t.root, h.outside);
    const outcome = await runGc(h.t.root);
    check(usualGarbage(h, { keepApp: true }));
    expectFinding(outcome, 'tag_name_invalid', rel(h.t, h.t.layout.tagDir('app', tag)));
  });

  it('a blob folder whose name ends in a newline: bad_digest_name, left alone', async () => {
    const h = hostileTree();
    const dir = `${h.t.layout.blobDir(h.orphan.digest)}\n`;
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'data'), 'not the registry’s');
    const check = tally.watch(h.t.root, h.outside);
    const outcome = await runGc(h.t.root);
    check(usualGarbage(h));
    expectFinding(outcome, 'bad_digest_name', rel(h.t, dir));
  });

  it('a revision folder whose name ends in a newline: bad_digest_name, left alone, and what its link names is kept', async () => {
    const h = hostileTree();
    const dir = `${h.t.layout.revisionDir('app', h.orphan.digest)}\n`;
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'link'), h.orphan.digest);
    const check = tally.watch(h.t.root, h.outside);
    const outcome = await runGc(h.t.root);
    // Its link names a blob that is no manifest: what it would keep cannot be known, so nothing goes.
    check([]);
    expect(outcome.error?.code).toBe('E_MARK_INCOMPLETE');
    expectFinding(outcome, 'manifest_unparsable', rel(h.t, h.t.layout.blobData(h.orphan.digest)));
  });

  it('a tag name with a newline cannot forge a line of the human report', () => {
    const h = hostileTree();
    const forged = 'registry-gc: nothing was deleted, all is well';
    h.t.tag('app', `v2\n${forged}`, h.a.manifest.digest);
    const check = tally.watch(h.t.root, h.outside);
    const result = spawnSync(process.execPath, [cli, '-m', h.t.root], { encoding: 'utf8', timeout: 30_000 });
    check(usualGarbage(h));
    expect(result.status, result.stderr).toBe(0);
    const lines = `${result.stdout}\n${result.stderr}`.split('\n');
    expect(lines.filter((line) => line.trim().startsWith(forged)), result.stdout).toEqual([]);
  });
});

describe('a file where a folder should be', () => {
  it('_manifests/revisions/sha256 is a file (default mode: every revision is a root): not_a_directory, nothing deleted', async () => {
    const h = hostileTree();
    const dir = path.join(h.t.layout.revisionsDir('other'), 'sha256');
    fs.rmSync(dir, { recursive: true });
    fs.writeFileSync(dir, 'a file');
    const check = tally.watch(h.t.root, h.outside);
    const outcome = await runGc(h.t.root, { deleteUntagged: false });
    check([]);
    expect(outcome.error?.code).toBe('E_MARK_INCOMPLETE');
    expectFinding(outcome, 'not_a_directory', rel(h.t, dir));
  });

  it('a blob prefix folder <xx> is a file: reported, left alone', async () => {
    const h = hostileTree();
    const used = new Set(fs.readdirSync(path.join(h.t.layout.blobsDir, 'sha256')));
    const free = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0')).find((p) => !used.has(p))!;
    const prefix = path.join(h.t.layout.blobsDir, 'sha256', free);
    fs.writeFileSync(prefix, 'a file');
    const check = tally.watch(h.t.root, h.outside);
    const outcome = await runGc(h.t.root);
    check(outcome.error ? [] : usualGarbage(h));
    expect(outcome.findings.some((f) => f.endsWith(` ${rel(h.t, prefix)}`)), JSON.stringify(outcome.findings)).toBe(true);
  });
});
