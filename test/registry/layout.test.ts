import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HEX_LENGTH, type Algorithm, type Digest } from '../../src/registry/digest.js';
import { RegistryGcError } from '../../src/report/errors.js';
import { RegistryLayout } from '../../src/registry/layout.js';

const root = '/var/lib/registry';
const v2 = `${root}/docker/registry/v2`;
const layout = new RegistryLayout(root);
const H = 'abcd' + '0123456789abcdef'.repeat(3) + '012345678901';
const D = `sha256:${H}` as Digest;
const H512 = 'ff' + 'e'.repeat(126);
const D512 = `sha512:${H512}` as Digest;

describe('RegistryLayout paths (spec §1)', () => {
  it('resolves the root and the fixed folders', () => {
    expect(H).toHaveLength(64);
    expect(layout.root).toBe(root);
    expect(layout.v2).toBe(v2);
    expect(layout.blobsDir).toBe(`${v2}/blobs`);
    expect(layout.repositoriesDir).toBe(`${v2}/repositories`);
    expect(layout.v2Ancestry()).toEqual([`${root}/docker`, `${root}/docker/registry`, v2]);
  });

  it('makes a relative root absolute and normalises it', () => {
    const relative = new RegistryLayout('some/dir/../registry/');
    expect(relative.root).toBe(path.resolve('some/registry'));
    expect(relative.v2).toBe(path.join(path.resolve('some/registry'), 'docker', 'registry', 'v2'));
  });

  it('blob paths', () => {
    expect(layout.blobAlgorithmDir('sha256')).toBe(`${v2}/blobs/sha256`);
    expect(layout.blobPrefixDir('sha256', 'ab')).toBe(`${v2}/blobs/sha256/ab`);
    expect(layout.blobDir(D)).toBe(`${v2}/blobs/sha256/ab/${H}`);
    expect(layout.blobData(D)).toBe(`${v2}/blobs/sha256/ab/${H}/data`);
    expect(layout.blobData(D512)).toBe(`${v2}/blobs/sha512/ff/${H512}/data`);
  });

  it('repository paths, nested names included', () => {
    expect(layout.repositoryDir('a')).toBe(`${v2}/repositories/a`);
    expect(layout.repositoryDir('team/app-1')).toBe(`${v2}/repositories/team/app-1`);
    expect(layout.repositoryDir('a/b/c')).toBe(`${v2}/repositories/a/b/c`);
    const repo = 'team/app';
    const r = `${v2}/repositories/team/app`;
    expect(layout.revisionsDir(repo)).toBe(`${r}/_manifests/revisions`);
    expect(layout.revisionDir(repo, D)).toBe(`${r}/_manifests/revisions/sha256/${H}`);
    expect(layout.revisionLink(repo, D)).toBe(`${r}/_manifests/revisions/sha256/${H}/link`);
    expect(layout.tagsDir(repo)).toBe(`${r}/_manifests/tags`);
    expect(layout.tagDir(repo, 'v1.0')).toBe(`${r}/_manifests/tags/v1.0`);
    expect(layout.tagCurrentLink(repo, 'latest')).toBe(`${r}/_manifests/tags/latest/current/link`);
    expect(layout.tagIndexDir(repo, 'latest')).toBe(`${r}/_manifests/tags/latest/index`);
    expect(layout.tagIndexEntryDir(repo, 'latest', D)).toBe(`${r}/_manifests/tags/latest/index/sha256/${H}`);
    expect(layout.layersDir(repo)).toBe(`${r}/_layers`);
    expect(layout.layerLinkDir(repo, D)).toBe(`${r}/_layers/sha256/${H}`);
    expect(layout.layerLink(repo, D)).toBe(`${r}/_layers/sha256/${H}/link`);
    expect(layout.uploadsDir(repo)).toBe(`${r}/_uploads`);
    const id = '0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0';
    expect(layout.uploadDir(repo, id)).toBe(`${r}/_uploads/${id}`);
    expect(layout.uploadStartedAt(repo, id)).toBe(`${r}/_uploads/${id}/startedat`);
  });

  it('relative() gives root-relative paths with forward slashes', () => {
    expect(layout.relative(layout.blobData(D))).toBe(`docker/registry/v2/blobs/sha256/ab/${H}/data`);
    expect(layout.relative(root)).toBe('');
  });

  it('relative() answers as path.relative for any path, clean or not, under any root', () => {
    const part = fc.constantFrom('a', 'ab', 'a.', 'b', '.', '..', '', 'docker', 'registry-gc-trash');
    const target = fc.array(part, { maxLength: 6 }).map((parts) => `/${parts.join('/')}`);
    const rootPath = fc.constantFrom('/', '/var/lib/registry', '/a', '/a/b/');
    fc.assert(
      fc.property(rootPath, target, (r, t) => {
        const l = new RegistryLayout(r);
        expect(l.relative(t)).toBe(path.relative(l.root, t).split(path.sep).join('/'));
      }),
    );
  });

  it.each(['', 'A', 'a/', '/a', 'a//b', '..', 'a/../b', '../../etc', '_manifests', 'a/_layers', 'a b', 'a\0b', 'a'.repeat(256)])(
    'every repository path function throws for the invalid name %j',
    (name) => {
      const calls: Array<() => string> = [
        () => layout.repositoryDir(name),
        () => layout.revisionsDir(name),
        () => layout.revisionDir(name, D),
        () => layout.revisionLink(name, D),
        () => layout.tagsDir(name),
        () => layout.tagDir(name, 'latest'),
        () => layout.tagCurrentLink(name, 'latest'),
        () => layout.tagIndexDir(name, 'latest'),
        () => layout.tagIndexEntryDir(name, 'latest', D),
        () => layout.layersDir(name),
        () => layout.layerLinkDir(name, D),
        () => layout.layerLink(name, D),
        () => layout.uploadsDir(name),
        () => layout.uploadDir(name, 'id'),
        () => layout.uploadStartedAt(name, 'id'),
      ];
      for (const call of calls) expect(call).toThrow(TypeError);
    },
  );

  it.each(['../../etc/passwd', `sha256:${H.toUpperCase()}`, `sha256:${H.slice(1)}`, `md5:${H}`, `sha256:${H}/..`, '', `sha256:${H}\0`])(
    'every digest path function throws for the invalid digest %j',
    (bad) => {
      const d = bad as Digest;
      const calls: Array<() => string> = [
        () => layout.blobDir(d),
        () => layout.blobData(d),
        () => layout.revisionDir('a', d),
        () => layout.revisionLink('a', d),
        () => layout.tagIndexEntryDir('a', 'latest', d),
        () => layout.layerLinkDir('a', d),
        () => layout.layerLink('a', d),
      ];
      for (const call of calls) expect(call).toThrow(TypeError);
    },
  );

  it.each(['', '.', '..', 'a/b', '../x', 'a\\b', 'a\0b', '/'])('tag and upload components reject %j', (component) => {
    expect(() => layout.tagDir('a', component)).toThrow(TypeError);
    expect(() => layout.tagCurrentLink('a', component)).toThrow(TypeError);
    expect(() => layout.tagIndexDir('a', component)).toThrow(TypeError);
    expect(() => layout.tagIndexEntryDir('a', component, D)).toThrow(TypeError);
    expect(() => layout.uploadDir('a', component)).toThrow(TypeError);
    expect(() => layout.uploadStartedAt('a', component)).toThrow(TypeError);
  });
});

describe('contains and assertDeletable', () => {
  const inside = [
    `${v2}/blobs`,
    `${v2}/repositories`,
    `${v2}/blobs/sha256/ab/${H}`,
    `${v2}/repositories/a/_uploads/x`,
    `${v2}/blobs/../repositories/a`,
    `${v2}/./blobs`,
    `${v2}/...`,
    `${v2}/..a/b`,
  ];
  const outside = [
    v2,
    `${v2}/`,
    `${v2}/.`,
    `${v2}/blobs/..`,
    `${root}/docker/registry`,
    root,
    `${root}/docker/registry/v2x`,
    `${root}/docker/registry/v2x/blobs`,
    `${root}/docker/registry/v`,
    `${v2}/../v2x`,
    `${v2}/../../../..`,
    `${v2}/blobs/../../registry`,
    `${v2}/repositories/../../../../../etc/passwd`,
    '/etc/passwd',
    '/',
    `${v2}/blobs/\0`,
  ];

  it.each(inside)('contains %j', (target) => {
    expect(layout.contains(target)).toBe(true);
    expect(() => layout.assertDeletable(target)).not.toThrow();
  });

  it.each(outside)('does not contain %j', (target) => {
    expect(layout.contains(target)).toBe(false);
    let thrown: unknown;
    try {
      layout.assertDeletable(target);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(RegistryGcError);
    expect((thrown as RegistryGcError).code).toBe('E_OUTSIDE_ROOT');
  });

  it('property: the prefix test for clean paths agrees with resolving, for any mix of odd components', () => {
    const segment = fc.constantFrom('a', 'blobs', '.', '..', '', 'x\0y', '...', '.a');
    fc.assert(
      fc.property(fc.array(segment, { maxLength: 6 }), fc.boolean(), (segments, trailingSlash) => {
        const target = [v2, ...segments].join('/') + (trailingSlash ? '/' : '');
        const resolved = path.resolve(target);
        const rel = path.relative(layout.v2, resolved);
        // Inside means: not v2 itself, no way up out of it ("..." is a name like any other).
        const expected = rel !== '' && rel.split(path.sep)[0] !== '..' && !path.isAbsolute(rel) && !resolved.includes('\0');
        expect(layout.contains(target)).toBe(expected);
      }),
      { numRuns: 2000 },
    );
  });

  it('a relative target is resolved against the working directory, not the root', () => {
    const here = new RegistryLayout(process.cwd());
    expect(here.contains('docker/registry/v2/blobs')).toBe(true);
    expect(process.cwd()).not.toBe(root);
    expect(layout.contains('docker/registry/v2/blobs')).toBe(false);
  });
});

describe('property: every produced path lies inside v2', () => {
  const alnum = fc.stringMatching(/^[a-z0-9]{1,8}$/);
  const component = fc
    .tuple(alnum, fc.array(fc.tuple(fc.constantFrom('.', '_', '__', '-', '--'), alnum), { maxLength: 3 }))
    .map(([head, rest]) => head + rest.map(([s, a]) => s + a).join(''));
  const repositoryName = fc
    .array(component, { minLength: 1, maxLength: 6 })
    .map((parts) => parts.join('/'))
    .filter((name) => name.length <= 255);
  const digest = fc
    .constantFrom<Algorithm>('sha256', 'sha384', 'sha512')
    .chain((algorithm) => fc.stringMatching(new RegExp(`^[0-9a-f]{${HEX_LENGTH[algorithm]}}$`)).map((hex) => `${algorithm}:${hex}` as Digest));
  // Tags and upload ids come from listings: any plain component.
  const plain = fc.string({ minLength: 1, maxLength: 40 }).filter((s) => s !== '.' && s !== '..' && !/[/\\\0]/.test(s));

  it('for any valid digest, repository name, tag and upload id', () => {
    fc.assert(
      fc.property(fc.constantFrom('/var/lib/registry', '/srv/r', '/'), repositoryName, digest, plain, plain, (r, name, d, tag, id) => {
        const l = new RegistryLayout(r);
        const paths = [
          l.blobDir(d),
          l.blobData(d),
          l.repositoryDir(name),
          l.revisionsDir(name),
          l.revisionDir(name, d),
          l.revisionLink(name, d),
          l.tagsDir(name),
          l.tagDir(name, tag),
          l.tagCurrentLink(name, tag),
          l.tagIndexDir(name, tag),
          l.tagIndexEntryDir(name, tag, d),
          l.layersDir(name),
          l.layerLinkDir(name, d),
          l.layerLink(name, d),
          l.uploadsDir(name),
          l.uploadDir(name, id),
          l.uploadStartedAt(name, id),
        ];
        for (const p of paths) {
          expect(l.contains(p)).toBe(true);
          expect(path.relative(l.v2, p).split(path.sep)).not.toContain('..');
        }
        expect(l.repositoryDir(name)).toBe(path.join(l.repositoriesDir, ...name.split('/')));
      }),
    );
  });
});
