/**
 * Crash consistency of tag retention: the CLI, deleting tags by age and
 * name with -m, is killed with SIGKILL at delays spread over a whole run.
 * After each kill every tag that the rules keep still has its whole image
 * (current link, revision link, manifest, config and layers with their
 * links, a base layer shared with the deleted images included), the kill
 * deleted nothing but the deleted tags and what only they kept, and a rerun
 * ends in exactly the tree of an uninterrupted run. A killed run's trash
 * is then restorable (restore, rerun) or purgeable (rerun, purge).
 *
 * What stays and what goes comes from the builder's own record of the
 * images it wrote, never from src/. RETENTION_KILL_POINTS (default 12).
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { afterKill, copyScratch, removeScratch, runCli, scratchDir, spreadDelays } from '../support/crash-harness.js';
import { seededRandom, type ServedImage } from '../support/generated-registry.js';
import { RACY_MS } from '../../src/plan/versions.js';
import { snapshot, TreeBuilder, type Image } from '../../harness/tree.js';

const KILL_POINTS = Math.max(1, Number(process.env['RETENTION_KILL_POINTS'] ?? 12));
const FLAGS = ['-m', '--older-than', '7d', '--delete-tags', 'build-.*', '--keep-last', '3', '--remove-empty-repositories'];
const DAY = 86_400_000;
const REPOS = ['team/app', 'team/web', 'team/api', 'ci/tool', 'ci/runner', 'infra/db'];

interface Built {
  readonly root: string;
  readonly kept: ServedImage[];
  readonly garbage: Set<string>;
}

/** Per repository 40 old build tags (each its own image over a shared base), 3 new ones and a release. */
function build(): Built {
  const t = new TreeBuilder(scratchDir('registry-gc-retention-'));
  const rel = (file: string) => path.relative(t.root, file);
  const now = Date.now();
  const kept: ServedImage[] = [];
  const garbage = new Set<string>();
  const imageFiles = (repo: string, image: Image, withBlobs: boolean) => {
    const files = new Map<string, string | undefined>([[rel(t.layout.revisionLink(repo, image.manifest.digest)), image.manifest.digest]]);
    for (const d of [image.manifest, image.config, ...image.layers]) {
      if (withBlobs) files.set(rel(t.layout.blobData(d.digest)), undefined);
      if (d !== image.manifest) files.set(rel(t.layout.layerLink(repo, d.digest)), d.digest);
    }
    return files;
  };
  for (const repo of REPOS) {
    const base = t.blob(`base layer of ${repo}`);
    const push = (tag: string, daysAgo: number) => {
      const image = t.image(repo, { tag, sharedLayers: [base] });
      t.pushedAt(repo, tag, new Date(now - daysAgo * DAY));
      return image;
    };
    for (let i = 0; i < 40; i++) {
      const tag = `build-${String(i).padStart(3, '0')}`;
      const image = push(tag, 60 - i);
      // Everything of it but the shared base: its tag folder, revision, manifest, config, own layer and their links.
      for (const [file] of imageFiles(repo, image, true)) if (!file.includes(base.digest.slice('sha256:'.length))) garbage.add(file);
      garbage.add(rel(t.layout.tagCurrentLink(repo, tag)));
      garbage.add(rel(path.join(t.layout.tagIndexEntryDir(repo, tag, image.manifest.digest), 'link')));
    }
    for (const [tag, age] of [['build-900', 2], ['build-901', 1], ['build-902', 0], ['v1.0.0', 90]] as const) {
      const image = push(tag, age);
      const files = imageFiles(repo, image, true);
      files.set(rel(t.layout.tagCurrentLink(repo, tag)), image.manifest.digest);
      kept.push({ ref: `${repo}:${tag}`, files });
    }
  }
  return { root: t.root, kept, garbage };
}

describe('crash consistency of retention: killed with SIGKILL at any instant', () => {
  const scratch: string[] = [];
  let built: Built;
  let initial: Map<string, number>;
  let final: Map<string, number>;
  let length: number;
  /** When the moves run, in ms after the spawn: half the kills land there. */
  let moves: [number, number];
  const fresh = () => {
    const root = copyScratch(built.root);
    scratch.push(root);
    return root;
  };

  beforeAll(async () => {
    built = build();
    scratch.push(built.root);
    initial = snapshot(built.root);
    const whole = fresh();
    const run = await runCli([...FLAGS, '--json'], whole);
    expect(run.code, run.stderr).toBe(0);
    length = run.ms;
    const report = JSON.parse(run.stdout) as { offlineMs: number; durations: Record<string, number> };
    const startup = run.ms - Object.values(report.durations).reduce((n, ms) => n + ms, 0);
    const beforeSweep = ['discover', 'scan', 'blobs', 'mark'].reduce((n, phase) => n + (report.durations[phase] ?? 0), 0);
    moves = [startup + beforeSweep, startup + report.offlineMs];
    final = snapshot(whole);
    // The uninterrupted run deleted exactly the garbage the builder recorded.
    expect([...initial.keys()].filter((f) => !final.has(f)).sort()).toEqual([...built.garbage].sort());
  }, 120_000);
  afterAll(() => scratch.forEach(removeScratch));

  it(`loses no kept image at ${KILL_POINTS} kill points, and every recovery converges`, async () => {
    const random = seededRandom(20261201);
    const failures: string[] = [];
    let midway = 0;
    const inMoves = Math.floor(KILL_POINTS / 2);
    const delays = [
      ...spreadDelays(KILL_POINTS - inMoves, length * 1.1, random),
      ...spreadDelays(inMoves, moves[1] - moves[0], random).map((ms) => moves[0] + ms),
    ];
    for (const [i, delay] of delays.entries()) {
      const root = fresh();
      await runCli(FLAGS, root, delay);
      const at = `kill ${i} at ${Math.round(delay)} ms`;
      const left = afterKill(root, initial, built.garbage, built.kept, at);
      failures.push(...left.failures);
      if (left.removed.length > 0 && left.removed.length < built.garbage.size) midway++;
      if (i % 2 === 0 && fs.existsSync(path.join(root, 'registry-gc-trash'))) {
        // Undo: restore, then collect again.
        const restored = await runCli(['restore'], root);
        if (restored.code !== 0) failures.push(`${at}: restore exited ${restored.code}: ${restored.stderr}`);
        failures.push(...afterKill(root, initial, built.garbage, built.kept, `${at}, restored`).failures);
      }
      const rerun = await runCli(FLAGS, root);
      if (rerun.code !== 0) failures.push(`${at}: rerun exited ${rerun.code}: ${rerun.stderr}`);
      const purged = await runCli(['purge'], root);
      if (purged.code !== 0) failures.push(`${at}: purge exited ${purged.code}: ${purged.stderr}`);
      const after = snapshot(root);
      const differs = [...new Set([...after.keys(), ...final.keys()])].filter((f) => after.get(f) !== final.get(f));
      if (differs.length > 0) failures.push(`${at}: after rerun and purge the tree differs from an uninterrupted run's: ${differs.slice(0, 5).join(', ')}`);
    }
    console.log(`retention kill points tried: ${KILL_POINTS} (${midway} mid-deletion), images lost: ${failures.filter((f) => f.includes(' lost ')).length}`);
    expect(failures).toEqual([]);
  }, 600_000);

  it(`apply of a retention plan killed at ${Math.ceil(KILL_POINTS / 2)} points loses no kept image; applying again and purging converges`, async () => {
    const random = seededRandom(20261202);
    const failures: string[] = [];
    const roots = Array.from({ length: Math.ceil(KILL_POINTS / 2) }, fresh);
    // A copy's links all have a new ctime: a plan made within RACY_MS of it keeps every planned tag (not provably unchanged).
    await new Promise((resolve) => setTimeout(resolve, RACY_MS + 200));
    const plans: Array<{ root: string; plan: string }> = [];
    for (const root of roots) {
      const plan = path.join(path.dirname(root), `${path.basename(root)}.plan.json`);
      const made = await runCli(['plan', ...FLAGS, '-o', plan], root);
      expect(made.code, made.stderr).toBe(0);
      plans.push({ root, plan });
    }
    const whole = plans.pop()!;
    const uninterrupted = await runCli(['apply', '--json', whole.plan], whole.root);
    expect(uninterrupted.code, uninterrupted.stderr).toBe(0);
    expect(snapshot(whole.root)).toEqual(final);
    const window = JSON.parse(uninterrupted.stdout).report.offlineMs as number;
    for (const [i, { root, plan }] of plans.entries()) {
      // Node's start-up, then the re-check and the moves (the window), and past it.
      const delay = 100 + random() * (window + 200);
      await runCli(['apply', plan], root, delay);
      const at = `apply kill ${i} at ${Math.round(delay)} ms`;
      failures.push(...afterKill(root, initial, built.garbage, built.kept, at).failures);
      const again = await runCli(['apply', plan], root);
      if (again.code !== 0) failures.push(`${at}: apply again exited ${again.code}: ${again.stderr}`);
      const purged = await runCli(['purge'], root);
      if (purged.code !== 0) failures.push(`${at}: purge exited ${purged.code}: ${purged.stderr}`);
      const after = snapshot(root);
      const differs = [...new Set([...after.keys(), ...final.keys()])].filter((f) => after.get(f) !== final.get(f));
      if (differs.length > 0) failures.push(`${at}: after apply again and purge the tree differs from an uninterrupted run's: ${differs.slice(0, 5).join(', ')}`);
    }
    expect(failures).toEqual([]);
  }, 600_000);
});
