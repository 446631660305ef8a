/**
 * Unreadable files and folders (issue 5, spec §3). Root ignores chmod 000, so
 * EACCES is injected through the fileSystem seam, on one path per case. What
 * a decision depends on and cannot be read fails the run before any deletion,
 * naming it; a deletion candidate that cannot be read is left alone and
 * reported; a deletion that fails is an error of the report (exit 1), and the
 * rest of the run goes on.
 */
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { computeDigest } from '../../src/registry/digest.js';
import { expectFinding, hostileTree, HostileTally, rel, runGc, usualGarbage, type Fault, type HostileTree } from '../support/hostile.js';

const tally = new HostileTally('hostile-access');
afterAll(() => tally.log());

/** EACCES for `op` on exactly `target`. */
const denied = (op: string, target: string): Fault => (o, t) => (o === op && t === target ? 'EACCES' : undefined);

/** Fails closed: the run stops before deleting, with `code` naming `target`. */
async function expectRefused(h: HostileTree, op: string, target: string, code: string, options: { deleteUntagged?: boolean } = {}): Promise<void> {
  const check = tally.watch(h.t.root, h.outside);
  const outcome = await runGc(h.t.root, { ...options, fault: denied(op, target) });
  check([]);
  expect(outcome.calls.some((c) => c.op === op && c.target === target), `the run never tried to ${op} ${target}`).toBe(true);
  expect(outcome.error?.code, outcome.error?.message ?? String(outcome.unexpected ?? 'the run went ahead')).toBe('E_MARK_INCOMPLETE');
  expectFinding(outcome, code, rel(h.t, target));
}

describe('EACCES on what a decision depends on: nothing deleted', () => {
  for (const deleteUntagged of [false, true]) {
    const mode = deleteUntagged ? '-m' : 'default';
    it(`${mode}: a revision link`, async () => {
      const h = hostileTree();
      await expectRefused(h, 'read', h.t.layout.revisionLink('other', h.ub.manifest.digest), 'unreadable', { deleteUntagged });
    });

    it(`${mode}: the listing of a repository's revisions`, async () => {
      const h = hostileTree();
      await expectRefused(h, 'list', path.join(h.t.layout.revisionsDir('other'), 'sha256'), 'unreadable', { deleteUntagged });
    });

    it(`${mode}: the listing of repositories/`, async () => {
      const h = hostileTree();
      await expectRefused(h, 'list', h.t.layout.repositoriesDir, 'unreadable', { deleteUntagged });
    });

    it(`${mode}: the listing of a blob prefix folder`, async () => {
      const h = hostileTree();
      await expectRefused(h, 'list', path.dirname(h.t.layout.blobDir(h.orphan.digest)), 'unreadable', { deleteUntagged });
    });

    it(`${mode}: the child manifest of a tagged index`, async () => {
      const h = hostileTree();
      const child = h.t.image('app', { format: 'oci' });
      h.t.index('app', [child.manifest], { tag: 'multi' });
      await expectRefused(h, 'read', h.t.layout.blobData(child.manifest.digest), 'manifest_unreadable', { deleteUntagged });
    });
  }

  it('-m: a tag current link', async () => {
    const h = hostileTree();
    await expectRefused(h, 'read', h.t.layout.tagCurrentLink('app', 'v1'), 'unreadable');
  });

  it('-m: the listing of a tag history', async () => {
    const h = hostileTree();
    await expectRefused(h, 'list', path.join(h.t.layout.tagIndexDir('app', 'v1'), 'sha256'), 'unreadable');
  });

  it('-m: the listing of a repository layer links', async () => {
    const h = hostileTree();
    await expectRefused(h, 'list', path.join(h.t.layout.layersDir('app'), 'sha256'), 'unreadable');
  });

  it('-m: the listing of a repository uploads', async () => {
    const h = hostileTree();
    h.t.upload('app', 'stale', '2020-01-01T00:00:00Z');
    await expectRefused(h, 'list', h.t.layout.uploadsDir('app'), 'unreadable');
  });

  it('-m: an untagged OCI manifest that may be a referrer', async () => {
    const h = hostileTree();
    const maybe = h.t.image('app', { format: 'oci', subject: h.a.manifest });
    await expectRefused(h, 'read', h.t.layout.blobData(maybe.manifest.digest), 'referrer_uncertain');
  });

  it('the folders above v2 (lstat): E_IO naming the folder, nothing deleted', async () => {
    const h = hostileTree();
    const check = tally.watch(h.t.root, h.outside);
    const outcome = await runGc(h.t.root, { fault: denied('entry', h.t.layout.v2) });
    check([]);
    expect(outcome.error?.code).toBe('E_IO');
    expect(outcome.error?.message).toContain(h.t.layout.v2);
  });

  it('the listing of v2 itself: a RegistryGcError, nothing deleted', async () => {
    const h = hostileTree();
    const check = tally.watch(h.t.root, h.outside);
    const outcome = await runGc(h.t.root, { fault: denied('list', h.t.layout.v2) });
    check([]);
    expect(outcome.unexpected, 'a raw error instead of a RegistryGcError').toBeUndefined();
    expect(outcome.error?.code).toMatch(/^E_(IO|MARK_INCOMPLETE)$/);
  });
});

describe('EACCES on a deletion candidate: left alone and reported, the rest goes', () => {
  it('the link file of a dangling layer link', async () => {
    const h = hostileTree();
    const digest = computeDigest('a layer whose blob is gone');
    h.t.layerLink('app', digest);
    const check = tally.watch(h.t.root, h.outside);
    const outcome = await runGc(h.t.root, { fault: denied('read', h.t.layout.layerLink('app', digest)) });
    check(usualGarbage(h));
    expectFinding(outcome, 'unreadable', rel(h.t, h.t.layout.layerLink('app', digest)));
  });

  it('the link file of a tag-history entry naming no revision', async () => {
    const h = hostileTree();
    const digest = computeDigest('a manifest deleted through the API');
    h.t.history('app', 'v1', digest);
    const link = path.join(h.t.layout.tagIndexEntryDir('app', 'v1', digest), 'link');
    const check = tally.watch(h.t.root, h.outside);
    const outcome = await runGc(h.t.root, { fault: denied('read', link) });
    check(usualGarbage(h));
    expectFinding(outcome, 'unreadable', rel(h.t, link));
  });

  it('the startedat of a stale upload: kept, upload_startedat_invalid', async () => {
    const h = hostileTree();
    h.t.upload('app', 'stale', '2020-01-01T00:00:00Z');
    const check = tally.watch(h.t.root, h.outside);
    const outcome = await runGc(h.t.root, { fault: denied('read', h.t.layout.uploadStartedAt('app', 'stale')) });
    check(usualGarbage(h));
    expectFinding(outcome, 'upload_startedat_invalid', rel(h.t, h.t.layout.uploadDir('app', 'stale')));
  });

  it('the deletion of an unreferenced blob fails: delete_failed in report.errors, that blob and its layer link stay', async () => {
    const h = hostileTree();
    const stuck = h.t.layout.blobDir(h.ua.config.digest);
    const check = tally.watch(h.t.root, h.outside);
    const outcome = await runGc(h.t.root, { fault: denied('remove', stuck) });
    check(usualGarbage(h).filter((dir) => dir !== stuck && dir !== h.t.layout.layerLinkDir('app', h.ua.config.digest)));
    expect(outcome.report?.errors.map((e) => `${e.code} ${e.path}`)).toEqual([`delete_failed ${rel(h.t, stuck)}`]);
  });
});
