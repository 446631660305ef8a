import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isRepositoryComponent, isRepositoryName, isTagName, MAX_REPOSITORY_NAME_LENGTH } from '../../src/registry/names.js';

/** Valid components by construction: alnum runs joined by '.', '_', '__' or dashes. */
const alnum = fc.stringMatching(/^[a-z0-9]{1,6}$/);
const separator = fc.constantFrom('.', '_', '__', '-', '--', '---');
const component = fc
  .tuple(alnum, fc.array(fc.tuple(separator, alnum), { maxLength: 3 }))
  .map(([head, rest]) => head + rest.map(([s, a]) => s + a).join(''));
const repositoryName = fc.array(component, { minLength: 1, maxLength: 5 }).map((parts) => parts.join('/'));

describe('repository names (spec §1)', () => {
  it.each(['a', 'a/b', 'team/app-1', 'a__b', 'a.b', 'a--b', 'a-b-c', 'a_b', '0', 'library/ubuntu', 'a/b/c/d', 'x.y_z__w---v'])(
    'accepts %j',
    (name) => {
      expect(isRepositoryName(name)).toBe(true);
    },
  );

  it.each([
    '',
    'A',
    'Team/app',
    'a/',
    '/a',
    'a//b',
    '_a',
    'a/_b',
    'a_',
    'a-',
    '-a',
    '.a',
    'a..b',
    'a___b',
    'a._b',
    '.',
    '..',
    'a/../b',
    'a/./b',
    'a b',
    'a\tb',
    'a\0b',
    'a:b',
    'a@b',
    'a\\b',
    'ä',
  ])('rejects %j', (name) => {
    expect(isRepositoryName(name)).toBe(false);
  });

  it('accepts exactly 255 characters and rejects 256', () => {
    expect(MAX_REPOSITORY_NAME_LENGTH).toBe(255);
    expect(isRepositoryName('a'.repeat(255))).toBe(true);
    expect(isRepositoryName('a'.repeat(256))).toBe(false);
    const nested255 = `${'a'.repeat(127)}/${'b'.repeat(127)}`;
    expect(nested255).toHaveLength(255);
    expect(isRepositoryName(nested255)).toBe(true);
    expect(isRepositoryName(`${nested255}c`)).toBe(false);
  });

  it('component check is per component: no slashes inside one', () => {
    expect(isRepositoryComponent('app-1')).toBe(true);
    expect(isRepositoryComponent('a/b')).toBe(false);
    expect(isRepositoryComponent('_manifests')).toBe(false);
    expect(isRepositoryComponent('')).toBe(false);
  });

  it('property: names built from the grammar are accepted while within 255 characters', () => {
    fc.assert(
      fc.property(repositoryName, (name) => {
        expect(isRepositoryName(name)).toBe(name.length <= 255);
      }),
    );
  });

  it('property: a valid name with an upper-case letter, an empty component or a leading "_" is rejected', () => {
    fc.assert(
      fc.property(repositoryName, fc.nat(), (name, seed) => {
        const i = seed % name.length;
        expect(isRepositoryName(name.slice(0, i) + name.charAt(i).toUpperCase() + name.slice(i + 1))).toBe(
          !/[a-z]/.test(name.charAt(i)) && name.length <= 255,
        );
        expect(isRepositoryName(`${name}/`)).toBe(false);
        expect(isRepositoryName(`${name}//x`)).toBe(false);
        expect(isRepositoryName(`_${name}`)).toBe(false);
        expect(isRepositoryName(`${name}/_x`)).toBe(false);
      }),
    );
  });
});

describe('tag names', () => {
  it.each(['latest', 'v1', 'v1.2.3', '1.0-rc.1', 'A', '_private', 'a_b', 'UPPER-case.1', 'x'.repeat(128)])('accepts %j', (tag) => {
    expect(isTagName(tag)).toBe(true);
  });

  it.each(['', '.hidden', '-dash', '.', '..', 'a/b', 'a b', 'a:b', 'a@b', 'a\0', 'a\n', 'é', 'x'.repeat(129)])('rejects %j', (tag) => {
    expect(isTagName(tag)).toBe(false);
  });
});
