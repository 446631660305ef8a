/**
 * Crash consistency at the library level, where interruption points can be
 * chosen exactly and so many more of them are cheap (issue 5, spec §4). Two
 * kinds, on copies of a small generated registry:
 *
 *  - abort: an AbortSignal fired right after the k-th deletion (counted
 *    through the fileSystem seam). The run must stop with E_ABORTED, and its
 *    `error.report` must list exactly what is gone from the disk;
 *  - death: from the k-th deletion on, every file-system call fails, as if
 *    the process had died there; that k-th deletion removes only the first
 *    file of its folder, as SIGKILL in the middle of a recursive delete
 *    would. Then, for the first deletion of each kind (revision, tag history,
 *    blob, layer link, upload, repository, empty folder), death after every
 *    partial state of that folder, since the order in which a recursive
 *    delete meets files is the file system's.
 *
 * After either, every kept image is complete, and a plain rerun ends in the
 * file set of an uninterrupted run. ABORT_POINTS (default 60) bounds the
 * points of the first two kinds.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RegistryGcError } from '../../src/report/errors.js';
import { nodeFileSystem, type FileSystem } from '../../src/storage/file-system.js';
import { collectGarbage } from '../../src/collect/collect-garbage.js';
import type { CollectOptions } from '../../src/collect/options.js';
import type { Report } from '../../src/report/report.js';
import { changedPaths, copyScratch, directories, lostImages, removeScratch, scratchDir } from '../support/crash-harness.js';
import { garbageFiles } from '../support/generated-garbage.js';
import { generateRegistry, servedImages, type GeneratedRegistry, type ServedImage } from '../support/generated-registry.js';
import { snapshot } from '../../harness/tree.js';

const POINTS = Math.max(2, Number(process.env['ABORT_POINTS'] ?? 60));
const OPTIONS: CollectOptions = { deleteUntagged: true, pruneLayerLinks: true, removeEmptyRepositories: true };

/** Counts successful deletions (remove, removeEmptyDir) and calls `after` after each. */
function countingFs(after: (n: number, target: string, recursive: boolean) => void = () => {}): FileSystem & { readonly count: () => number } {
  let n = 0;
  return {
    ...nodeFileSystem,
    remove(target) {
      nodeFileSystem.remove(target);
      after(++n, target, true);
    },
    removeEmptyDir(dir) {
      nodeFileSystem.removeEmptyDir(dir);
      after(++n, dir, false);
    },
    count: () => n,
  };
}

class Killed extends Error {
  override readonly name = 'Killed';
}

/**
 * A file system that "dies" at its (at+1)-th deletion, or at the deletion of
 * the root-relative path `at`: that deletion removes only the files `partial`
 * picks (by default the first one it meets), as SIGKILL in the middle of a
 * recursive delete would leave it, and every later call fails.
 */
function dyingFs(at: number | string, partial: (files: string[]) => string[] = (files) => files.slice(0, 1)): FileSystem {
  let n = 0;
  let dead = false;
  const dies = (target: string) => (typeof at === 'number' ? n++ >= at : target.endsWith(`/${at}`));
  const alive = <T>(work: () => T): T => {
    if (dead) throw new Killed('the process is gone');
    return work();
  };
  const base = nodeFileSystem as unknown as Record<string, (...args: unknown[]) => unknown>;
  const wrapped = Object.fromEntries(Object.entries(base).map(([name, fn]) => [name, (...args: unknown[]) => alive(() => fn.apply(nodeFileSystem, args))]));
  const deletion = (target: string, recursive: boolean, work: () => void) =>
    alive(() => {
      if (!dies(target)) return work();
      dead = true;
      if (recursive) for (const file of partial(filesBelow(target))) fs.unlinkSync(file);
      throw new Killed(`killed while deleting ${target}`);
    });
  return {
    ...(wrapped as unknown as FileSystem),
    remove: (target) => deletion(target, true, () => nodeFileSystem.remove(target)),
    removeEmptyDir: (dir) => deletion(dir, false, () => nodeFileSystem.removeEmptyDir(dir)),
  };
}

/** Files below `target` (or `target` itself), depth first in directory order, as a recursive delete meets them. */
function filesBelow(target: string): string[] {
  const stats = fs.lstatSync(target, { throwIfNoEntry: false });
  if (!stats) return [];
  if (!stats.isDirectory()) return [target];
  return fs.readdirSync(target).flatMap((name) => filesBelow(path.join(target, name)));
}

/** What a deletion target is, for the systematic crash test. */
function kindOf(target: string, recursive: boolean): string {
  if (!recursive) return 'empty folder';
  if (/\/_(manifests|layers|uploads)$/.test(target)) return 'repository';
  if (target.includes('/_manifests/revisions/')) return 'revision';
  if (target.includes('/_manifests/tags/')) return 'tag history';
  if (target.includes('/_layers/')) return 'layer link';
  if (target.includes('/_uploads/')) return 'upload';
  return 'blob';
}

/** k = 1 … total, evenly, at most `count` of them. */
function points(total: number, count: number): number[] {
  if (total <= count) return Array.from({ length: total }, (_, i) => i + 1);
  return [...new Set(Array.from({ length: count }, (_, i) => 1 + Math.round((i * (total - 1)) / (count - 1))))];
}

/** Root-relative folders that the report says went, each with whether a file under it must have existed. */
function reportedFolders(g: GeneratedRegistry, report: Report): Array<{ dir: string; hadFiles: boolean }> {
  const l = g.builder.layout;
  const rel = (p: string) => path.relative(g.root, p);
  const folders: Array<{ dir: string; hadFiles: boolean }> = [];
  for (const m of report.manifests.deleted) {
    folders.push({ dir: rel(l.revisionDir(m.repository, m.digest)), hadFiles: true });
    for (const tag of g.repositories.get(m.repository)?.history.keys() ?? []) {
      if (g.repositories.get(m.repository)!.history.get(tag)!.has(m.digest)) folders.push({ dir: rel(l.tagIndexEntryDir(m.repository, tag, m.digest)), hadFiles: true });
    }
  }
  for (const b of report.blobs.deleted) folders.push({ dir: rel(l.blobDir(b.digest)), hadFiles: true });
  for (const link of report.layerLinks.deleted) folders.push({ dir: rel(l.layerLinkDir(link.repository, link.digest)), hadFiles: true });
  for (const h of report.tagHistory.deleted) folders.push({ dir: rel(l.tagIndexEntryDir(h.repository, h.tag, h.digest)), hadFiles: true });
  for (const u of report.uploads.deleted) folders.push({ dir: rel(l.uploadDir(u.repository, u.id)), hadFiles: true });
  for (const r of report.repositories.deleted) {
    for (const marker of ['_manifests', '_layers', '_uploads']) folders.push({ dir: rel(path.join(l.repositoryDir(r.repository), marker)), hadFiles: false });
  }
  return folders;
}

describe('crash consistency through the library: abort and simulated death at every deletion', () => {
  const scratch: string[] = [];
  let g: GeneratedRegistry;
  let initial: Map<string, number>;
  let served: ServedImage[];
  let final: Map<string, number>;
  let finalDirs: Set<string>;
  let deletions: number;
  /** The deletions of an uninterrupted run, in order: root-relative target, and whether recursive. */
  let targets: Array<{ target: string; recursive: boolean }>;

  const fresh = (): string => {
    const root = copyScratch(g.root);
    scratch.push(root);
    return root;
  };
  const tally = { points: 0, imagesLost: 0, leftoverDirs: new Set<string>() };

  beforeAll(async () => {
    const pristine = scratchDir();
    scratch.push(pristine);
    g = generateRegistry(pristine, { seed: 11, teams: 1, appsPerTeam: 2, untaggedPerRepository: 3, orphanBlobs: 12 });
    initial = snapshot(pristine);
    served = servedImages(g);
    const root = fresh();
    targets = [];
    const counter = countingFs((_n, target, recursive) => targets.push({ target: path.relative(root, target), recursive }));
    const report = await collectGarbage(root, { ...OPTIONS, fileSystem: counter });
    expect(report.errors).toEqual([]);
    final = snapshot(root);
    finalDirs = directories(root);
    deletions = counter.count();
    const garbage = garbageFiles(g, initial);
    expect(changedPaths(new Map([...initial].filter(([f]) => !garbage.has(f))), final)).toEqual([]);
  }, 60_000);

  afterAll(() => {
    for (const dir of scratch) removeScratch(dir);
    console.log(`library interruption points tried: ${tally.points}, images lost: ${tally.imagesLost}`);
    if (tally.leftoverDirs.size > 0) console.log(`  empty folders reruns left behind (${tally.leftoverDirs.size}): ${[...tally.leftoverDirs].slice(0, 8).join(', ')}`);
  });

  /** (a) and (b) for one interrupted tree; returns what went wrong. */
  async function finishAndCompare(root: string, at: string): Promise<string[]> {
    const failures: string[] = [];
    const lost = lostImages(root, served);
    tally.points++;
    tally.imagesLost += lost.length;
    for (const image of lost) failures.push(`${at}: ${image.ref} lost ${image.missing.join(', ')}`);
    const rerun = await collectGarbage(root, OPTIONS);
    if (rerun.errors.length > 0) failures.push(`${at}: the rerun failed deletions: ${JSON.stringify(rerun.errors)}`);
    const diff = changedPaths(final, snapshot(root));
    if (diff.length > 0) failures.push(`${at}: after the rerun ${diff.length} paths differ from an uninterrupted run: ${diff.slice(0, 4).join(', ')}`);
    for (const dir of directories(root)) if (!finalDirs.has(dir)) tally.leftoverDirs.add(dir);
    return failures;
  }

  it('the generated tree gives the sweep enough deletions to interrupt', () => {
    expect(deletions).toBeGreaterThan(100);
  });

  it('aborted after the k-th deletion: E_ABORTED, error.report lists exactly what is gone, and a rerun finishes', async () => {
    const failures: string[] = [];
    for (const k of points(deletions, POINTS)) {
      const root = fresh();
      const controller = new AbortController();
      const fileSystem = countingFs((n) => n === k && controller.abort());
      const error = await collectGarbage(root, { ...OPTIONS, fileSystem, signal: controller.signal }).then(() => undefined, (e: unknown) => e);
      const at = `abort after deletion ${k}/${deletions}`;
      const afterAbort = snapshot(root);
      if (!(error instanceof RegistryGcError) || error.code !== 'E_ABORTED' || !error.report) {
        // Only a run whose last deletion came after its last checkpoint may finish: then it did everything.
        if (error !== undefined || changedPaths(final, afterAbort).length > 0) failures.push(`${at}: expected E_ABORTED with a report, got ${String(error)}`);
      } else {
        const removed = [...initial.keys()].filter((file) => !afterAbort.has(file));
        const folders = reportedFolders(g, error.report);
        const under = (file: string, dir: string) => file.startsWith(`${dir}/`);
        for (const file of removed) if (!folders.some((f) => under(file, f.dir))) failures.push(`${at}: ${file} is gone but the report does not say so`);
        for (const { dir, hadFiles } of folders) {
          const files = [...initial.keys()].filter((file) => under(file, dir));
          if (hadFiles && files.length === 0) failures.push(`${at}: the report lists ${dir}, which held nothing`);
          if (files.some((file) => afterAbort.has(file))) failures.push(`${at}: the report lists ${dir}, which is still there`);
        }
        if (error.report.errors.length > 0) failures.push(`${at}: ${JSON.stringify(error.report.errors)}`);
      }
      failures.push(...(await finishAndCompare(root, at)));
      removeScratch(root);
      scratch.pop();
    }
    expect(failures).toEqual([]);
  }, 240_000);

  it('aborted while scanning or marking: E_ABORTED and not one file changed', async () => {
    for (const phase of ['scan', 'mark'] as const) {
      const root = fresh();
      const controller = new AbortController();
      const onProgress = (event: { phase: string }) => event.phase === phase && controller.abort();
      await expect(collectGarbage(root, { ...OPTIONS, signal: controller.signal, onProgress })).rejects.toMatchObject({ code: 'E_ABORTED' });
      expect(changedPaths(initial, snapshot(root)), phase).toEqual([]);
      expect(await finishAndCompare(root, `abort in ${phase}`)).toEqual([]);
    }
  }, 60_000);

  it('dying at the k-th deletion, half-way through it: every kept image complete, and a rerun finishes', async () => {
    const failures: string[] = [];
    for (const k of points(deletions, POINTS).map((p) => p - 1)) {
      const root = fresh();
      await collectGarbage(root, { ...OPTIONS, fileSystem: dyingFs(k) }).catch(() => undefined);
      failures.push(...(await finishAndCompare(root, `death at deletion ${k + 1}/${deletions}`)));
      removeScratch(root);
      scratch.pop();
    }
    expect(failures).toEqual([]);
  }, 240_000);

  it('dying half-way through the first deletion of each kind, in every partial state of its folder: a rerun finishes', async () => {
    const first = new Map<string, string>();
    for (const { target, recursive } of targets) if (!first.has(kindOf(target, recursive))) first.set(kindOf(target, recursive), target);
    expect([...first.keys()].sort()).toEqual(['blob', 'empty folder', 'layer link', 'repository', 'revision', 'tag history', 'upload']);
    const failures: string[] = [];
    for (const [kind, target] of first) {
      // A first death removes nothing, and shows which files the folder holds at that moment.
      let files: string[] = [];
      const probe = fresh();
      await collectGarbage(probe, { ...OPTIONS, fileSystem: dyingFs(target, (found) => ((files = found.map((f) => path.relative(probe, f))), [])) }).catch(() => undefined);
      failures.push(...(await finishAndCompare(probe, `death before the first ${kind} deletion`)));
      // Then every non-empty proper subset of them (a recursive delete meets files in an order the file system picks).
      const masks = files.length <= 4 ? Array.from({ length: 2 ** files.length - 2 }, (_, i) => i + 1) : files.map((_, j) => 1 << j);
      for (const mask of masks) {
        const chosen = files.filter((_, j) => mask & (1 << j));
        const root = fresh();
        await collectGarbage(root, { ...OPTIONS, fileSystem: dyingFs(target, (found) => found.filter((f) => chosen.includes(path.relative(root, f)))) }).catch(() => undefined);
        failures.push(...(await finishAndCompare(root, `death in the first ${kind} deletion (${target}) after removing only ${chosen.map((f) => path.relative(target, f)).join(', ')}`)));
      }
    }
    expect(failures).toEqual([]);
  }, 120_000);
});
