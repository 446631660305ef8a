/**
 * IdentitySet answers exactly as a set of identity() keys would: apply's
 * gate and its account of what was deleted rest on it.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IdentitySet } from '../../src/report/identity-set.js';
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
