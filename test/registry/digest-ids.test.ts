import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DigestBits, DigestIds, type DigestId } from '../../src/registry/digest-ids.js';
import { computeDigest, type Digest } from '../../src/registry/digest.js';

const sha256 = (n: number) => computeDigest(`blob ${n}`);
const hexDigest = (algorithm: 'sha256' | 'sha384' | 'sha512', length: number) =>
  fc.stringMatching(new RegExp(`^[0-9a-f]{${length}}$`)).map((hex) => `${algorithm}:${hex}` as Digest);
const anyDigest = fc.oneof({ weight: 8, arbitrary: hexDigest('sha256', 64) }, hexDigest('sha384', 96), hexDigest('sha512', 128));

describe('DigestIds', () => {
  it('gives each distinct digest one id, in order, and tells the digest back', () => {
    const ids = new DigestIds();
    const digests = Array.from({ length: 70_000 }, (_, i) => sha256(i)); // more than two chunks of bytes
    const given = digests.map((d) => ids.id(d));
    expect(given).toEqual(digests.map((_, i) => i));
    // Again, after the index grew several times: the same ids.
    expect(digests.map((d) => ids.id(d))).toEqual(given);
    expect(digests.map((d) => ids.find(d))).toEqual(given);
    expect(given.map((id) => ids.digest(id))).toEqual(digests);
    expect(ids.size).toBe(70_000);
  });

  it('tells the same digest back through sharedDigest, asked in any order, in every chunk, for sha256 and sha512', () => {
    const ids = new DigestIds();
    const digests = [...Array.from({ length: 70_000 }, (_, i) => sha256(i)), `sha512:${'ab'.repeat(64)}` as Digest];
    const given = digests.map((d) => ids.id(d));
    // Backwards, twice: later chunks are made first, and a second ask is answered from what the first made.
    for (let round = 0; round < 2; round++) {
      for (let i = given.length - 1; i >= 0; i -= 7) expect(ids.sharedDigest(given[i]!)).toBe(digests[i]);
    }
    expect(given.map((id) => ids.sharedDigest(id))).toEqual(digests);
  });

  it('tells the same digest back through sharedDigest while few ids are asked for, and after most are', () => {
    const ids = new DigestIds();
    const digests = Array.from({ length: 40_000 }, (_, i) => sha256(i));
    const given = digests.map((d) => ids.id(d));
    // A tenth first (kept as few), then every id (kept by chunks from a quarter on): each answer stays the same.
    const some = given.filter((_, i) => i % 10 === 3);
    expect(some.map((id) => ids.sharedDigest(id))).toEqual(digests.filter((_, i) => i % 10 === 3));
    expect(given.map((id) => ids.sharedDigest(id))).toEqual(digests);
    expect(some.map((id) => ids.sharedDigest(id))).toEqual(digests.filter((_, i) => i % 10 === 3));
  });

  it('finds nothing it never gave, and gives nothing when only asked', () => {
    const ids = new DigestIds();
    ids.id(sha256(1));
    expect(ids.find(sha256(2))).toBeUndefined();
    expect(ids.find('sha512:'.concat('a'.repeat(128)) as Digest)).toBeUndefined();
    expect(ids.size).toBe(1);
  });

  it('refuses a sha256 string that is not hex rather than give it another digest\'s id', () => {
    const ids = new DigestIds();
    ids.id(sha256(1));
    const bad = `sha256:${'z'.repeat(64)}` as Digest;
    expect(() => ids.id(bad)).toThrow(TypeError);
    expect(() => ids.find(bad)).toThrow(TypeError);
    expect(ids.size).toBe(1);
  });

  it('refuses, in the middle or at either end, every character that is not lower-case hex', () => {
    const ids = new DigestIds();
    const hex = sha256(7).slice('sha256:'.length);
    for (const at of [0, 1, 31, 62, 63]) {
      for (const c of ['g', 'A', 'F', '/', ':', ' ', '\0', 'é', '\u0130', '０']) {
        const bad = hex.slice(0, at) + c + hex.slice(at + 1);
        expect(() => ids.id(`sha256:${bad}` as Digest), JSON.stringify(bad)).toThrow(TypeError);
        expect(ids.idOfSha256Hex(bad), JSON.stringify(bad)).toBeUndefined();
      }
    }
    for (const bad of ['', hex.slice(1), hex.slice(2), `${hex}0`, `${hex}00`]) expect(ids.idOfSha256Hex(bad)).toBeUndefined();
    expect(ids.size).toBe(0);
  });

  it('a folder name gives the id of its sha256 digest, and the same digest back', () => {
    fc.assert(
      fc.property(fc.uniqueArray(hexDigest('sha256', 64), { maxLength: 50 }), fc.array(fc.nat(), { maxLength: 50 }), (digests, order) => {
        const ids = new DigestIds();
        const byName = digests.map((d) => ids.idOfSha256Hex(d.slice('sha256:'.length)));
        expect(byName).toEqual(digests.map((_, i) => i));
        // Asked again by string or by name, in any order: the same ids.
        for (const n of order) {
          if (digests.length === 0) break;
          const i = n % digests.length;
          expect(ids.id(digests[i]!)).toBe(i);
          expect(ids.idOfSha256Hex(digests[i]!.slice('sha256:'.length))).toBe(i);
        }
        expect(byName.map((id) => ids.digest(id!))).toEqual(digests);
      }),
    );
  });

  it('tells apart digests that share their first bytes (the index hashes a prefix)', () => {
    const ids = new DigestIds();
    const common = 'ab'.repeat(16);
    const digests = Array.from({ length: 300 }, (_, i) => `sha256:${common}${i.toString(16).padStart(32, '0')}` as Digest);
    const given = digests.map((d) => ids.id(d));
    expect(new Set(given).size).toBe(300);
    expect(given.map((id) => ids.digest(id))).toEqual(digests);
  });

  it('is a bijection between digests and ids, for every algorithm', () => {
    fc.assert(
      fc.property(fc.array(anyDigest, { maxLength: 400 }), (digests) => {
        const ids = new DigestIds();
        const firstId = new Map<Digest, DigestId>();
        for (const d of digests) {
          const id = ids.id(d);
          if (!firstId.has(d)) firstId.set(d, id);
          expect(id).toBe(firstId.get(d));
        }
        expect(ids.size).toBe(firstId.size);
        for (const [d, id] of firstId) {
          expect(ids.digest(id)).toBe(d);
          expect(ids.find(d)).toBe(id);
        }
      }),
      { numRuns: 200 },
    );
  });
});

describe('DigestBits', () => {
  it('holds exactly the ids added and not deleted, and counts them', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), fc.nat({ max: 100_000 })), { maxLength: 500 }), (operations) => {
        const bits = new DigestBits();
        const model = new Set<number>();
        for (const [add, n] of operations) {
          const id = n as DigestId;
          if (add) {
            bits.add(id);
            model.add(n);
          } else {
            bits.delete(id);
            model.delete(n);
          }
        }
        expect(bits.size).toBe(model.size);
        for (const [, n] of operations) expect(bits.has(n as DigestId)).toBe(model.has(n));
        expect(bits.has(undefined)).toBe(false);
        expect(bits.has(5_000_000 as DigestId)).toBe(false);
      }),
      { numRuns: 200 },
    );
  });

  it('is empty after clear, and usable again', () => {
    const bits = new DigestBits();
    bits.add(70_000 as DigestId);
    bits.clear();
    expect(bits.size).toBe(0);
    expect(bits.has(70_000 as DigestId)).toBe(false);
    bits.add(3 as DigestId);
    expect(bits.has(3 as DigestId)).toBe(true);
  });
});
