/**
 * Retention through plan and apply: a plan lists the tags it deletes, with
 * rule and reason; apply deletes them only while each tag's current link is
 * the file the plan saw (a tag pushed again, even to the same digest, or
 * moved, stays with what it points at), and the rest of the plan goes.
 */
import fs from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { applyPlan, makePlan, parsePlan } from '../../src/plan/plan.js';
import { RACY_MS } from '../../src/plan/versions.js';
import { blobExists, tempDir, TreeBuilder, type Image } from '../../harness/tree.js';

const NOW = new Date();
const DAY = 86_400_000;
const retention = { rules: [{ olderThan: '7d' }] };
const options = { deleteUntagged: true, retention, now: NOW };

/** Tags old-1 … old-3 pushed 30 days ago (each its own image) and fresh, pushed now. */
function registry(): { t: TreeBuilder; images: Map<string, Image> } {
  const t = new TreeBuilder(tempDir());
  const images = new Map<string, Image>();
  for (const tag of ['old-1', 'old-2', 'old-3', 'fresh']) {
    images.set(tag, t.image('team/app', { tag }));
    if (tag !== 'fresh') t.pushedAt('team/app', tag, new Date(NOW.getTime() - 30 * DAY));
  }
  return { t, images };
}

/** Rewrites a tag's current link as the registry does (a new file renamed over it). */
function push(t: TreeBuilder, tag: string, digest: string): void {
  const link = t.layout.tagCurrentLink('team/app', tag);
  fs.writeFileSync(`${link}.tmp`, digest);
  fs.renameSync(`${link}.tmp`, link);
}

const whole = (t: TreeBuilder, image: Image) => [image.manifest, image.config, ...image.layers].every((d) => blobExists(t.root, d.digest));

describe('retention in plan and apply', () => {
  const trees = Array.from({ length: 4 }, registry);
  const orphans = registry();
  orphans.t.image('only/orphans', { tag: `sha256-${'ab'.repeat(32)}.sig` });
  orphans.t.image('only/orphans', { tag: `sha256-${'ab'.repeat(32)}.att` });
  // Entries written within RACY_MS before a plan are not trusted as unchanged: let the trees age first.
  beforeAll(() => new Promise((resolve) => setTimeout(resolve, RACY_MS + 200)));

  it('a plan lists its tags with rule and reason, and apply deletes them and what only they kept', async () => {
    const { t, images } = trees[0]!;
    const plan = await makePlan(t.root, options);
    expect(plan.items.tags.map((x) => [x.tag, x.rule, x.reason])).toEqual([
      ['old-1', 'rules[0]', 'retention'],
      ['old-2', 'rules[0]', 'retention'],
      ['old-3', 'rules[0]', 'retention'],
    ]);
    expect(plan.options.retention).toEqual(retention);
    const parsed = parsePlan(JSON.parse(JSON.stringify(plan)));
    const applied = await applyPlan(t.root, parsed);
    expect(applied.skipped).toEqual([]);
    // Incremental: nothing wrote to the tree since the plan, so nothing is scanned again.
    expect(applied.recheck).toEqual({ mode: 'incremental', rescanned: [] });
    expect(applied.deleted.tags).toHaveLength(3);
    expect(applied.deleted.manifests).toHaveLength(3);
    expect(fs.readdirSync(t.layout.tagsDir('team/app'))).toEqual(['fresh']);
    expect(whole(t, images.get('fresh')!)).toBe(true);
  });

  it('a tag pushed again since the plan (same digest) or moved stays, with its image; the rest of the plan goes', async () => {
    const { t, images } = trees[1]!;
    const plan = await makePlan(t.root, options);
    push(t, 'old-1', images.get('old-1')!.manifest.digest);
    push(t, 'old-2', images.get('fresh')!.manifest.digest);
    const applied = await applyPlan(t.root, plan);
    expect(applied.recheck).toEqual({ mode: 'incremental', rescanned: ['team/app'] });
    expect(applied.deleted.tags.map((x) => x.tag)).toEqual(['old-3']);
    expect(applied.skipped.filter((s) => s.category === 'tags').map((s) => [(s.item as { tag: string }).tag, s.reason])).toEqual([
      ['old-1', 'changed'],
      ['old-2', 'changed'],
    ]);
    expect(fs.readdirSync(t.layout.tagsDir('team/app')).sort()).toEqual(['fresh', 'old-1', 'old-2']);
    expect(whole(t, images.get('old-1')!)).toBe(true);
    expect(whole(t, images.get('fresh')!)).toBe(true);
    // old-2 points elsewhere now, so its old image is untagged anyway: planned, still garbage, it goes.
    expect(blobExists(t.root, images.get('old-2')!.manifest.digest)).toBe(false);
    expect(blobExists(t.root, images.get('old-3')!.manifest.digest)).toBe(false);
  });

  it('the full re-check decides the same: a tag pushed again or moved stays, the rest goes', async () => {
    const { t, images } = trees[3]!;
    const plan = await makePlan(t.root, options);
    push(t, 'old-1', images.get('old-1')!.manifest.digest);
    push(t, 'old-2', images.get('fresh')!.manifest.digest);
    const applied = await applyPlan(t.root, plan, { recheck: 'full' });
    expect(applied.recheck.mode).toBe('full');
    expect(applied.deleted.tags.map((x) => x.tag)).toEqual(['old-3']);
    expect(applied.skipped.filter((s) => s.category === 'tags').map((s) => [(s.item as { tag: string }).tag, s.reason])).toEqual([
      ['old-1', 'changed'],
      ['old-2', 'changed'],
    ]);
    expect(whole(t, images.get('old-1')!)).toBe(true);
    expect(blobExists(t.root, images.get('old-3')!.manifest.digest)).toBe(false);
  });

  it('incrementally, a repository left with nothing once its orphaned tags go is removed, as the plan says', async () => {
    const { t } = orphans;
    const plan = await makePlan(t.root, { deleteUntagged: true, removeEmptyRepositories: true, retention: { deleteOrphanedTags: true }, now: NOW });
    expect(plan.items.tags.map((x) => x.reason)).toEqual(['orphaned-referrer', 'orphaned-referrer']);
    expect(plan.items.repositories).toEqual([{ repository: 'only/orphans', reason: 'empty' }]);
    const applied = await applyPlan(t.root, plan);
    expect(applied.recheck).toEqual({ mode: 'incremental', rescanned: [] });
    expect(applied.skipped).toEqual([]);
    expect(fs.existsSync(t.layout.repositoryDir('only/orphans'))).toBe(false);
    expect(fs.readdirSync(t.layout.tagsDir('team/app')).sort()).toEqual(['fresh', 'old-1', 'old-2', 'old-3']);
  });

  it('a plan whose tags were edited is refused', async () => {
    const { t } = trees[2]!;
    const plan = JSON.parse(JSON.stringify(await makePlan(t.root, options)));
    plan.items.tags[0].tag = 'fresh';
    expect(() => parsePlan(plan)).toThrow(expect.objectContaining({ code: 'E_INVALID_PLAN' }));
    const withoutRetention = JSON.parse(JSON.stringify(await makePlan(t.root, options)));
    delete withoutRetention.options.retention;
    expect(() => parsePlan(withoutRetention)).toThrow(expect.objectContaining({ code: 'E_INVALID_PLAN' }));
  });
});
