import { DigestInterner } from '../../src/registry/digest-interner.js';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { listBlobs } from '../../src/scan/blobs.js';
import { DigestIds } from '../../src/registry/digest-ids.js';
import { computeDigest, type Digest } from '../../src/registry/digest.js';
import { RegistryGcError } from '../../src/report/errors.js';
import { nodeFileSystem } from '../../src/storage/file-system.js';
import { Findings } from '../../src/report/findings.js';
import { RegistryLayout } from '../../src/registry/layout.js';
import { listRepositories, listTags, readRepository } from '../../src/scan/model.js';
import { discoverFolders, discoverRepositories } from '../../src/scan/discover.js';
import type { ScanContext } from '../../src/scan/listing.js';
import { scanRepository } from '../../src/scan/repository.js';
import { tempDir, TreeBuilder } from '../../harness/tree.js';

const roots: string[] = [];
afterEach(() => {
  for (const root of roots.splice(0)) fs.rmSync(root, { recursive: true, force: true });
});

function tree(): TreeBuilder {
  const root = tempDir('registry-gc-repos-');
  roots.push(root);
  return new TreeBuilder(root);
}

function context(root: string): ScanContext {
  const layout = new RegistryLayout(root);
  return { layout, reader: nodeFileSystem, findings: new Findings(layout), digests: new DigestInterner() };
}

const REPOS = 'docker/registry/v2/repositories';
const sorted = <T>(values: readonly T[]): T[] => [...values].sort();
const codes = (problems: readonly { code: string }[]): string[] => problems.map((p) => p.code);

function thrownBy(fn: () => unknown): RegistryGcError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(RegistryGcError);
    return error as RegistryGcError;
  }
  throw new Error('expected a RegistryGcError, nothing was thrown');
}

describe('discoverRepositories', () => {
  it('finds nested repositories, sorted, and skips folders that are no repository', () => {
    const b = tree();
    b.image('a/b/c');
    b.image('z');
    b.image('a');
    b.upload('team/app', 'upload-1', '2026-11-28T23:28:51Z');
    b.image('a/b');
    fs.mkdirSync(path.join(b.layout.repositoriesDir, 'empty', 'deeper'), { recursive: true });
    const ctx = context(b.root);
    expect(discoverRepositories(ctx)).toEqual(['a', 'a/b', 'a/b/c', 'team/app', 'z']);
    expect(ctx.findings.warnings).toEqual([]);
    expect(ctx.findings.problems).toEqual([]);
  });

  it('counts a folder holding only _layers as a repository', () => {
    const b = tree();
    b.layerLink('only-layers', computeDigest('x'));
    expect(discoverRepositories(context(b.root))).toEqual(['only-layers']);
  });

  it('never walks into folders starting with "_"', () => {
    const b = tree();
    b.image('app');
    // A repository-looking tree below an underscore folder, and one inside _manifests itself.
    fs.mkdirSync(path.join(b.layout.repositoriesDir, '_trash', 'old', '_manifests'), { recursive: true });
    fs.mkdirSync(path.join(b.layout.repositoriesDir, 'app', '_manifests', 'inner', '_layers'), { recursive: true });
    const ctx = context(b.root);
    expect(discoverRepositories(ctx)).toEqual(['app']);
    // `_trash` holds what looks like a repository: no repository, a stray (left alone whole, its manifests kept).
    expect(ctx.findings.warnings.map((w) => `${w.code} ${w.path}`)).toEqual([
      'repository_name_invalid docker/registry/v2/repositories/_trash',
      'repository_name_invalid docker/registry/v2/repositories/_trash/old',
    ]);
    expect(discoverFolders(context(b.root)).strays).toEqual(['_trash/old']);
    expect(ctx.findings.problems).toEqual([]);
  });

  it('warns about invalid names, leaves them alone, and goes on', () => {
    const b = tree();
    b.image('good');
    fs.mkdirSync(path.join(b.layout.repositoriesDir, 'Upper', '_manifests'), { recursive: true });
    fs.mkdirSync(path.join(b.layout.repositoriesDir, 'Upper', 'inner', '_manifests'), { recursive: true });
    fs.mkdirSync(path.join(b.layout.repositoriesDir, 'good', 'bad name', '_layers'), { recursive: true });
    const ctx = context(b.root);
    expect(discoverRepositories(ctx)).toEqual(['good']);
    expect(ctx.findings.problems).toEqual([]);
    expect(sorted(ctx.findings.warnings.map((w) => `${w.code} ${w.path}`))).toEqual([
      `repository_name_invalid ${REPOS}/Upper`,
      `repository_name_invalid ${REPOS}/Upper/inner`,
      `repository_name_invalid ${REPOS}/good/bad name`,
    ]);
    // Each folder of repository data among them is a stray, and its warning says what is kept.
    expect(discoverFolders(context(b.root)).strays).toEqual(['Upper', 'Upper/inner', 'good/bad name']);
    expect(ctx.findings.warnings.find((w) => w.path === `${REPOS}/Upper`)?.message).toMatch(/nothing in it is deleted, and its manifests and every blob they reference are kept/);
    expect(fs.existsSync(path.join(b.layout.repositoriesDir, 'Upper', 'inner', '_manifests'))).toBe(true);
  });

  it('warns about stray files among repositories', () => {
    const b = tree();
    b.image('app');
    fs.writeFileSync(path.join(b.layout.repositoriesDir, 'README'), 'hi');
    const ctx = context(b.root);
    expect(discoverRepositories(ctx)).toEqual(['app']);
    expect(ctx.findings.warnings).toMatchObject([{ code: 'unexpected_entry', path: `${REPOS}/README` }]);
    expect(ctx.findings.problems).toEqual([]);
  });

  it('fails on a symbolic link as a repository folder and does not follow it', () => {
    const b = tree();
    b.image('real');
    const elsewhere = tree();
    elsewhere.image('hidden');
    fs.symlinkSync(path.join(elsewhere.layout.repositoriesDir, 'hidden'), path.join(b.layout.repositoriesDir, 'linked'));
    fs.symlinkSync(elsewhere.layout.repositoriesDir, path.join(b.layout.repositoriesDir, 'real', 'nested'));
    const ctx = context(b.root);
    expect(discoverRepositories(ctx)).toEqual(['real']);
    expect(sorted(ctx.findings.problems.map((p) => `${p.code} ${p.path}`))).toEqual([
      `symlink ${REPOS}/linked`,
      `symlink ${REPOS}/real/nested`,
    ]);
  });

  it('returns nothing, without findings, when repositories/ does not exist', () => {
    const b = tree();
    fs.rmSync(b.layout.repositoriesDir, { recursive: true });
    const ctx = context(b.root);
    expect(discoverRepositories(ctx)).toEqual([]);
    expect(ctx.findings.problems).toEqual([]);
  });

  it('fails when repositories/ is a file', () => {
    const b = tree();
    fs.rmSync(b.layout.repositoriesDir, { recursive: true });
    fs.writeFileSync(b.layout.repositoriesDir, '');
    const ctx = context(b.root);
    expect(discoverRepositories(ctx)).toEqual([]);
    expect(ctx.findings.problems).toMatchObject([{ code: 'not_a_directory', path: REPOS }]);
  });
});

describe('scanRepository', () => {
  it('lists revisions, tags with current and history, layers and uploads, sorted', () => {
    const b = tree();
    const repo = 'team/app';
    const one = b.image(repo, { tag: 'v1' });
    const two = b.image(repo, { tag: 'latest', sharedLayers: one.layers });
    b.tag(repo, 'v1', two.manifest.digest); // v1 moved: its history holds both.
    const untagged = b.image(repo);
    b.tag(repo, 'alpha', untagged.manifest.digest);
    fs.rmSync(path.join(b.layout.tagsDir(repo), 'alpha'), { recursive: true });
    b.upload(repo, 'f0e1d2c3-0000-4000-8000-000000000002', '2026-11-28T23:28:51Z');
    b.upload(repo, '0a0b0c0d-0000-4000-8000-000000000001', undefined);

    const ctx = context(b.root);
    const scan = scanRepository(ctx, repo);
    const manifests = sorted([one.manifest.digest, two.manifest.digest, untagged.manifest.digest]);
    const layers = sorted(
      [...new Set([one, two, untagged].flatMap((image) => [image.config.digest, ...image.layers.map((l) => l.digest)]))],
    );
    expect(scan.name).toBe(repo);
    expect(scan.revisions).toEqual(manifests);
    expect(scan.tags.map((t) => t.name)).toEqual(['latest', 'v1']);
    expect(scan.tags[0]).toMatchObject({ name: 'latest', current: two.manifest.digest });
    expect(scan.tags[0]!.history).toEqual([two.manifest.digest]);
    expect(scan.tags[1]).toMatchObject({ name: 'v1', current: two.manifest.digest });
    expect(sorted(scan.tags[1]!.history)).toEqual(sorted([one.manifest.digest, two.manifest.digest]));
    expect(scan.layers).toEqual(layers);
    expect(scan.uploads).toEqual(['0a0b0c0d-0000-4000-8000-000000000001', 'f0e1d2c3-0000-4000-8000-000000000002']);
    expect(scan.tagTargetsUncertain).toBe(false);
    expect(ctx.findings.warnings).toEqual([]);
    expect(ctx.findings.problems).toEqual([]);
  });

  it('lists sha512 revisions and layers next to sha256 ones', () => {
    const b = tree();
    const d512 = computeDigest('m', 'sha512');
    const d256 = computeDigest('m');
    b.revision('app', d512);
    b.revision('app', d256);
    b.layerLink('app', d512);
    const scan = scanRepository(context(b.root), 'app');
    expect(scan.revisions).toEqual(sorted([d256, d512]));
    expect(scan.layers).toEqual([d512]);
  });

  it('a repository with only uploads has empty listings and no findings', () => {
    const b = tree();
    b.upload('app', 'u1', undefined);
    const ctx = context(b.root);
    expect(scanRepository(ctx, 'app')).toEqual({ name: 'app', revisions: [], pinned: [], unlinkedRevisions: [], tags: [], tagTargetsUncertain: false, layers: [], uploads: ['u1'] });
    expect(ctx.findings.warnings).toEqual([]);
    expect(ctx.findings.problems).toEqual([]);
  });

  it.each([
    ['a trailing newline', (d: Digest) => `${d}\n`],
    ['garbage', () => 'not a digest'],
    ['a path', () => '../../../../etc/passwd'],
    ['nothing', () => ''],
  ])('a tag current link holding %s → warning bad_link, target unknown, repository uncertain', (_label, content) => {
    const b = tree();
    const image = b.image('app', { tag: 'v1' });
    b.image('app', { tag: 'v2' });
    fs.writeFileSync(b.layout.tagCurrentLink('app', 'v1'), content(image.manifest.digest));
    const ctx = context(b.root);
    const scan = scanRepository(ctx, 'app');
    expect(scan.tagTargetsUncertain).toBe(true);
    expect(scan.tags[0]).toEqual({ name: 'v1', current: undefined, history: [image.manifest.digest] });
    expect(scan.tags[1]!.current).toBeDefined();
    expect(ctx.findings.warnings).toMatchObject([{ code: 'bad_link', path: `${REPOS}/app/_manifests/tags/v1/current/link` }]);
    expect(ctx.findings.problems).toEqual([]);
  });

  it('a tag without a current folder → warning tag_link_missing, not uncertain', () => {
    const b = tree();
    const image = b.image('app');
    b.history('app', 'v1', image.manifest.digest);
    const ctx = context(b.root);
    const scan = scanRepository(ctx, 'app');
    expect(scan.tags).toEqual([{ name: 'v1', current: undefined, history: [image.manifest.digest] }]);
    expect(scan.tagTargetsUncertain).toBe(false);
    expect(codes(ctx.findings.warnings)).toEqual(['tag_link_missing']);
    expect(ctx.findings.problems).toEqual([]);
  });

  it('a tag whose current folder has no link → warning tag_link_missing, not uncertain', () => {
    const b = tree();
    b.image('app', { tag: 'v1' });
    fs.rmSync(b.layout.tagCurrentLink('app', 'v1'));
    const ctx = context(b.root);
    const scan = scanRepository(ctx, 'app');
    expect(scan.tags[0]!.current).toBeUndefined();
    expect(scan.tagTargetsUncertain).toBe(false);
    expect(ctx.findings.warnings).toMatchObject([{ code: 'tag_link_missing', path: `${REPOS}/app/_manifests/tags/v1/current/link` }]);
  });

  it('bad folder names under revisions, layers and tag history → warnings, valid ones still listed', () => {
    const b = tree();
    const image = b.image('app', { tag: 'v1' });
    const revisions = path.join(b.layout.revisionsDir('app'), 'sha256');
    fs.mkdirSync(path.join(revisions, 'ABCDEF'));
    fs.mkdirSync(path.join(revisions, image.manifest.digest.slice(7).toUpperCase()));
    fs.mkdirSync(path.join(revisions, 'a'.repeat(65)));
    fs.mkdirSync(path.join(b.layout.revisionsDir('app'), 'md5', 'x'), { recursive: true });
    fs.mkdirSync(path.join(b.layout.layersDir('app'), 'sha256', 'zz'), { recursive: true });
    fs.mkdirSync(path.join(b.layout.tagIndexDir('app', 'v1'), 'sha512', 'a'.repeat(64)), { recursive: true });
    const ctx = context(b.root);
    const scan = scanRepository(ctx, 'app');
    expect(scan.revisions).toEqual([image.manifest.digest]);
    expect(scan.layers).toEqual(sorted([image.config.digest, ...image.layers.map((l) => l.digest)]));
    expect(scan.tags[0]!.history).toEqual([image.manifest.digest]);
    expect(sorted(ctx.findings.warnings.map((w) => `${w.code} ${path.basename(w.path)}`))).toEqual(
      sorted([
        'bad_digest_name ABCDEF',
        `bad_digest_name ${image.manifest.digest.slice(7).toUpperCase()}`,
        `bad_digest_name ${'a'.repeat(65)}`,
        'unknown_algorithm md5',
        'bad_digest_name zz',
      ]),
    );
    // Tag history is read under sha256 only (the registry writes no other): the sha512 folder is not looked at.
    expect(ctx.findings.problems).toEqual([]);
  });

  it('warns about invalid tag folder names but still reads them', () => {
    const b = tree();
    const image = b.image('app');
    b.tag('app', '.hidden', image.manifest.digest);
    const ctx = context(b.root);
    const scan = scanRepository(ctx, 'app');
    expect(scan.tags).toEqual([{ name: '.hidden', current: image.manifest.digest, history: [image.manifest.digest] }]);
    expect(codes(ctx.findings.warnings)).toEqual(['tag_name_invalid']);
  });

  it.each([
    ['the _manifests folder', (l: RegistryLayout) => path.dirname(l.revisionsDir('app'))],
    ['the revisions folder', (l: RegistryLayout) => l.revisionsDir('app')],
    ['the tags folder', (l: RegistryLayout) => l.tagsDir('app')],
    ['a tag folder', (l: RegistryLayout) => l.tagDir('app', 'v1')],
    ['a tag current link', (l: RegistryLayout) => l.tagCurrentLink('app', 'v1')],
    ['the _layers folder', (l: RegistryLayout) => l.layersDir('app')],
    ['an upload', (l: RegistryLayout) => l.uploadDir('app', 'u1')],
  ])('fails on a symbolic link as %s', (_label, where) => {
    const b = tree();
    b.image('app', { tag: 'v1' });
    b.upload('app', 'u1', undefined);
    const target = where(b.layout);
    const moved = `${target}.real`;
    fs.renameSync(target, moved);
    fs.symlinkSync(moved, target);
    const ctx = context(b.root);
    scanRepository(ctx, 'app');
    expect(ctx.findings.problems.map((p) => `${p.code} ${p.path}`)).toContain(`symlink ${b.layout.relative(target)}`);
  });
});

/** The listing with each prefix's ids told as digests again. */
function listBlobDigests(ctx: Parameters<typeof listBlobs>[0]) {
  const ids = new DigestIds();
  const { prefixes, count } = listBlobs(ctx, ids);
  return { count, prefixes: prefixes.map(({ ids: listed, ...prefix }) => ({ ...prefix, digests: [...listed].map((id) => ids.digest(id)) })) };
}

describe('listBlobs', () => {
  it('lists every blob with per-prefix entry counts', () => {
    const b = tree();
    const image = b.image('app', { layers: ['one', 'two', 'three'] });
    const big = computeDigest('big', 'sha512');
    fs.mkdirSync(path.dirname(b.layout.blobData(big)), { recursive: true });
    fs.writeFileSync(b.layout.blobData(big), 'big');
    const all = [image.manifest.digest, image.config.digest, ...image.layers.map((l) => l.digest), big];
    const ctx = context(b.root);
    const listing = listBlobDigests(ctx);
    expect(listing.count).toBe(all.length);
    expect(sorted(listing.prefixes.flatMap((p) => p.digests))).toEqual(sorted(all));
    for (const prefix of listing.prefixes) {
      expect(prefix.entries).toBe(prefix.digests.length);
      for (const digest of prefix.digests) expect(digest.startsWith(`${prefix.algorithm}:${prefix.prefix}`)).toBe(true);
    }
    expect(listing.prefixes.filter((p) => p.algorithm === 'sha512')).toEqual([
      { algorithm: 'sha512', prefix: big.slice(7, 9), entries: 1, digests: [big] },
    ]);
    expect(ctx.findings.warnings).toEqual([]);
    expect(ctx.findings.problems).toEqual([]);
  });

  it('counts stray entries in a prefix, warns about them and lists only real blobs', () => {
    const b = tree();
    const blob = b.blob('payload');
    const hex = blob.digest.slice(7);
    const prefixDir = b.layout.blobPrefixDir('sha256', hex.slice(0, 2));
    const wrongPrefix = `${hex.slice(0, 2) === '00' ? '11' : '00'}${hex.slice(2)}`;
    fs.mkdirSync(path.join(prefixDir, wrongPrefix));
    fs.mkdirSync(path.join(prefixDir, 'not-hex'));
    fs.writeFileSync(path.join(prefixDir, 'stray-file'), '');
    fs.mkdirSync(path.join(b.layout.blobAlgorithmDir('sha256'), 'zz'));
    fs.mkdirSync(path.join(b.layout.blobsDir, 'md5', '00'), { recursive: true });
    const ctx = context(b.root);
    const listing = listBlobDigests(ctx);
    expect(listing.count).toBe(1);
    expect(listing.prefixes).toEqual([{ algorithm: 'sha256', prefix: hex.slice(0, 2), entries: 4, digests: [blob.digest] }]);
    expect(sorted(ctx.findings.warnings.map((w) => `${w.code} ${path.basename(w.path)}`))).toEqual(
      sorted(['bad_digest_name not-hex', 'bad_digest_name stray-file', `bad_digest_name ${wrongPrefix}`, 'bad_digest_name zz', 'unknown_algorithm md5']),
    );
    expect(ctx.findings.problems).toEqual([]);
  });

  it('reports an emptied prefix folder with zero entries', () => {
    const b = tree();
    fs.mkdirSync(b.layout.blobPrefixDir('sha256', 'ab'), { recursive: true });
    expect(listBlobDigests(context(b.root)).prefixes).toEqual([{ algorithm: 'sha256', prefix: 'ab', entries: 0, digests: [] }]);
  });

  it('fails on a symbolic link as a prefix folder and does not list through it', () => {
    const b = tree();
    const kept = b.blob('kept');
    const elsewhere = tree();
    const outside = elsewhere.blob('outside');
    const prefix = outside.digest.slice(7, 9) === kept.digest.slice(7, 9) ? 'ff' : outside.digest.slice(7, 9);
    fs.symlinkSync(elsewhere.layout.blobPrefixDir('sha256', outside.digest.slice(7, 9)), b.layout.blobPrefixDir('sha256', prefix));
    const ctx = context(b.root);
    const listing = listBlobDigests(ctx);
    expect(listing.prefixes.flatMap((p) => p.digests)).toEqual([kept.digest]);
    expect(listing.count).toBe(1);
    expect(ctx.findings.problems).toEqual([
      expect.objectContaining({ code: 'symlink', path: `docker/registry/v2/blobs/sha256/${prefix}` }),
    ]);
  });

  it('fails on a symbolic link as a blob folder or an algorithm folder', () => {
    const b = tree();
    const blob = b.blob('x');
    const real = `${b.layout.blobDir(blob.digest)}.real`;
    fs.renameSync(b.layout.blobDir(blob.digest), real);
    fs.symlinkSync(real, b.layout.blobDir(blob.digest));
    fs.symlinkSync(b.layout.blobAlgorithmDir('sha256'), path.join(b.layout.blobsDir, 'sha512'));
    const ctx = context(b.root);
    const listing = listBlobDigests(ctx);
    expect(listing.count).toBe(0);
    expect(sorted(ctx.findings.problems.map((p) => `${p.code} ${p.path}`))).toEqual(
      sorted([`symlink ${b.layout.relative(b.layout.blobDir(blob.digest))}`, 'symlink docker/registry/v2/blobs/sha512']),
    );
  });
});

describe('model: read-only views', () => {
  it('listRepositories returns the sorted names and the warnings', () => {
    const b = tree();
    b.image('b');
    b.image('a/nested');
    b.image('a');
    fs.mkdirSync(path.join(b.layout.repositoriesDir, 'Upper', '_layers'), { recursive: true });
    const result = listRepositories(b.root);
    expect(result.value).toEqual(['a', 'a/nested', 'b']);
    expect(result.warnings).toMatchObject([{ code: 'repository_name_invalid', path: `${REPOS}/Upper` }]);
  });

  it('readRepository returns the scan and listTags the tags sorted by name', () => {
    const b = tree();
    const one = b.image('team/app', { tag: 'v2' });
    const two = b.image('team/app', { tag: 'v10' });
    b.tag('team/app', 'latest', two.manifest.digest);
    const repo = readRepository(b.root, 'team/app');
    expect(repo.warnings).toEqual([]);
    expect(repo.value.revisions).toEqual(sorted([one.manifest.digest, two.manifest.digest]));
    expect(repo.value.tags.map((t) => [t.name, t.current])).toEqual([
      ['latest', two.manifest.digest],
      ['v10', two.manifest.digest],
      ['v2', one.manifest.digest],
    ]);
    const tags = listTags(b.root, 'team/app');
    expect(tags.value).toEqual(repo.value.tags);
    expect(tags.warnings).toEqual([]);
  });

  it('readRepository of a repository that does not exist is empty', () => {
    const b = tree();
    expect(readRepository(b.root, 'nothing/here').value).toEqual({
      name: 'nothing/here',
      revisions: [],
      pinned: [],
      unlinkedRevisions: [],
      tags: [],
      tagTargetsUncertain: false,
      layers: [],
      uploads: [],
    });
  });

  it('returns warnings for a bad tag link instead of throwing', () => {
    const b = tree();
    b.image('app', { tag: 'v1' });
    fs.writeFileSync(b.layout.tagCurrentLink('app', 'v1'), 'garbage');
    const result = readRepository(b.root, 'app');
    expect(result.value.tagTargetsUncertain).toBe(true);
    expect(codes(result.warnings)).toEqual(['bad_link']);
  });

  it('readRepository and listTags refuse an invalid name with E_INVALID_OPTION', () => {
    const b = tree();
    expect(thrownBy(() => readRepository(b.root, '../../etc')).code).toBe('E_INVALID_OPTION');
    expect(thrownBy(() => listTags(b.root, 'Upper')).code).toBe('E_INVALID_OPTION');
  });

  it('listRepositories throws E_MARK_INCOMPLETE, naming the link, on a symbolic link as a repository folder', () => {
    const b = tree();
    b.image('app');
    fs.symlinkSync(b.layout.repositoryDir('app'), path.join(b.layout.repositoriesDir, 'alias'));
    const error = thrownBy(() => listRepositories(b.root));
    expect(error.code).toBe('E_MARK_INCOMPLETE');
    expect(error.problems).toMatchObject([{ code: 'symlink', path: `${REPOS}/alias` }]);
  });

  it('readRepository and listTags throw E_MARK_INCOMPLETE on a symbolic link inside the repository', () => {
    const b = tree();
    const image = b.image('app', { tag: 'v1' });
    const link = b.layout.tagCurrentLink('app', 'v1');
    const real = path.join(b.root, 'elsewhere-link');
    fs.writeFileSync(real, image.manifest.digest);
    fs.rmSync(link);
    fs.symlinkSync(real, link);
    for (const read of [() => readRepository(b.root, 'app'), () => listTags(b.root, 'app')]) {
      const error = thrownBy(read);
      expect(error.code).toBe('E_MARK_INCOMPLETE');
      expect(error.problems).toMatchObject([{ code: 'symlink', path: `${REPOS}/app/_manifests/tags/v1/current/link` }]);
    }
  });
});

describe('model views refuse symbolic links as collectGarbage does', () => {
  it('readRepository and listTags of a linked repository folder throw E_MARK_INCOMPLETE', () => {
    const elsewhere = new TreeBuilder(tempDir());
    elsewhere.image('real', { tag: 'v1' });
    const t = new TreeBuilder(tempDir());
    fs.symlinkSync(elsewhere.layout.repositoryDir('real'), path.join(t.layout.repositoriesDir, 'linked'));
    expect(() => readRepository(t.root, 'linked')).toThrow(RegistryGcError);
    expect(() => listTags(t.root, 'linked')).toThrow(expect.objectContaining({ code: 'E_MARK_INCOMPLETE' }));
  });

  it('listRepositories refuses a linked repositories/ folder', () => {
    const elsewhere = new TreeBuilder(tempDir());
    elsewhere.image('real', { tag: 'v1' });
    const t = tempDir();
    fs.mkdirSync(path.join(t, 'docker', 'registry', 'v2'), { recursive: true });
    fs.symlinkSync(elsewhere.layout.repositoriesDir, path.join(t, 'docker', 'registry', 'v2', 'repositories'));
    expect(() => listRepositories(t)).toThrow(RegistryGcError);
  });
});
