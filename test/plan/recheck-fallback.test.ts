/**
 * When apply cannot trust a plan's observation (docs/recheck.md), it
 * re-checks in full, says why, and still deletes exactly what is garbage:
 * a plan of 0.1.0 (no `observed`), an `observed` section edited or damaged,
 * a storage that gives no versions. And when it can, it reads nothing more
 * than the versions: an untouched tree is applied without a repository
 * scanned again.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { applyPlan, makePlan, type Plan, type PlanObservation } from '../../src/plan/plan.js';
import { observationSha256 } from '../../src/plan/observe.js';
import { RACY_MS } from '../../src/plan/versions.js';
import { MemoryStorage } from '../../src/storage/memory-storage.js';
import { blobExists, tempDir, TreeBuilder } from '../../harness/tree.js';

const OPTIONS = { deleteUntagged: true, pruneLayerLinks: true };

function registry() {
  const t = new TreeBuilder(tempDir());
  const kept = t.image('app', { tag: 'v1', layers: ['kept layer'] });
  const untagged = t.image('app', { layers: ['untagged layer'] });
  t.image('other', { tag: 'latest' });
  return { t, kept, untagged };
}

/** An observation edited and sealed again with its own sha256, as a careless tool might. */
const resealed = (observed: PlanObservation, plan: Plan): Plan => ({ ...plan, observed: { ...observed, sha256: observationSha256(observed) } });

const keysOf = (plan: Plan) => Object.entries(plan.items).flatMap(([c, list]) => (list as object[]).map((item) => `${c} ${JSON.stringify(item)}`)).sort();

describe('apply falls back to a full re-check, and says why', () => {
  it('an untouched tree is re-checked incrementally: no repository scanned again, every planned item deleted', async () => {
    const { t, kept, untagged } = registry();
    await sleep(RACY_MS + 100);
    const plan = await makePlan(t.root, OPTIONS);
    expect(plan.observed).toBeDefined();
    const result = await applyPlan(plan);
    expect(result.recheck).toEqual({ mode: 'incremental', rescanned: [] });
    expect(keysOf({ ...plan, items: result.deleted })).toEqual(keysOf(plan));
    expect(result.skipped).toEqual([]);
    expect(blobExists(t.root, untagged.layers[0]!.digest)).toBe(false);
    for (const blob of [kept.manifest, kept.config, ...kept.layers]) expect(blobExists(t.root, blob.digest)).toBe(true);
  });

  it('a plan without an observation (made by 0.1.0), or with an edited one, is re-checked in full', async () => {
    for (const edit of [
      (plan: Plan): Plan => {
        const { observed: _, ...old } = plan;
        return old as Plan;
      },
      (plan: Plan): Plan => ({ ...plan, observed: { ...plan.observed!, layerLinks: plan.observed!.layerLinks.map(() => 'file:forged') } }),
      (plan: Plan): Plan => ({ ...plan, observed: { ...plan.observed!, manifests: [] } }),
      // Names that are no names, with a matching sha256: never made into paths.
      (plan: Plan): Plan => resealed({ ...plan.observed!, tags: { '../../etc': { latest: 'file:x' } } }, plan),
      (plan: Plan): Plan => resealed({ ...plan.observed!, manifests: plan.observed!.manifests.map((m) => ({ ...m, tags: ['../x'] })) }, plan),
    ]) {
      const { t, untagged } = registry();
      const plan = edit(await makePlan(t.root, OPTIONS));
      const result = await applyPlan(plan);
      expect(result.recheck).toEqual({ mode: 'full', why: 'the plan records no (or a damaged) observation of the tree', rescanned: [] });
      expect(result.skipped).toEqual([]);
      expect(blobExists(t.root, untagged.layers[0]!.digest)).toBe(false);
    }
  });

  it('a storage without versions is re-checked in full; recheck: "full" is honoured without a reason', async () => {
    const { t } = registry();
    const storage = MemoryStorage.fromDirectory(t.root);
    const plan = await makePlan(t.root, { ...OPTIONS, storage });
    expect(plan.observed).toBeUndefined();
    const viaMemory = await applyPlan(plan, { storage, dryRun: true });
    expect(viaMemory.recheck.mode).toBe('full');
    expect(keysOf({ ...plan, items: viaMemory.deleted })).toEqual(keysOf(plan));

    const onDisk = await makePlan(t.root, OPTIONS);
    const full = await applyPlan(onDisk, { recheck: 'full', dryRun: true });
    expect(full.recheck).toEqual({ mode: 'full', rescanned: [] });
    expect(keysOf({ ...onDisk, items: full.deleted })).toEqual(keysOf(onDisk));
  });
});

describe('applyPlan in the order of collectGarbage', () => {
  it('takes the root first, and refuses a plan for another root', async () => {
    const { t, untagged } = registry();
    const other = registry();
    const plan = await makePlan(t.root, OPTIONS);
    await expect(applyPlan(other.t.root, plan, { dryRun: true })).rejects.toMatchObject({ code: 'E_INVALID_PLAN' });
    const result = await applyPlan(t.root, plan);
    expect(result.root).toBe(t.root);
    expect(blobExists(t.root, untagged.layers[0]!.digest)).toBe(false);
  });
});
