import { describe, expect, it } from 'vitest';
import type { Digest } from '../../src/registry/digest.js';
import { DigestInterner } from '../../src/registry/digest-interner.js';

const hex = (c: string) => c.repeat(64);

describe('DigestInterner', () => {
  it('keeps one entry per distinct digest and hands back equal strings', () => {
    const digests = new DigestInterner();
    const built = `sha256:${hex('a')}` as Digest;
    expect(digests.intern(built)).toBe(built);
    expect(digests.intern(`sha256:${'a'.repeat(64)}` as Digest)).toBe(built);
    expect(digests.intern(`sha512:${hex('b')}${hex('b')}` as Digest)).toBe(`sha512:${hex('b')}${hex('b')}`);
    expect(digests.size).toBe(2);
  });

  it('interns a list in place, and starts afresh after clear', () => {
    const digests = new DigestInterner();
    const list = [`sha256:${hex('c')}`, `sha256:${hex('d')}`, `sha256:${hex('c')}`] as Digest[];
    expect(digests.internAll(list)).toBe(list);
    expect(list).toEqual([`sha256:${hex('c')}`, `sha256:${hex('d')}`, `sha256:${hex('c')}`]);
    expect(digests.size).toBe(2);
    digests.clear();
    expect(digests.size).toBe(0);
    expect(digests.intern(list[1]!)).toBe(`sha256:${hex('d')}`);
    expect(digests.size).toBe(1);
  });
});
