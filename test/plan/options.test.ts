/** The options that decide what is garbage, listed once (plan/options.ts). */
import { describe, expect, it } from 'vitest';
import { normalizeOptions } from '../../src/collect/options.js';
import { DECIDING_OPTIONS, invalidOption, optionValues, decidingOptionsOf } from '../../src/plan/options.js';

describe('the deciding options', () => {
  it('are taken from a run’s options, in the fingerprint’s order', () => {
    const options = decidingOptionsOf(normalizeOptions({ deleteUntagged: true, uploadAge: '1h', minAge: '2h', keepUploads: true }));
    expect(options).toEqual({ deleteUntagged: true, pruneLayerLinks: false, removeEmptyRepositories: false, keepUploads: true, uploadAge: 3_600_000, minAge: 7_200_000, maxManifestBytes: 4194304 });
    expect(optionValues(options)).toEqual([true, false, false, true, 3_600_000, 7_200_000, 4194304]);
  });

  it('are all a plan passes on to the runs of apply, whatever else its options hold', () => {
    const recorded = { ...decidingOptionsOf(normalizeOptions({ deleteUntagged: true })), allow: {}, dryRun: false, fileSystem: 'x' };
    expect(Object.keys(decidingOptionsOf(recorded as never)).sort()).toEqual(DECIDING_OPTIONS.map((o) => o.name).sort());
  });

  it('name the first one of the wrong kind', () => {
    const good: Record<string, unknown> = { ...decidingOptionsOf(normalizeOptions({})) };
    expect(invalidOption(good)).toBeUndefined();
    expect(invalidOption({ ...good, keepUploads: 'yes' })).toBe('keepUploads');
    expect(invalidOption({ ...good, minAge: -1 })).toBe('minAge');
    expect(invalidOption({ ...good, maxManifestBytes: 0 })).toBe('maxManifestBytes');
    expect(invalidOption({ ...good, uploadAge: undefined })).toBe('uploadAge');
  });

  it('are the flags apply refuses', () => {
    expect(DECIDING_OPTIONS.flatMap((o) => (o.flag ? [o.flag] : []))).toEqual(['delete-untagged', 'prune-layer-links', 'remove-empty-repositories', 'keep-uploads', 'upload-age', 'min-age']);
  });
});
