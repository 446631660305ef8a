/**
 * Hostile link files (issue 5, spec §4): seven kinds of bad content, each
 * planted in the four kinds of link file. A bad link is reported by code and
 * never turned into a path; a revision whose link is bad is kept; a tag whose
 * link is bad keeps its whole repository under -m; a layer link or a
 * tag-history entry that is a deletion candidate is left alone when its
 * content is not exactly its folder's digest. Every case compares a full
 * listing with sizes before and after: exactly the usual garbage goes.
 */
import path from 'node:path';
import { afterAll, describe, it } from 'vitest';
import { computeDigest, type Digest } from '../../src/registry/digest.js';
import { expectFinding, hex, hostileTree, HostileTally, imageFolders, overwrite, rel, runGc, usualGarbage, type HostileTree } from '../support/hostile.js';

const tally = new HostileTally('hostile-links');
afterAll(() => tally.log());

const NOWHERE = computeDigest('a manifest that was never pushed');

/** Each bad content, from the digest the link should hold; `mismatch` holds another valid digest. */
const CONTENTS: ReadonlyArray<{ name: string; content: (d: Digest) => string | Buffer | { directory: true }; mismatch?: true }> = [
  { name: 'a path, ../../etc/passwd', content: () => '../../etc/passwd' },
  { name: 'sha256: with a digest one character short', content: (d) => d.slice(0, -1) },
  { name: 'upper-case hex', content: (d) => `sha256:${hex(d).toUpperCase()}` },
  { name: 'a digest that disagrees with its folder', content: () => NOWHERE, mismatch: true },
  { name: 'nothing (an empty file)', content: () => '' },
  { name: 'a directory where the file should be', content: () => ({ directory: true }) },
  { name: 'a NUL byte after the digest', content: (d) => Buffer.from(`${d}\0`, 'latin1') },
];

interface Location {
  readonly name: string;
  /** Plants what the location needs; returns the link file and the digest it should hold. */
  readonly plant: (h: HostileTree) => { file: string; digest: Digest };
  /** Expected finding codes (and the root-relative paths they name). */
  readonly findings: (h: HostileTree, file: string, mismatch: boolean) => Array<[string, string]>;
  /** Absolute folders the run may delete. */
  readonly allowed: (h: HostileTree, mismatch: boolean) => string[];
}

const LOCATIONS: readonly Location[] = [
  {
    name: 'revision link (of an untagged revision)',
    plant: (h) => ({ file: h.t.layout.revisionLink('app', h.ua.manifest.digest), digest: h.ua.manifest.digest }),
    findings: (h, file, mismatch) => [[mismatch ? 'link_mismatch' : 'bad_link', rel(h.t, file)]],
    // Kept: what the registry would make of a bad revision link is unknown.
    allowed: (h) => usualGarbage(h, { keepApp: true }),
  },
  {
    name: 'tag current link',
    plant: (h) => ({ file: h.t.layout.tagCurrentLink('app', 'v1'), digest: h.a.manifest.digest }),
    findings: (h, file, mismatch) =>
      mismatch
        ? [['tag_target_missing', rel(h.t, file)]]
        : [
            ['bad_link', rel(h.t, file)],
            ['repository_kept_whole', rel(h.t, h.t.layout.repositoryDir('app'))],
          ],
    // A valid digest naming no revision is a tag that cannot be pulled: what it pointed at before is untagged now.
    allowed: (h, mismatch) =>
      mismatch
        ? [...usualGarbage(h), ...imageFolders(h.t, 'app', h.a), h.t.layout.tagIndexEntryDir('app', 'v1', h.a.manifest.digest)]
        : usualGarbage(h, { keepApp: true }),
  },
  {
    name: 'layer link (dangling, so a deletion candidate)',
    plant: (h) => {
      const digest = computeDigest('a layer whose blob is gone');
      h.t.layerLink('app', digest);
      return { file: h.t.layout.layerLink('app', digest), digest };
    },
    findings: (h, file, mismatch) => [[mismatch ? 'link_mismatch' : 'bad_link', rel(h.t, file)]],
    allowed: (h) => usualGarbage(h),
  },
  {
    name: 'tag-history link (naming no revision, so a deletion candidate)',
    plant: (h) => {
      const digest = computeDigest('a manifest deleted through the API');
      h.t.history('app', 'v1', digest);
      return { file: path.join(h.t.layout.tagIndexEntryDir('app', 'v1', digest), 'link'), digest };
    },
    findings: (h, file, mismatch) => [[mismatch ? 'link_mismatch' : 'bad_link', rel(h.t, file)]],
    allowed: (h) => usualGarbage(h),
  },
];

for (const location of LOCATIONS) {
  describe(`a ${location.name} holding`, () => {
    for (const bad of CONTENTS) {
      const mismatch = bad.mismatch === true;
      it(`${bad.name}: reported, never followed, only the usual garbage goes`, async () => {
        const h = hostileTree();
        const { file, digest } = location.plant(h);
        overwrite(file, bad.content(digest));
        const check = tally.watch(h.t.root, h.outside);
        const outcome = await runGc(h.t.root);
        check(location.allowed(h, mismatch));
        for (const [code, where] of location.findings(h, file, mismatch)) expectFinding(outcome, code, where);
      });
    }
  });
}
