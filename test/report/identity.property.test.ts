/**
 * Identities are a contract between a plan and the runs that apply it: the
 * hand-built key must be exactly JSON.stringify([category, ...fields]) for
 * every value a field can hold, escaping or not.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CATEGORIES, identity, identityKey, KINDS } from '../../src/report/kinds.js';

describe('identity', () => {
  it('is JSON.stringify of the category and its identity fields, whatever they hold', () => {
    const value = fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.constantFrom('a"b', 'a\\b', '\n', '\u2028', '\ud800', 'sha256:ab'), fc.nat(), fc.constant(undefined));
    fc.assert(
      fc.property(fc.constantFrom(...CATEGORIES), fc.dictionary(fc.constantFrom('repository', 'digest', 'tag', 'id', 'startedAt', 'size', 'rule', 'reason'), value), (category, item) => {
        const expected = JSON.stringify([category, ...KINDS[category].identity.map((field) => (item as Record<string, unknown>)[field])]);
        expect(identityKey(category, item as never)).toBe(expected);
        // Made once per item and category, then remembered: the same key, asked again or first.
        expect(identity(category, item as never)).toBe(expected);
        expect(identity(category, item as never)).toBe(expected);
      }),
      { numRuns: 2000 },
    );
  });

  it('is remembered per category: one item named in two categories has each its own key', () => {
    const item = { repository: 'team/app', digest: 'sha256:ab', tag: 'v1' };
    expect(identity('manifests', item)).toBe(JSON.stringify(['manifests', 'team/app', 'sha256:ab']));
    expect(identity('tagHistory', item)).toBe(JSON.stringify(['tagHistory', 'team/app', 'v1', 'sha256:ab']));
    expect(identity('manifests', item)).toBe(JSON.stringify(['manifests', 'team/app', 'sha256:ab']));
  });
});
