/**
 * Crash consistency of `apply` with its incremental re-check (issue 12,
 * docs/recheck.md): each copy of a generated registry gets its own plan,
 * then `apply` is killed with SIGKILL at an instant drawn over the length of
 * an uninterrupted apply. After each kill:
 *
 *   (a) every image the registry serves is complete on disk, and what the
 *       kill left deleted is only garbage;
 *   (b) the same `apply` run again (it meets the killed run's moves as
 *       writes since the plan: gone items, repositories to scan again)
 *       finishes, and after `purge` the tree is exactly what an
 *       uninterrupted apply leaves.
 *
 * What is served and what is garbage come from the generator's record
 * (support/generated-registry.ts), never from src/.
 */
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { snapshot } from '../../harness/tree.js';
import { RACY_MS } from '../../src/plan/versions.js';
import { afterKill, changedPaths, copyScratch, lostImages, removeScratch, runCli, scratchDir, spreadDelays } from '../support/crash-harness.js';
import { garbageFiles } from '../support/generated-garbage.js';
import { generateRegistry, seededRandom, servedImages, type GeneratedRegistry, type ServedImage } from '../support/generated-registry.js';

const KILL_POINTS = Math.max(1, Number(process.env['APPLY_KILL_POINTS'] ?? 10));
const SEED = Number(process.env['KILL_SEED'] ?? 20261201);
const FLAGS = ['-m', '--prune-layer-links', '--remove-empty-repositories'];

describe('crash consistency: apply killed with SIGKILL at any instant', () => {
  const scratch: string[] = [];
  let g: GeneratedRegistry;
  let initial: Map<string, number>;
  let garbage: Set<string>;
  let served: ServedImage[];
  /** Each copy with its plan, made once every copy is older than the plan's racy window. */
  const copies: Array<{ root: string; plan: string }> = [];
  let final: Map<string, number>;
  let applyMs: number;

  beforeAll(async () => {
    const pristine = scratchDir();
    scratch.push(pristine);
    g = generateRegistry(pristine, { seed: SEED });
    initial = snapshot(pristine);
    garbage = new Set(garbageFiles(g, initial).keys());
    served = servedImages(g);
    for (let i = 0; i <= KILL_POINTS; i++) {
      const root = copyScratch(g.root);
      scratch.push(root);
      copies.push({ root, plan: path.join(root, '..', `${path.basename(root)}.plan.json`) });
    }
    // Past the window in which a plan cannot tell its own look from a write: the re-check is then incremental.
    await sleep(RACY_MS + 200);
    for (const { root, plan } of copies) {
      const made = await runCli(['plan', ...FLAGS, '-o', plan], root);
      expect(made.code, made.stderr).toBe(0);
    }
    const reference = copies.shift()!;
    const run = await runCli(['apply', reference.plan, '--json'], reference.root);
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout).recheck).toEqual({ mode: 'incremental', rescanned: [] });
    final = snapshot(reference.root);
    applyMs = run.ms;
  }, 180_000);

  afterAll(() => {
    for (const dir of scratch) removeScratch(dir);
    for (const { plan } of copies) fs.rmSync(plan, { force: true });
  });

  it('an uninterrupted apply of the plan deletes exactly the generated garbage', () => {
    const expected = new Map([...initial].filter(([file]) => !garbage.has(file)));
    expect(changedPaths(expected, final)).toEqual([]);
  });

  it(`killed at ${KILL_POINTS} instants: every image stays complete, and apply run again, then purge, reach the same tree`, async () => {
    const random = seededRandom(SEED);
    const fractions = spreadDelays(KILL_POINTS, 1.1, random);
    const failures: string[] = [];
    let imagesLost = 0;
    let midway = 0;
    for (const [i, fraction] of fractions.entries()) {
      const { root, plan } = copies[i]!;
      const delay = fraction * applyMs;
      const at = `kill after ${delay.toFixed(0)} ms (${(fraction * 100).toFixed(0)}% of an apply)`;
      await runCli(['apply', plan], root, delay);
      const left = afterKill(root, initial, garbage, served, at);
      imagesLost += left.imagesLost;
      failures.push(...left.failures);
      if (left.removed.length > 0 && changedPaths(final, left.files).length > 0) midway++;

      const again = await runCli(['apply', plan, '--json'], root);
      if (again.code !== 0) failures.push(`${at}: apply run again exited ${again.code}: ${again.stderr.slice(0, 400)}`);
      const purged = await runCli(['purge', '--json'], root);
      if (purged.code !== 0) failures.push(`${at}: purge exited ${purged.code}: ${purged.stderr.slice(0, 400)}`);
      const diff = changedPaths(final, snapshot(root));
      if (diff.length > 0) failures.push(`${at}: after apply again and purge, ${diff.length} paths differ from an uninterrupted apply: ${diff.slice(0, 5).join(', ')}`);
      for (const image of lostImages(root, served)) failures.push(`${at}: after apply again, ${image.ref} lost ${image.missing.join(', ')}`);
    }
    console.log(`apply kill points tried: ${KILL_POINTS}, images lost: ${imagesLost}; ${midway} landed between the first and the last move; apply ${applyMs.toFixed(0)} ms uninterrupted`);
    expect(failures).toEqual([]);
    expect(imagesLost).toBe(0);
    expect(midway, 'kills that landed among the moves').toBeGreaterThan(0);
  }, 240_000);
});
