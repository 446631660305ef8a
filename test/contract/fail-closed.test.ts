/**
 * Fail closed (spec §3, §4): when marking cannot be sure, the run throws
 * before any deletion. Every test compares a full listing of the tree, with
 * sizes, before and after: not one file may change.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { RegistryGcError } from '../../src/report/errors.js';
import { nodeFileSystem, type FileSystem } from '../../src/storage/file-system.js';
import { collectGarbage } from '../../src/collect/collect-garbage.js';
import { MediaType } from '../../src/registry/manifest.js';
import { snapshot, tempDir, TreeBuilder } from '../../harness/tree.js';

/** A tree with garbage in it, so a run that wrongly went ahead would delete something. */
function treeWithGarbage(): TreeBuilder {
  const t = new TreeBuilder(tempDir());
  t.image('app', { tag: 'v1' });
  t.image('app'); // untagged: -m would delete it
  t.blob('orphan that a run would delete');
  return t;
}

async function expectFailureAndNoChange(root: string, options: Parameters<typeof collectGarbage>[1], code: string, problemCode: string) {
  const before = snapshot(root);
  const error = await collectGarbage(root, options).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(RegistryGcError);
  expect((error as RegistryGcError).code).toBe(code);
  expect((error as RegistryGcError).problems.map((p) => p.code)).toContain(problemCode);
  expect(snapshot(root)).toEqual(before);
  return error as RegistryGcError;
}

describe('fail closed', () => {
  for (const deleteUntagged of [false, true]) {
    const mode = deleteUntagged ? '-m' : 'default';
    it(`${mode}: an unparsable tagged manifest stops the run and names it`, async () => {
      const t = treeWithGarbage();
      const bad = t.rawManifest('app', '{"schemaVersion": 2, "mediaType": ', { tag: 'broken' });
      const error = await expectFailureAndNoChange(t.root, { deleteUntagged }, 'E_MARK_INCOMPLETE', 'manifest_unparsable');
      expect(error.problems.map((p) => p.path)).toContain(t.layout.relative(t.layout.blobData(bad.digest)));
    });

    it(`${mode}: an unknown media type stops the run`, async () => {
      const t = treeWithGarbage();
      t.rawManifest('app', { schemaVersion: 2, mediaType: 'application/vnd.example.future+json', things: [] }, { tag: 'future' });
      await expectFailureAndNoChange(t.root, { deleteUntagged }, 'E_MARK_INCOMPLETE', 'manifest_unknown_type');
    });

    it(`${mode}: an unreadable manifest (EACCES) stops the run`, async () => {
      const t = treeWithGarbage();
      const image = t.image('app', { tag: 'locked' });
      const locked = t.layout.blobData(image.manifest.digest);
      const fileSystem: FileSystem = {
        ...nodeFileSystem,
        read(file, max) {
          if (file === locked) throw Object.assign(new Error(`EACCES: permission denied, open '${file}'`), { code: 'EACCES' });
          return nodeFileSystem.read(file, max);
        },
      };
      await expectFailureAndNoChange(t.root, { deleteUntagged, fileSystem }, 'E_MARK_INCOMPLETE', 'manifest_unreadable');
    });

    it(`${mode}: an unreadable revisions folder stops the run`, async () => {
      const t = treeWithGarbage();
      const revisions = path.join(t.layout.revisionsDir('app'), 'sha256');
      const fileSystem: FileSystem = {
        ...nodeFileSystem,
        list(dir) {
          if (dir === revisions) throw Object.assign(new Error('EIO: i/o error'), { code: 'EIO' });
          return nodeFileSystem.list(dir);
        },
      };
      await expectFailureAndNoChange(t.root, { deleteUntagged, fileSystem }, 'E_MARK_INCOMPLETE', 'unreadable');
    });

    it(`${mode}: a child of a kept index that cannot be parsed stops the run`, async () => {
      const t = treeWithGarbage();
      const child = t.manifestBlob('not json at all', MediaType.ociManifest);
      t.index('app', [child], { tag: 'multi' });
      await expectFailureAndNoChange(t.root, { deleteUntagged }, 'E_MARK_INCOMPLETE', 'manifest_unparsable');
    });

    it(`${mode}: a manifest over the size limit stops the run`, async () => {
      const t = treeWithGarbage();
      const image = t.image('app', { tag: 'big' });
      await expectFailureAndNoChange(t.root, { deleteUntagged, maxManifestBytes: image.manifest.size - 1 }, 'E_MARK_INCOMPLETE', 'manifest_too_large');
    });

    it(`${mode}: a symbolic link in the tree stops the run and names it`, async () => {
      const t = treeWithGarbage();
      const outside = tempDir();
      fs.symlinkSync(outside, path.join(t.layout.repositoriesDir, 'linked'));
      const error = await expectFailureAndNoChange(t.root, { deleteUntagged }, 'E_SYMLINK', 'symlink');
      expect(error.problems[0]!.path).toBe('docker/registry/v2/repositories/linked');
    });

    it(`${mode}: a symbolic link as a blob prefix folder stops the run`, async () => {
      const t = treeWithGarbage();
      const outside = tempDir();
      fs.mkdirSync(path.join(outside, 'ab'.repeat(32)), { recursive: true });
      fs.symlinkSync(outside, path.join(t.layout.blobsDir, 'sha256', 'ab'));
      await expectFailureAndNoChange(t.root, { deleteUntagged }, 'E_SYMLINK', 'symlink');
      expect(fs.existsSync(path.join(outside, 'ab'.repeat(32)))).toBe(true);
    });
  }

  it('-m: an untagged revision that cannot be read may be a referrer: stop', async () => {
    const t = treeWithGarbage();
    const image = t.image('app', { format: 'oci' });
    const unreadable = t.layout.blobData(image.manifest.digest);
    const fileSystem: FileSystem = {
      ...nodeFileSystem,
      read(file, max) {
        if (file === unreadable) throw Object.assign(new Error('EIO'), { code: 'EIO' });
        return nodeFileSystem.read(file, max);
      },
    };
    await expectFailureAndNoChange(t.root, { deleteUntagged: true, fileSystem }, 'E_MARK_INCOMPLETE', 'referrer_uncertain');
  });

  it('-m: an untagged manifest of unknown type whose subject is a kept image stops the run', async () => {
    const t = treeWithGarbage();
    const image = t.image('app', { format: 'oci', tag: 'signed' });
    t.rawManifest('app', { schemaVersion: 2, mediaType: 'application/vnd.example.sig+json', subject: image.manifest });
    await expectFailureAndNoChange(t.root, { deleteUntagged: true }, 'E_MARK_INCOMPLETE', 'manifest_unknown_type');
  });

  it('-m: an untagged manifest that is not JSON cannot be a referrer and is collected', async () => {
    const t = treeWithGarbage();
    const junk = t.rawManifest('app', 'garbage bytes, not a manifest');
    const report = await collectGarbage(t.root, { deleteUntagged: true });
    expect(report.manifests.deleted.map((m) => m.digest)).toContain(junk.digest);
  });

  it('a root that is not a registry is refused', async () => {
    const dir = tempDir();
    await expect(collectGarbage(dir)).rejects.toMatchObject({ code: 'E_NOT_A_REGISTRY' });
  });

  it('invalid options are refused before any work', async () => {
    const t = treeWithGarbage();
    const before = snapshot(t.root);
    await expect(collectGarbage(t.root, { concurrency: 0 })).rejects.toMatchObject({ code: 'E_INVALID_OPTION' });
    await expect(collectGarbage(t.root, { maxManifestBytes: -1 })).rejects.toMatchObject({ code: 'E_INVALID_OPTION' });
    expect(snapshot(t.root)).toEqual(before);
  });
});
