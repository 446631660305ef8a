/**
 * Retention against an independent model (fast-check): over generated
 * registries with random push times and random rules, exactly the tags the
 * rules select are deleted, and with deleteOrphanedTags exactly the
 * signature tags whose image goes; every tag that stays (a sibling of a deleted
 * one included) still has its whole image; the dry run lists what the real
 * run deletes; a second run deletes nothing.
 */
import fc from 'fast-check';
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { collectGarbage } from '../../src/collect/collect-garbage.js';
import type { RetentionRule } from '../../src/retention/policy.js';
import { blobExists, tempDir, TreeBuilder, type Image } from '../../harness/tree.js';

const NOW = new Date('2026-12-01T00:00:00Z');
const DAY = 86_400_000;
const TAG_NAMES = ['latest', 'v1.0.0', 'v1.1.0', 'build-1', 'build-2', 'build-3', 'pr-1', 'pr-22', 'nightly'];
const KEEP_PATTERNS = ['v\\d+\\.\\d+\\.\\d+', 'nightly'];
const DELETE_PATTERNS = ['build-\\d+', 'pr-\\d+'];
const AGES: Record<string, number> = { '7d': 7 * DAY, '30d': 30 * DAY };

interface TagSpec {
  readonly name: string;
  /** Which image of the repository it points at (two tags may share one). */
  readonly image: number;
  /** Whole days ago, plus an hour: never exactly on an olderThan boundary. */
  readonly days: number;
}

const repositorySpec = fc.record({
  tags: fc.uniqueArray(fc.record({ name: fc.constantFrom(...TAG_NAMES), image: fc.nat(3), days: fc.constantFrom(0, 2, 10, 40) }), {
    minLength: 1,
    maxLength: 7,
    selector: (t) => t.name,
  }),
  /** Images (0–3) that get a cosign-style signature tag `sha256-<hex>.sig`; an index with no image signs one that is gone. */
  signed: fc.uniqueArray(fc.nat(4), { maxLength: 3 }),
});
type RepositorySpec = { readonly tags: readonly TagSpec[]; readonly signed: readonly number[] };

const ruleSpec = fc.record(
  {
    keepLast: fc.nat(3),
    keepTags: fc.subarray(KEEP_PATTERNS, { minLength: 1 }),
    olderThan: fc.constantFrom('7d', '30d'),
    deleteTags: fc.subarray(DELETE_PATTERNS, { minLength: 1 }),
  },
  { requiredKeys: [] },
);

/** The model: spec §9 and the README's Retention section, written from them, not from src/. */
function expectedDeletions(repo: string, tags: readonly TagSpec[], rule: RetentionRule, keepLatest: boolean): string[] {
  const active = rule.keepLast !== undefined || (rule.keepTags ?? []).length > 0 || rule.olderThan !== undefined || (rule.deleteTags ?? []).length > 0;
  if (!active) return [];
  const whole = (patterns: readonly string[] | undefined, name: string) => (patterns ?? []).some((p) => new RegExp(`^(?:${p})$`).test(name));
  // Newest first (fewest days ago); equal times: the later name first.
  const ranked = [...tags].sort((a, b) => a.days - b.days || (a.name < b.name ? 1 : -1));
  return ranked
    .filter((tag, rank) => {
      const kept = (rule.keepLast !== undefined && rank < rule.keepLast) || whole(rule.keepTags, tag.name) || (keepLatest && tag.name === 'latest');
      const ageMs = tag.days * DAY + 3_600_000;
      const deletable = (rule.olderThan === undefined || ageMs > AGES[rule.olderThan as string]!) && ((rule.deleteTags ?? []).length === 0 || whole(rule.deleteTags, tag.name));
      return !kept && deletable;
    })
    .map((tag) => `${repo}:${tag.name}`);
}

/** Orphaned signature tags: those whose image keeps no tag after the rule (or never had one). */
function expectedOrphans(repo: string, spec: RepositorySpec, deleted: readonly string[]): string[] {
  const staying = new Set(spec.tags.filter((t) => !deleted.includes(`${repo}:${t.name}`)).map((t) => t.image));
  return spec.signed.filter((image) => !staying.has(image)).map((image) => `${repo}:${signatureTag(repo, image)}`);
}

/** The signature tag of image `image` of `repo`, as build() named it. */
const signatureTags = new Map<string, string>();
const signatureTag = (repo: string, image: number) => signatureTags.get(`${repo}#${image}`)!;

function build(repos: readonly RepositorySpec[]): { root: string; tagged: Map<string, Image> } {
  const t = new TreeBuilder(tempDir());
  const tagged = new Map<string, Image>();
  repos.forEach((spec, r) => {
    const repo = `team/r${r}`;
    const images = new Map<number, Image>();
    const imageOf = (n: number) => {
      let image = images.get(n);
      if (image === undefined) images.set(n, (image = t.image(repo, { layers: [`${repo} image ${n}`] })));
      return image;
    };
    for (const tag of spec.tags) {
      const image = imageOf(tag.image);
      t.tag(repo, tag.name, image.manifest.digest);
      t.pushedAt(repo, tag.name, new Date(NOW.getTime() - tag.days * DAY - 3_600_000));
      tagged.set(`${repo}:${tag.name}`, image);
    }
    for (const n of spec.signed) {
      // Image 4 is never tagged: its signature signs an image that is gone (only its digest is used).
      const subject = n < 4 ? imageOf(n).manifest.digest : `sha256:${'0'.repeat(63)}${r}`;
      const name = `sha256-${subject.slice('sha256:'.length)}.sig`;
      signatureTags.set(`${repo}#${n}`, name);
      tagged.set(`${repo}:${name}`, t.image(repo, { tag: name, layers: [`signature of ${subject}`] }));
    }
    // An image made only to be signed has no tag: -m takes it, and its signature is then an orphan.
  });
  return { root: t.root, tagged };
}

describe('retention against a model', () => {
  it('deletes exactly the selected tags, keeps every remaining image whole, dry equals real, and a second run deletes nothing', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(repositorySpec, { minLength: 1, maxLength: 3 }), ruleSpec, fc.boolean(), fc.boolean(), async (repos, rule, keepLatest, deleteOrphanedTags) => {
        const { root, tagged } = build(repos);
        const options = { deleteUntagged: true, now: NOW, retention: { rules: [rule], keepLatest, deleteOrphanedTags } };
        const expected = repos
          .flatMap((spec, r) => {
            const repo = `team/r${r}`;
            const byRule = expectedDeletions(repo, spec.tags, rule, keepLatest);
            return [...byRule, ...(deleteOrphanedTags ? expectedOrphans(repo, spec, byRule) : [])];
          })
          .sort();

        const dry = await collectGarbage(root, { ...options, dryRun: true });
        const real = await collectGarbage(root, options);
        const deleted = real.tags.deleted.map((d) => `${d.repository}:${d.tag}`).sort();
        expect(deleted).toEqual(expected);
        expect([dry.tags.deleted, dry.manifests.deleted, dry.blobs.deleted]).toEqual([real.tags.deleted, real.manifests.deleted, real.blobs.deleted]);

        for (const [name, image] of tagged) {
          const [repo, tag] = name.split(':') as [string, string];
          const stays = !expected.includes(name);
          expect(fs.existsSync(new TreeBuilder(root).layout.tagDir(repo, tag)), name).toBe(stays);
          if (stays) for (const d of [image.manifest, image.config, ...image.layers]) expect(blobExists(root, d.digest), `${name} ${d.digest}`).toBe(true);
        }
        const again = await collectGarbage(root, { ...options, dryRun: true });
        expect([again.tags.deleted, again.manifests.deleted, again.blobs.deleted, again.layerLinks.deleted]).toEqual([[], [], [], []]);
      }),
      { numRuns: 100 },
    );
  });
});
