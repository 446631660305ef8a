/**
 * Symbolic links in the registry tree (issue 5, spec §4). The registry
 * follows links when it reads, so a linked folder may hold live data:
 * ignoring it could delete what the registry serves, following it could read
 * or delete outside the root. Each case moves a real part of the tree outside
 * the root and links it back, so that a run ignoring the link would delete
 * live blobs and a run following it would touch the outside. A link the walk
 * meets stops the run before any deletion, naming it (E_SYMLINK); and no
 * file-system call of the run may go through a link (checked on every call
 * made through the fileSystem seam); the outside folder is compared file by
 * file too.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { computeDigest } from '../../src/registry/digest.js';
import { cli } from '../support/crash-harness.js';
import { callsThroughLinks, expectFinding, hostileTree, HostileTally, rel, runGc, usualGarbage, type HostileTree } from '../support/hostile.js';
import { snapshot } from '../../harness/tree.js';

const tally = new HostileTally('hostile-symlinks');
afterAll(() => tally.log());

/** Moves `target` outside the root and puts a symbolic link to it in its place. */
function moveOutside(h: HostileTree, target: string): string {
  const moved = path.join(h.outside, `moved-${path.basename(target)}-${fs.readdirSync(h.outside).length}`);
  fs.renameSync(target, moved);
  fs.symlinkSync(moved, target);
  return target;
}

/** The run refuses before deleting anything, names the link, and reads nothing through it. */
async function expectRefused(h: HostileTree, link: string): Promise<void> {
  const check = tally.watch(h.t.root, h.outside);
  const outcome = await runGc(h.t.root);
  check([]);
  expect(outcome.error?.code, outcome.error?.message ?? 'the run went ahead').toBe('E_SYMLINK');
  expectFinding(outcome, 'symlink', rel(h.t, link));
  expect(callsThroughLinks(h.t.root, outcome.calls), 'file-system calls through the link').toEqual([]);
}

/**
 * A link the walk does not meet before deleting (a file read only as a
 * deletion candidate, a blob's data that marking never reads): it must be
 * reported, left in place, never followed; the run may fail closed or go on
 * with the rest of the garbage.
 */
async function expectLeftAlone(h: HostileTree, link: string, allowed: string[]): Promise<void> {
  const check = tally.watch(h.t.root, h.outside);
  const outcome = await runGc(h.t.root);
  check(outcome.error ? [] : allowed);
  expectFinding(outcome, 'symlink', rel(h.t, link));
  expect(callsThroughLinks(h.t.root, outcome.calls), 'file-system calls through the link').toEqual([]);
  expect(fs.lstatSync(link).isSymbolicLink()).toBe(true);
}

describe('a symbolic link pointing outside the root, as', () => {
  it('blobs/', async () => {
    const h = hostileTree();
    await expectRefused(h, moveOutside(h, h.t.layout.blobsDir));
  });

  it('repositories/', async () => {
    const h = hostileTree();
    await expectRefused(h, moveOutside(h, h.t.layout.repositoriesDir));
  });

  it('a blob prefix folder <xx> (of a blob a run would delete)', async () => {
    const h = hostileTree();
    await expectRefused(h, moveOutside(h, path.dirname(h.t.layout.blobDir(h.orphan.digest))));
  });

  it('a blob folder <hex> (of a layer of a tagged image)', async () => {
    const h = hostileTree();
    await expectRefused(h, moveOutside(h, h.t.layout.blobDir(h.a.layers[0]!.digest)));
  });

  it('the data file of a tagged manifest', async () => {
    const h = hostileTree();
    await expectRefused(h, moveOutside(h, h.t.layout.blobData(h.a.manifest.digest)));
  });

  it('the data file of an untagged manifest that -m reads to find referrers', async () => {
    const h = hostileTree();
    await expectRefused(h, moveOutside(h, h.t.layout.blobData(h.ua.manifest.digest)));
  });

  it('a repository folder (whose blobs nothing else keeps)', async () => {
    const h = hostileTree();
    await expectRefused(h, moveOutside(h, h.t.layout.repositoryDir('app')));
  });

  it('a namespace folder above a nested repository', async () => {
    const h = hostileTree();
    h.t.image('team/app', { tag: 'v1' });
    await expectRefused(h, moveOutside(h, path.join(h.t.layout.repositoriesDir, 'team')));
  });

  it('a repository folder pointing at / itself', async () => {
    const h = hostileTree();
    const link = path.join(h.t.layout.repositoriesDir, 'everything');
    fs.symlinkSync('/', link);
    await expectRefused(h, link);
  });

  for (const marker of ['_manifests', '_layers', '_uploads'] as const) {
    it(`a repository's ${marker} folder`, async () => {
      const h = hostileTree();
      h.t.upload('app', 'stale-upload', '2020-01-01T00:00:00Z');
      await expectRefused(h, moveOutside(h, path.join(h.t.layout.repositoryDir('app'), marker)));
    });
  }

  it('a revision folder', async () => {
    const h = hostileTree();
    await expectRefused(h, moveOutside(h, h.t.layout.revisionDir('app', h.a.manifest.digest)));
  });

  it('a tag folder', async () => {
    const h = hostileTree();
    await expectRefused(h, moveOutside(h, h.t.layout.tagDir('app', 'v1')));
  });

  it('a revision link file', async () => {
    const h = hostileTree();
    await expectRefused(h, moveOutside(h, h.t.layout.revisionLink('app', h.a.manifest.digest)));
  });

  it('a tag current link file', async () => {
    const h = hostileTree();
    await expectRefused(h, moveOutside(h, h.t.layout.tagCurrentLink('app', 'v1')));
  });
});

describe('a symbolic link the walk meets only when deleting: reported, left in place, never followed', () => {
  it('the link file of a dangling layer link', async () => {
    const h = hostileTree();
    const digest = computeDigest('a layer whose blob is gone');
    h.t.layerLink('app', digest);
    await expectLeftAlone(h, moveOutside(h, h.t.layout.layerLink('app', digest)), usualGarbage(h));
  });

  it('the link file of a tag-history entry naming no revision', async () => {
    const h = hostileTree();
    const digest = computeDigest('a manifest deleted through the API');
    h.t.history('app', 'v1', digest);
    await expectLeftAlone(h, moveOutside(h, path.join(h.t.layout.tagIndexEntryDir('app', 'v1', digest), 'link')), usualGarbage(h));
  });

  it('the data file of a layer blob of a tagged image: not looked at, kept, never followed', async () => {
    // Kept blobs are not stat-ed one by one (that would double a run): a linked data file
    // of a kept blob goes unnoticed, and is safe so: nothing deletes it or reads through it.
    const h = hostileTree();
    const link = moveOutside(h, h.t.layout.blobData(h.a.layers[0]!.digest));
    const check = tally.watch(h.t.root, h.outside);
    const outcome = await runGc(h.t.root);
    expect(outcome.error).toBeUndefined();
    check(usualGarbage(h));
    expect(callsThroughLinks(h.t.root, outcome.calls), 'file-system calls through the link').toEqual([]);
    expect(fs.lstatSync(link).isSymbolicLink()).toBe(true);
  });

  it('the data file of an orphan blob', async () => {
    const h = hostileTree();
    const link = moveOutside(h, h.t.layout.blobData(h.orphan.digest));
    await expectLeftAlone(h, link, usualGarbage(h).filter((dir) => dir !== h.t.layout.blobDir(h.orphan.digest)));
  });
});

describe('symbolic links on the CLI path, where large trees are scanned on worker threads', () => {
  it('a linked repository among 40 is refused before anything is deleted (exit 1, E_SYMLINK)', () => {
    const h = hostileTree();
    for (let i = 0; i < 40; i++) h.t.image(`fleet/service${i}`, { tag: 'v1' });
    const link = moveOutside(h, h.t.layout.repositoryDir('fleet/service7'));
    const check = tally.watch(h.t.root, h.outside);
    const result = spawnSync(process.execPath, [cli, '-m', '--json', h.t.root], { encoding: 'utf8', timeout: 30_000 });
    check([]);
    expect(result.status, result.stderr).toBe(1);
    const output = JSON.parse(result.stdout) as { error: { code: string; problems: Array<{ code: string; path: string }> } };
    expect(output.error.code).toBe('E_SYMLINK');
    expect(output.error.problems).toContainEqual(expect.objectContaining({ code: 'symlink', path: rel(h.t, link) }));
    expect(snapshot(h.outside).size).toBeGreaterThan(3);
  });
});
