/**
 * Crash consistency for real (issue 5, spec §4): the CLI runs as a child
 * process on a copy of a generated registry and is killed with SIGKILL after
 * a delay drawn, slice by slice, over the whole length of an uninterrupted
 * run (0 to 1.1 times it: start-up, scan, marking, manifest deletion, blob
 * sweep, link and upload cleanup, and past the end). After each kill:
 *
 *   (a) every image the run was keeping is complete on disk: each tag's
 *       current link, and for the tag's manifest, every index child and
 *       every referrer, the revision link, the manifest blob, and each
 *       config and layer blob with its layer link;
 *   (b) what the kill left was only garbage, and a rerun to completion ends
 *       in exactly the file set (paths and sizes) of an uninterrupted run.
 *
 * A real run moves its garbage into a trash first (spec §8), so a kill can
 * leave a trash behind. Every other kill point then recovers one of two ways,
 * each itself killed once at a random instant and run again to the end:
 *
 *   - restore: the tree is exactly the initial one again when the killed run
 *     had not begun freeing its trash (else it holds only the initial files:
 *     what is missing is garbage the purge freed), every image complete; a
 *     rerun then finishes the job;
 *   - rerun, then purge: the rerun finishes the collection and leaves the
 *     killed run's trash alone; purge frees it, and the tree is the
 *     uninterrupted run's.
 *
 * What must be served and what is garbage come from the generator's own
 * record (support/generated-registry.ts), never from src/.
 *
 * KILL_POINTS (default 24) sets how many kills; KILL_SEED the seed of their
 * delays. The line `kill points tried: N, images lost: 0` is the figure the
 * README quotes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  afterKill,
  changedPaths,
  copyScratch,
  directories,
  lostImages,
  removeScratch,
  runCli,
  scratchDir,
  spreadDelays,
} from '../support/crash-harness.js';
import { garbageFiles, SWEEP_PHASES, type SweepPhase } from '../support/generated-garbage.js';
import { generateRegistry, seededRandom, servedImages, type GeneratedRegistry, type ServedImage } from '../support/generated-registry.js';
import fs from 'node:fs';
import path from 'node:path';
import { snapshot } from '../../harness/tree.js';

/** Whether a killed run had made all its moves (and so may have begun freeing its trash). */
function trashState(root: string): 'none' | 'moving' | 'moved' {
  const trash = path.join(root, 'registry-gc-trash');
  if (!fs.existsSync(trash)) return 'none';
  const journals = fs.readdirSync(trash).map((run) => path.join(trash, run, 'journal.jsonl')).filter((f) => fs.existsSync(f));
  return journals.some((f) => fs.readFileSync(f, 'utf8').includes('"op":"done"')) ? 'moved' : 'moving';
}

const KILL_POINTS = Math.max(1, Number(process.env['KILL_POINTS'] ?? 24));
const SEED = Number(process.env['KILL_SEED'] ?? 20261129);
const FLAGS = ['-m', '--prune-layer-links', '--remove-empty-repositories'];

type Landing = 'before any deletion' | SweepPhase | 'after the last deletion';

describe('crash consistency: the CLI killed with SIGKILL at any instant', () => {
  const scratch: string[] = [];
  let g: GeneratedRegistry;
  let initial: Map<string, number>;
  let garbage: Map<string, SweepPhase>;
  let served: ServedImage[];
  let final: Map<string, number>;
  let finalDirs: Set<string>;
  let durations: number[];

  const fresh = (): string => {
    const root = copyScratch(g.root);
    scratch.push(root);
    return root;
  };

  beforeAll(async () => {
    const pristine = scratchDir();
    scratch.push(pristine);
    g = generateRegistry(pristine, { seed: SEED });
    initial = snapshot(pristine);
    garbage = garbageFiles(g, initial);
    served = servedImages(g);
    // Three uninterrupted runs: the reference tree, and how long a run takes here and now (the median).
    const runs = [];
    for (let i = 0; i < 3; i++) {
      const root = fresh();
      const run = await runCli([...FLAGS, '--json'], root);
      expect(run.code, run.stderr).toBe(0);
      runs.push({ root, run, files: snapshot(root) });
    }
    for (const run of runs.slice(1)) expect(changedPaths(runs[0]!.files, run.files)).toEqual([]);
    final = runs[0]!.files;
    finalDirs = directories(runs[0]!.root);
    durations = runs.map((r) => r.run.ms);
  }, 120_000);

  afterAll(() => {
    for (const dir of scratch) removeScratch(dir);
  });

  it('an uninterrupted run deletes exactly the generated garbage, in every phase, and keeps every image', () => {
    expect(initial.size).toBeGreaterThan(3000);
    const expected = new Map([...initial].filter(([file]) => !garbage.has(file)));
    expect(changedPaths(expected, final)).toEqual([]);
    for (const phase of SWEEP_PHASES) expect([...garbage.values()].filter((p) => p === phase).length, phase).toBeGreaterThan(0);
    expect(served.length).toBeGreaterThan(100);
    expect(lostImages(g.root, served)).toEqual([]);
  });

  it(`killed at ${KILL_POINTS} instants spread over the whole run: every kept image stays complete, and a rerun reaches the same tree`, async () => {
    // Fractions of a run, one per slice of [0, 1.1), in a seeded random order. A run's length
    // drifts with the machine's load: each run that finishes before its kill updates the estimate.
    const random = seededRandom(SEED);
    const fractions = spreadDelays(KILL_POINTS, 1.1, random).sort(() => random() - 0.5);
    const samples = [...durations];
    const estimate = () => [...samples.slice(-3)].sort((a, b) => a - b)[1]!;
    const landings = new Map<Landing, number>();
    let imagesLost = 0;
    let restores = 0;
    let purges = 0;
    const failures: string[] = [];
    const leftoverDirs = new Set<string>();

    for (const fraction of fractions) {
      const root = fresh();
      const delay = fraction * estimate();
      const killed = await runCli(FLAGS, root, delay);
      if (killed.signal === null) samples.push(killed.ms);
      const at = `kill after ${delay.toFixed(0)} ms (${(fraction * 100).toFixed(0)}% of a run)`;
      // (a) every kept image complete, right after the kill, and what it deleted all garbage.
      const left = afterKill(root, initial, garbage, served, at);
      const { files: afterKilled, removed } = left;
      imagesLost += left.imagesLost;
      failures.push(...left.failures);
      const reached = Math.max(-1, ...removed.map((f) => SWEEP_PHASES.indexOf(garbage.get(f)!)).filter((i) => i >= 0));
      const landing: Landing =
        changedPaths(final, afterKilled).length === 0 ? 'after the last deletion' : reached < 0 ? 'before any deletion' : SWEEP_PHASES[reached]!;
      landings.set(landing, (landings.get(landing) ?? 0) + 1);

      // Every other kill: the trash it left is put back (the restore itself killed once, then run again).
      const state = trashState(root);
      if (fractions.indexOf(fraction) % 2 === 0 && state !== 'none') {
        await runCli(['restore'], root, random() * estimate());
        const restored = await runCli(['restore', '--json'], root);
        if (restored.code !== 0 && !/holds no run/.test(restored.stderr)) failures.push(`${at}: restore exited ${restored.code}: ${restored.stderr.slice(0, 400)}`);
        const back = snapshot(root);
        const differ = changedPaths(initial, back).filter((file) => state === 'moving' || back.has(file) || !garbage.has(file));
        if (differ.length > 0) failures.push(`${at} (trash ${state}): after restore, ${differ.length} paths differ from the initial tree: ${differ.slice(0, 5).join(', ')}`);
        for (const image of lostImages(root, served)) failures.push(`${at}: after restore, ${image.ref} lost ${image.missing.join(', ')}`);
        restores++;
      }

      // (b) a rerun finishes the job: the same file set as an uninterrupted run, once the trash of the killed run is freed.
      const rerun = await runCli([...FLAGS, '--json'], root);
      if (rerun.code !== 0) failures.push(`${at}: the rerun exited ${rerun.code}: ${rerun.stderr.slice(0, 400)}`);
      if (trashState(root) !== 'none') {
        await runCli(['purge'], root, random() * estimate());
        for (const image of lostImages(root, served)) failures.push(`${at}: after a killed purge, ${image.ref} lost ${image.missing.join(', ')}`);
        const purged = await runCli(['purge', '--json'], root);
        if (purged.code !== 0) failures.push(`${at}: purge exited ${purged.code}: ${purged.stderr.slice(0, 400)}`);
        purges++;
      }
      const diff = changedPaths(final, snapshot(root));
      if (diff.length > 0) failures.push(`${at} (${landing}): after the rerun, ${diff.length} paths differ from an uninterrupted run: ${diff.slice(0, 5).join(', ')}`);
      for (const image of lostImages(root, served)) failures.push(`${at}: after the rerun, ${image.ref} lost ${image.missing.join(', ')}`);
      for (const dir of directories(root)) if (!finalDirs.has(dir)) leftoverDirs.add(dir);
      removeScratch(root);
      scratch.pop();
    }

    const histogram = [...landings].map(([where, n]) => `${where} ${n}`).join(', ');
    console.log(`kill points tried: ${KILL_POINTS}, images lost: ${imagesLost}; recovered by restore ${restores}, by rerun and purge ${purges} (each killed once)`);
    console.log(`  runs of ${durations.map((d) => d.toFixed(0)).join('/')} ms uninterrupted, ${estimate().toFixed(0)} ms at the end; kills landed: ${histogram}; seed ${SEED}`);
    if (leftoverDirs.size > 0) console.log(`  empty folders a rerun left behind (${leftoverDirs.size}): ${[...leftoverDirs].slice(0, 5).join(', ')}`);
    expect(failures).toEqual([]);
    expect(imagesLost).toBe(0);
    // The harness must have hit the sweep itself, not only start-up and the finished state.
    const midSweep = SWEEP_PHASES.reduce((n, phase) => n + (landings.get(phase) ?? 0), 0);
    expect(midSweep, histogram).toBeGreaterThan(0);
    expect(restores, 'kills that left a trash to restore').toBeGreaterThan(0);
    expect(purges, 'kills that left a trash to purge').toBeGreaterThan(0);
  }, 240_000);
});
