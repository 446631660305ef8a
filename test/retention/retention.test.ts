/**
 * Tag retention (spec §9, issue 14) through collectGarbage: which tags go,
 * what goes with them, and that everything a remaining tag needs is still
 * on disk afterwards.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { collectGarbage } from '../../src/collect/collect-garbage.js';
import type { CollectOptions } from '../../src/collect/options.js';
import { computeDigest, type Digest } from '../../src/registry/digest.js';
import type { RetentionPolicy } from '../../src/retention/policy.js';
import { restoreTrash } from '../../src/trash/verbs.js';
import { blobExists, snapshot, tempDir, TreeBuilder, type Image } from '../../harness/tree.js';

const NOW = new Date('2026-12-01T00:00:00Z');
const daysAgo = (n: number) => new Date(NOW.getTime() - n * 86_400_000);
const base = { deleteUntagged: true, now: NOW } satisfies CollectOptions;

/** `repo` with one image per tag, tag i pushed `ages[i]` days ago. */
function registry(repo: string, tags: Record<string, number>, t = new TreeBuilder(tempDir())): { t: TreeBuilder; images: Map<string, Image> } {
  const images = new Map<string, Image>();
  for (const [tag, age] of Object.entries(tags)) {
    const image = t.image(repo, { tag });
    t.pushedAt(repo, tag, daysAgo(age));
    images.set(tag, image);
  }
  return { t, images };
}

const tagsOf = (t: TreeBuilder, repo: string) => (fs.existsSync(t.layout.tagsDir(repo)) ? fs.readdirSync(t.layout.tagsDir(repo)).sort() : []);
const deletedTags = (report: Awaited<ReturnType<typeof collectGarbage>>) => report.tags.deleted.map((d) => `${d.repository}:${d.tag}`);

function imageIsWhole(t: TreeBuilder, image: Image): boolean {
  return [image.manifest, image.config, ...image.layers].every((d) => blobExists(t.root, d.digest));
}

async function run(t: TreeBuilder, retention: RetentionPolicy, extra: CollectOptions = {}) {
  return collectGarbage(t.root, { ...base, retention, ...extra });
}

describe('tag retention', () => {
  it('keepLast keeps the N most recently pushed tags; the rest go with the images only they kept', async () => {
    const { t, images } = registry('team/app', { 'build-1': 40, 'build-2': 30, 'build-3': 20, 'build-4': 10, 'build-5': 1 });
    const report = await run(t, { rules: [{ keepLast: 2 }] });
    expect(deletedTags(report)).toEqual(['team/app:build-1', 'team/app:build-2', 'team/app:build-3']);
    expect(report.tags.deleted[0]).toEqual({ repository: 'team/app', tag: 'build-1', digest: images.get('build-1')!.manifest.digest, rule: 'rules[0]' });
    expect(tagsOf(t, 'team/app')).toEqual(['build-4', 'build-5']);
    for (const tag of ['build-4', 'build-5']) expect(imageIsWhole(t, images.get(tag)!), tag).toBe(true);
    for (const tag of ['build-1', 'build-2', 'build-3']) expect(blobExists(t.root, images.get(tag)!.manifest.digest), tag).toBe(false);
    expect(report.manifests.deleted).toHaveLength(3);
  });

  it('breaks a tie of push times by name: the name that sorts later counts as newer', async () => {
    const { t } = registry('a', { 'build-09': 5, 'build-10': 5, 'build-08': 5 });
    const report = await run(t, { rules: [{ keepLast: 1 }] });
    expect(deletedTags(report)).toEqual(['a:build-08', 'a:build-09']);
  });

  it('deletes a tag only when no keep rule holds and every delete condition holds', async () => {
    const { t } = registry('a', { 'v1.0.0': 90, 'build-1': 90, 'build-2': 3, 'pr-7': 90, nightly: 90, latest: 90 });
    const report = await run(t, { rules: [{ keepTags: ['v\\d+\\.\\d+\\.\\d+'], olderThan: '30d', deleteTags: ['build-\\d+', 'pr-.*'] }] });
    // v1.0.0 is kept by name, build-2 is too young, nightly matches no delete pattern, latest is kept by default.
    expect(deletedTags(report)).toEqual(['a:build-1', 'a:pr-7']);
  });

  it('matches whole names only', async () => {
    const { t } = registry('a', { 'build-1': 9, 'rebuild-1': 9, 'build-1-old': 9 });
    const report = await run(t, { rules: [{ deleteTags: ['build-\\d+'] }] });
    expect(deletedTags(report)).toEqual(['a:build-1']);
  });

  it('keeps latest unless keepLatest is false', async () => {
    const { t } = registry('a', { latest: 50, old: 50 });
    expect(deletedTags(await run(t, { rules: [{ olderThan: '7d' }] }, { dryRun: true }))).toEqual(['a:old']);
    expect(deletedTags(await run(t, { rules: [{ olderThan: '7d' }], keepLatest: false }, { dryRun: true }))).toEqual(['a:latest', 'a:old']);
  });

  it('a sibling tag on the same digest keeps the image whole', async () => {
    const { t, images } = registry('a', { old: 50 });
    t.tag('a', 'stable', images.get('old')!.manifest.digest);
    t.pushedAt('a', 'stable', daysAgo(1));
    const report = await run(t, { rules: [{ olderThan: '7d' }] });
    expect(deletedTags(report)).toEqual(['a:old']);
    expect(report.manifests.deleted).toEqual([]);
    expect(imageIsWhole(t, images.get('old')!)).toBe(true);
  });

  it('a protected digest keeps its tags and stays even untagged', async () => {
    const { t, images } = registry('a', { old: 50, other: 50 });
    const pinned = t.image('a');
    const protectDigests = [images.get('old')!.manifest.digest, pinned.manifest.digest];
    const report = await run(t, { rules: [{ olderThan: '7d' }], protectDigests });
    expect(deletedTags(report)).toEqual(['a:other']);
    expect(report.manifests.deleted.map((m) => m.digest)).toEqual([images.get('other')!.manifest.digest]);
    expect(imageIsWhole(t, pinned)).toBe(true);
  });

  it('first-match rules per repository glob; a rule without conditions exempts what it matches', async () => {
    const t = new TreeBuilder(tempDir());
    for (const repo of ['prod/api', 'ci/api', 'ci/legacy/x', 'other']) registry(repo, { a: 50, b: 40, c: 1 }, t);
    const policy: RetentionPolicy = {
      rules: [
        { name: 'legacy', repositories: ['ci/legacy/**'] },
        { name: 'ci', repositories: ['ci/**'], keepLast: 1 },
        { name: 'prod', repositories: ['prod/*'], olderThan: '45d' },
      ],
    };
    const report = await run(t, policy);
    expect(report.tags.deleted.map((d) => `${d.repository}:${d.tag}:${d.rule}`)).toEqual(['ci/api:a:ci', 'ci/api:b:ci', 'prod/api:a:prod']);
    expect(tagsOf(t, 'ci/legacy/x')).toEqual(['a', 'b', 'c']);
    expect(tagsOf(t, 'other')).toEqual(['a', 'b', 'c']);
  });

  it('without any rule no tag is deleted, and a rule needs deleteUntagged', async () => {
    const { t } = registry('a', { old: 500 });
    expect((await run(t, {})).tags.deleted).toEqual([]);
    expect((await run(t, { rules: [{ repositories: ['**'] }] })).tags.deleted).toEqual([]);
    await expect(collectGarbage(t.root, { retention: { rules: [{ keepLast: 1 }] } })).rejects.toMatchObject({ code: 'E_INVALID_OPTION', message: expect.stringContaining('deleteUntagged') });
    await expect(run(t, { rules: [{ keepTags: ['('] }] })).rejects.toMatchObject({ code: 'E_INVALID_OPTION', message: expect.stringContaining('keepTags') });
    await expect(run(t, { rules: [{ keepLast: -1 }] })).rejects.toMatchObject({ code: 'E_INVALID_OPTION' });
    await expect(run(t, { rules: [{ olderThan: 'soon' }] })).rejects.toMatchObject({ code: 'E_INVALID_OPTION' });
    await expect(run(t, { rules: [{ keeplast: 1 } as never] })).rejects.toMatchObject({ code: 'E_INVALID_OPTION', message: expect.stringContaining('keeplast') });
    await expect(run(t, { protectDigests: ['sha256:nope'] })).rejects.toMatchObject({ code: 'E_INVALID_OPTION' });
    expect(tagsOf(t, 'a')).toEqual(['old']);
  });

  it('a dry run lists exactly what the real run deletes, a second run deletes nothing, and restore gives the tags back', async () => {
    const { t } = registry('a', { 'b-1': 50, 'b-2': 40, 'b-3': 30, keep: 20 });
    const before = snapshot(t.root);
    const policy = { rules: [{ keepLast: 1, deleteTags: ['b-.*'] }] };
    const dry = await run(t, policy, { dryRun: true });
    expect(snapshot(t.root)).toEqual(before);
    const real = await run(t, policy, { trash: 'keep' });
    expect(real.tags.deleted).toEqual(dry.tags.deleted);
    expect(real.manifests.deleted).toEqual(dry.manifests.deleted);
    expect(real.blobs.deleted).toEqual(dry.blobs.deleted);
    const again = await run(t, policy, { dryRun: true });
    expect([again.tags.deleted, again.manifests.deleted, again.blobs.deleted]).toEqual([[], [], []]);
    expect((await restoreTrash(t.root)).finished).toBe(true);
    const restored = snapshot(t.root);
    for (const [file, size] of before) expect(restored.get(file), file).toBe(size);
  });

  it('a tag that points elsewhere right before it goes stays, and nothing else is deleted in that run', async () => {
    const { t, images } = registry('a', { old: 50, new: 1 });
    const link = t.layout.tagCurrentLink('a', 'old');
    const report = await run(t, { rules: [{ olderThan: '7d' }] }, {
      onProgress: (e) => {
        if (e.phase === 'sweep-tags' && e.done === 0) fs.writeFileSync(link, images.get('new')!.manifest.digest);
      },
    });
    expect(report.tags.deleted).toEqual([]);
    expect(report.warnings.map((w) => w.code)).toContain('tag_moved');
    // An error: the run did not do its job (exit 1).
    expect(report.errors.map((e) => e.code)).toEqual(['sweep_stopped']);
    expect(report.manifests.deleted).toEqual([]);
    expect(report.blobs.deleted).toEqual([]);
    expect(imageIsWhole(t, images.get('old')!)).toBe(true);
  });

  it('a tag already gone right before it goes counts as gone, and the run goes on', async () => {
    const { t, images } = registry('a', { old: 50, new: 1 });
    const report = await run(t, { rules: [{ olderThan: '7d' }] }, {
      onProgress: (e) => {
        if (e.phase === 'sweep-tags' && e.done === 0) fs.rmSync(t.layout.tagDir('a', 'old'), { recursive: true });
      },
    });
    expect(deletedTags(report)).toEqual(['a:old']);
    expect(report.errors).toEqual([]);
    expect(report.manifests.deleted.map((m) => m.digest)).toEqual([images.get('old')!.manifest.digest]);
    expect(imageIsWhole(t, images.get('new')!)).toBe(true);
  });

  it('never deletes a tag of a repository whose tag targets are uncertain, nor one whose link is bad', async () => {
    const { t } = registry('a', { old: 50, other: 50 });
    fs.writeFileSync(t.layout.tagCurrentLink('a', 'other'), 'not a digest');
    const report = await run(t, { rules: [{ olderThan: '7d' }] });
    expect(report.tags.deleted).toEqual([]);
    expect(tagsOf(t, 'a')).toEqual(['old', 'other']);
  });
});

describe('orphaned referrer tags', () => {
  /** An image tagged `v1`, its cosign-style signature tag, and a signature of that signature. */
  function signed(t: TreeBuilder, repo: string, tag: string): { image: Image; sig: Image; sigOfSig: Image } {
    const image = t.image(repo, { tag });
    const hex = (d: Digest) => d.slice('sha256:'.length);
    const sig = t.image(repo, { tag: `sha256-${hex(image.manifest.digest)}.sig`, layers: [`signature of ${image.manifest.digest}`] });
    const sigOfSig = t.image(repo, { tag: `sha256-${hex(sig.manifest.digest)}.sig`, layers: [`signature of ${sig.manifest.digest}`] });
    return { image, sig, sigOfSig };
  }

  it('go when their subject goes (with what only they kept); stay, to a fixpoint, while it stays', async () => {
    const t = new TreeBuilder(tempDir());
    const kept = signed(t, 'a', 'v1');
    const gone = signed(t, 'a', 'v0');
    t.pushedAt('a', 'v0', daysAgo(50));
    const report = await run(t, { rules: [{ olderThan: '7d', deleteTags: ['v0'] }], deleteOrphanedTags: true });
    const hex = (d: Digest) => d.slice('sha256:'.length);
    expect(report.tags.deleted.map((d) => `${d.tag}:${d.rule}`).sort()).toEqual(
      [`sha256-${hex(gone.image.manifest.digest)}.sig:orphaned-referrer`, `sha256-${hex(gone.sig.manifest.digest)}.sig:orphaned-referrer`, 'v0:rules[0]'].sort(),
    );
    for (const image of [kept.image, kept.sig, kept.sigOfSig]) expect(imageIsWhole(t, image)).toBe(true);
    for (const image of [gone.image, gone.sig, gone.sigOfSig]) expect(blobExists(t.root, image.manifest.digest)).toBe(false);
    expect(tagsOf(t, 'a')).toEqual([`sha256-${hex(kept.image.manifest.digest)}.sig`, `sha256-${hex(kept.sig.manifest.digest)}.sig`, 'v1'].sort());
  });

  it('with deleteOrphanedTags alone, only orphans go; a repository left with nothing goes with removeEmptyRepositories', async () => {
    const t = new TreeBuilder(tempDir());
    t.image('only/orphans', { tag: `sha256-${'ab'.repeat(32)}.sig` });
    t.image('only/orphans', { tag: `sha256-${'ab'.repeat(32)}` });
    signed(t, 'b', 'v1');
    const report = await run(t, { deleteOrphanedTags: true }, { removeEmptyRepositories: true });
    expect(report.tags.deleted.map((d) => `${d.repository}:${d.tag}`)).toEqual([`only/orphans:sha256-${'ab'.repeat(32)}`, `only/orphans:sha256-${'ab'.repeat(32)}.sig`]);
    expect(report.repositories.deleted).toEqual([{ repository: 'only/orphans' }]);
    expect(fs.existsSync(path.join(t.layout.repositoriesDir, 'only'))).toBe(false);
    expect(tagsOf(t, 'b')).toHaveLength(3);
  });

  it('go in every repository unless its rule says deleteOrphanedTags: false; young ones stay', async () => {
    const t = new TreeBuilder(tempDir());
    const orphan = `sha256-${'ab'.repeat(32)}.sig`;
    for (const repo of ['archive/x', 'ci/tool', 'other']) t.image(repo, { tag: orphan });
    t.image('young/one', { tag: orphan });
    for (const repo of ['archive/x', 'ci/tool', 'other']) t.pushedAt(repo, orphan, daysAgo(3));
    const policy: RetentionPolicy = {
      deleteOrphanedTags: true,
      rules: [
        { repositories: ['archive/**'], deleteOrphanedTags: false },
        { repositories: ['ci/**'], keepLast: 5 },
      ],
    };
    // young/one was pushed just now (the builder's clock, after NOW's day): with minAge it stays.
    const report = await run(t, policy, { minAge: '1h', now: new Date() });
    expect(report.tags.deleted.map((d) => d.repository)).toEqual(['ci/tool', 'other']);
    expect(tagsOf(t, 'archive/x')).toEqual([orphan]);
    expect(tagsOf(t, 'young/one')).toEqual([orphan]);
  });

  it('the referrers tag schema truncated to 64 characters (sha512 subjects) names its subject by prefix', async () => {
    const t = new TreeBuilder(tempDir());
    t.image('a', { tag: 'v1' });
    // A sha512 revision of `a` (a copy of an image manifest stored under its sha512 digest).
    const body = JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: t.image('a').config, layers: [] });
    const subject = computeDigest(body, 'sha512');
    fs.mkdirSync(path.dirname(t.layout.blobData(subject)), { recursive: true });
    fs.writeFileSync(t.layout.blobData(subject), body);
    t.tag('a', 'v512', subject);
    t.revision('a', subject);
    const hex = subject.slice('sha512:'.length, 'sha512:'.length + 64);
    const kept = `sha512-${hex}.sig`;
    const orphan = `sha512-${'e'.repeat(64)}.sig`;
    t.image('a', { tag: kept, layers: ['signature of the sha512 image'] });
    t.image('a', { tag: orphan, layers: ['signature of nothing'] });
    const report = await run(t, { rules: [{ keepLast: 2 }], deleteOrphanedTags: true });
    // keepLast counts v1 and v512 only; the truncated tags follow their subject.
    expect(deletedTags(report)).toEqual([`a:${orphan}`]);
    expect(tagsOf(t, 'a')).toEqual([kept, 'v1', 'v512'].sort());
  });

  it('are not counted or deleted by keepLast', async () => {
    const t = new TreeBuilder(tempDir());
    const { image } = signed(t, 'a', 'v1');
    t.pushedAt('a', 'v1', daysAgo(10));
    const report = await run(t, { rules: [{ keepLast: 1 }] });
    expect(report.tags.deleted).toEqual([]);
    expect(imageIsWhole(t, image)).toBe(true);
  });
});
