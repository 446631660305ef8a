/**
 * IdentitySet and IdentityMap answer exactly as a set and a map of
 * identity() keys would: apply's gate, what it spares and why, and its
 * account of what was deleted rest on them.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IdentityMap, IdentitySet } from '../../src/report/identity-set.js';
import { CATEGORIES, identityKey, type Category } from '../../src/report/kinds.js';

// Few values, so that items collide often; strings that look like other values' JSON included.
const value = fc.oneof(
  fc.constantFrom('team/app', 'sha256:ab', 'sha256:cd', 'v1', 'null', '1', '"1"', '', 'a"b', '\u2028'),
  fc.constantFrom(0, 1, -0, Number.NaN, Number.POSITIVE_INFINITY),
  fc.constant(null),
  fc.constant(undefined),
);
const item = fc.dictionary(fc.constantFrom('repository', 'digest', 'tag', 'id', 'startedAt', 'size', 'reason'), value);
const entry = fc.tuple(fc.constantFrom(...CATEGORIES), item);

describe('IdentitySet', () => {
  it('holds an item exactly when a set of identity keys would', () => {
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 30 }), fc.array(entry, { maxLength: 30 }), (added, asked) => {
        const set = new IdentitySet();
        const keys = new Set<string>();
        for (const [category, fields] of added) {
          set.add(category, fields as never);
          keys.add(identityKey(category, fields as never));
        }
        expect(set.size).toBe(keys.size);
        for (const [category, fields] of [...added, ...asked]) {
          expect(set.has(category, fields as never)).toBe(keys.has(identityKey(category, fields as never)));
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('tells categories apart, and ignores fields that are not part of the identity', () => {
    const set = new IdentitySet().add('manifests', { repository: 'team/app', digest: 'sha256:ab', reason: 'untagged' } as never);
    expect(set.has('manifests', { repository: 'team/app', digest: 'sha256:ab' } as never)).toBe(true);
    expect(set.has('layerLinks', { repository: 'team/app', digest: 'sha256:ab' } as never)).toBe(false);
    expect(set.has('manifests' as Category, { repository: 'team/app', digest: 'sha256:cd' } as never)).toBe(false);
    expect(set.has('manifests', { repository: 'team/app' } as never)).toBe(false);
  });
});

describe('IdentityMap', () => {
  it('gives the value last set for an identity, as a map of identity keys would', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(entry, fc.integer()), { maxLength: 30 }), fc.array(entry, { maxLength: 30 }), (written, asked) => {
        const map = new IdentityMap<number>();
        const byKey = new Map<string, number>();
        for (const [[category, fields], value] of written) {
          map.set(category, fields as never, value);
          byKey.set(identityKey(category, fields as never), value);
        }
        expect(map.size).toBe(byKey.size);
        for (const [category, fields] of [...written.map(([e]) => e), ...asked]) {
          const key = identityKey(category, fields as never);
          expect(map.has(category, fields as never)).toBe(byKey.has(key));
          expect(map.get(category, fields as never)).toBe(byKey.get(key));
        }
      }),
      { numRuns: 1000 },
    );
  });
});
