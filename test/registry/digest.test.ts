import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ALGORITHMS,
  computeDigest,
  digestOf,
  HEX_LENGTH,
  isDigest,
  parseDigest,
  splitDigest,
  type Algorithm,
  type Digest,
} from '../../src/registry/digest.js';

const hex = (n: number, ch = 'a'): string => ch.repeat(n);
const SHA256 = `sha256:${'0123456789abcdef'.repeat(4)}`;

describe('parseDigest', () => {
  it.each([
    ['sha256', 64],
    ['sha384', 96],
    ['sha512', 128],
  ] as const)('accepts %s with exactly %i lower-case hex characters', (algorithm, length) => {
    const h = '0123456789abcdef'.repeat(length / 16);
    const value = `${algorithm}:${h}`;
    const parsed = parseDigest(value);
    expect(parsed).toEqual({ algorithm, hex: h, digest: value });
    expect(HEX_LENGTH[algorithm]).toBe(length);
    expect(isDigest(value)).toBe(true);
  });

  it.each([
    ['upper-case hex', `sha256:${'ABCDEF0123456789'.repeat(4)}`],
    ['one upper-case character', `sha256:${hex(63)}A`],
    ['upper-case algorithm', `SHA256:${hex(64)}`],
    ['sha256 with 63 characters', `sha256:${hex(63)}`],
    ['sha256 with 65 characters', `sha256:${hex(65)}`],
    ['sha256 with sha512 length', `sha256:${hex(128)}`],
    ['sha384 with 64 characters', `sha384:${hex(64)}`],
    ['sha512 with 96 characters', `sha512:${hex(96)}`],
    ['empty hex', 'sha256:'],
    ['unknown algorithm', `md5:${hex(32)}`],
    ['unknown algorithm of the right length', `sha1:${hex(64)}`],
    ['inherited property name as algorithm', `constructor:${hex(64)}`],
    ['__proto__ as algorithm', `__proto__:${hex(64)}`],
    ['missing colon', `sha256${hex(64)}`],
    ['empty algorithm', `:${hex(64)}`],
    ['empty string', ''],
    ['path traversal', '../../etc/passwd'],
    ['path traversal after the algorithm', `sha256:../../${hex(58)}`],
    ['slash in hex', `sha256:${hex(32)}/${hex(31)}`],
    ['NUL byte inside', `sha256:${hex(32)}\0${hex(31)}`],
    ['NUL byte at the end', `sha256:${hex(64)}\0`],
    ['trailing newline', `sha256:${hex(64)}\n`],
    ['leading space', ` sha256:${hex(64)}`],
    ['two colons', `sha256:sha256:${hex(57)}`],
    ['non-hex letters', `sha256:${hex(63, 'a')}g`],
  ])('rejects %s', (_label, value) => {
    expect(parseDigest(value)).toBeUndefined();
    expect(isDigest(value)).toBe(false);
  });

  it.each([
    ['undefined', undefined],
    ['null', null],
    ['a number', 256],
    ['an object', { digest: SHA256 }],
    ['an array', [SHA256]],
    ['a String object', new String(SHA256)],
  ])('rejects non-strings: %s', (_label, value) => {
    expect(parseDigest(value)).toBeUndefined();
    expect(isDigest(value)).toBe(false);
  });

  it('property: only strings of the form <known alg>:<lower hex of its length> parse', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 140 }), (value) => {
        const parsed = parseDigest(value);
        const match = /^(sha256|sha384|sha512):([0-9a-f]+)$/.exec(value);
        const expected = match !== null && match[2]!.length === HEX_LENGTH[match[1] as Algorithm];
        expect(parsed !== undefined).toBe(expected);
      }),
    );
  });
});

describe('computeDigest', () => {
  it.each(ALGORITHMS)('matches node:crypto for %s', (algorithm) => {
    const data = Buffer.from('hello registry\n');
    expect(computeDigest(data, algorithm)).toBe(`${algorithm}:${createHash(algorithm).update(data).digest('hex')}`);
  });

  it('defaults to sha256 and hashes strings as UTF-8', () => {
    expect(computeDigest('')).toBe('sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(computeDigest('é')).toBe(computeDigest(Buffer.from('é', 'utf8')));
  });

  it('property: for any bytes, parseDigest(computeDigest(bytes)) round-trips', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), fc.constantFrom(...ALGORITHMS), (bytes, algorithm) => {
        const digest = computeDigest(bytes, algorithm);
        const parsed = parseDigest(digest);
        expect(parsed).toBeDefined();
        expect(parsed!.algorithm).toBe(algorithm);
        expect(parsed!.digest).toBe(digest);
        expect(parsed!.hex).toBe(createHash(algorithm).update(bytes).digest('hex'));
      }),
    );
  });
});

describe('splitDigest and digestOf', () => {
  it('property: digestOf(splitDigest(d)) === d and splitDigest(digestOf(a, h)) gives back a and h', () => {
    const arbDigest = fc.constantFrom(...ALGORITHMS).chain((algorithm) =>
      fc.stringMatching(new RegExp(`^[0-9a-f]{${HEX_LENGTH[algorithm]}}$`)).map((h) => ({ algorithm, hex: h })),
    );
    fc.assert(
      fc.property(arbDigest, ({ algorithm, hex: h }) => {
        const digest = digestOf(algorithm, h);
        expect(digest).toBe(`${algorithm}:${h}`);
        const split = splitDigest(digest);
        expect(split).toEqual({ algorithm, hex: h, digest });
        expect(digestOf(split.algorithm, split.hex)).toBe(digest);
      }),
    );
  });

  it.each([
    ['upper-case hex', 'sha256', hex(64, 'A')],
    ['short hex', 'sha256', hex(63)],
    ['long hex', 'sha256', hex(65)],
    ['sha256 length for sha512', 'sha512', hex(64)],
    ['path traversal', 'sha256', '../../etc/passwd'],
    ['empty hex', 'sha384', ''],
    ['NUL byte', 'sha256', `${hex(63)}\0`],
  ] as const)('digestOf throws on bad hex: %s', (_label, algorithm, h) => {
    expect(() => digestOf(algorithm as Algorithm, h)).toThrow(TypeError);
  });

  it('splitDigest throws on something that is not a digest', () => {
    expect(() => splitDigest('../../etc/passwd' as Digest)).toThrow(TypeError);
    expect(() => splitDigest(`sha256:${hex(63)}` as Digest)).toThrow(TypeError);
  });
});
