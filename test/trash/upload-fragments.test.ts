/**
 * A purge killed half-way through freeing one entry (crash suite: "kill after
 * 433 ms (108% of a run) (uploads)"). Freeing a folder entry is no single
 * call: fs.rm unlinks what the folder holds, then removes the folder. An
 * upload's folder goes into the trash holding only its `startedat` (its other
 * children were moved before it, one by one), so a purge killed between
 * unlinking that `startedat` and removing the folder used to leave an empty
 * entry where the whole one was: restore put it back as the upload's folder
 * and its `hashstates` (and `data`) into it, an upload without a startedat
 * that every later run keeps. Here the purge is stopped for good at that very
 * instant (its storage never answers again), then restore and a rerun must
 * reach the tree of an uninterrupted run.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { collectGarbage } from '../../src/collect/collect-garbage.js';
import { RegistryLayout } from '../../src/registry/layout.js';
import { Findings } from '../../src/report/findings.js';
import { nodeStorage } from '../../src/storage/node-storage.js';
import type { Storage } from '../../src/storage/storage.js';
import { purgeRun } from '../../src/trash/purge.js';
import { readJournal } from '../../src/trash/runs.js';
import { purgeTrash, restoreTrash } from '../../src/trash/verbs.js';
import { copyTree, snapshot, tempDir, TreeBuilder } from '../../harness/tree.js';

const V2 = 'docker/registry/v2';
const options = { deleteUntagged: true, pruneLayerLinks: true, removeEmptyRepositories: true, now: new Date('2026-12-01T00:00:00Z') };

function registry(): TreeBuilder {
  const t = new TreeBuilder(tempDir());
  t.image('library/alpine', { tag: 'latest' });
  t.image('library/alpine');
  t.upload('library/alpine', 'stale', '2020-01-01T00:00:00Z');
  for (let i = 0; i < 6; i++) t.blob(`orphan ${i}`);
  return t;
}

/** Files below v2 (path and size), as the crash suite compares them. */
const files = (root: string) => new Map([...snapshot(root)].filter(([file]) => file.startsWith(`${V2}/`)));

/** Folders below `dir`, relative to `root`. */
function folders(root: string, dir: string): string[] {
  const out: string[] = [];
  const walk = (at: string) => {
    for (const entry of fs.readdirSync(at, { withFileTypes: true })) {
      if (!entry.isDirectory()) continue;
      out.push(path.relative(root, path.join(at, entry.name)));
      walk(path.join(at, entry.name));
    }
  };
  if (fs.existsSync(dir)) walk(dir);
  return out.sort();
}

/**
 * nodeStorage, until the purge's removal of a path that `isVictim` names: that
 * removal unlinks what `partly` says (as fs.rm does first), and then this
 * storage never answers again, as a killed process.
 */
function killedDuring(isVictim: (target: string) => boolean, partly: (target: string) => void): { storage: Storage; killed: Promise<void> } {
  let dead = false;
  let kill!: () => void;
  const killed = new Promise<void>((resolve) => (kill = resolve));
  const never = new Promise<never>(() => {});
  // Calls already made when the process "dies" finish first (fs.rm is several calls: here, unlike a
  // SIGKILL, it would go on after the kill), so that what follows meets a tree that no longer changes.
  const inFlight = new Set<Promise<unknown>>();
  const track = <R>(call: Promise<R>): Promise<R> => {
    inFlight.add(call);
    return call.finally(() => inFlight.delete(call));
  };
  const die = () => {
    dead = true;
    void Promise.allSettled([...inFlight]).then(() => kill());
  };
  const guard = <A extends unknown[], R>(call: (...args: A) => Promise<R>) => async (...args: A): Promise<R> => {
    if (dead) return never;
    return track(call(...args));
  };
  const storage: Storage = {
    ...nodeStorage,
    readFiles: guard(nodeStorage.readFiles),
    inspect: guard(nodeStorage.inspect),
    list: guard(nodeStorage.list),
    removeEmptyDir: guard(nodeStorage.removeEmptyDir),
    rename: guard(nodeStorage.rename!),
    async remove(target, onlyFile) {
      if (dead) return never;
      if (isVictim(target)) {
        partly(target);
        die();
        return never;
      }
      return track(nodeStorage.remove(target, onlyFile));
    },
    ownFiles: {
      ...nodeStorage.ownFiles,
      openAppend: guard(nodeStorage.ownFiles.openAppend),
      makeDir: guard(nodeStorage.ownFiles.makeDir),
      remove: guard(nodeStorage.ownFiles.remove),
    },
  };
  return { storage, killed };
}

/** A run that keeps its trash, then a purge of it killed inside the removal of the entry moved from `part` of the stale upload (or of a blob's folder). */
async function killedPurge(part: '' | '/hashstates' | 'a blob', partly: (target: string) => void) {
  const t = registry();
  const reference = copyTree(t.root);
  await collectGarbage(reference, options);
  const report = await collectGarbage(t.root, { ...options, trash: 'keep' });
  const run = report.trash!.run;
  const journal = await readJournal(t.layout, nodeStorage, run);
  const upload = path.relative(t.root, t.layout.uploadDir('library/alpine', 'stale'));
  const moves = journal.records.flatMap((r) => (r.op === 'move' && (r.from === upload || r.from.startsWith(`${upload}/`)) ? [r] : []));
  // The upload's children go first, its folder (holding only startedat) last.
  expect(moves.map((m) => m.from.slice(upload.length))).toEqual(['/data', '/hashstates', '']);
  const blob = journal.records.find((r) => r.op === 'move' && r.file === 'data');
  const victim = part === 'a blob' ? blob : moves.find((m) => m.from === `${upload}${part}`);
  if (victim?.op !== 'move') throw new Error('no such move in the journal');
  const entry = t.layout.trashEntry(run, victim.seq);
  const { storage, killed } = killedDuring((target) => target === entry || target.startsWith(`${entry}.`), partly);
  const layout = new RegistryLayout(t.root);
  void purgeRun({ layout, storage, errors: new Findings(layout), signal: undefined }, run, journal);
  await killed;
  return { t, reference, upload, entry, from: path.join(t.root, victim.from) };
}

describe('a purge killed half-way through freeing one entry', () => {
  it("an upload's folder with its startedat unlinked, the folder not yet removed: restore puts back no part of the upload, and a rerun converges", async () => {
    const { t, reference, upload } = await killedPurge('', (target) => fs.unlinkSync(path.join(target, 'startedat')));
    const restored = await restoreTrash(t.root);
    expect(restored).toMatchObject({ finished: true, refused: [], errors: [] });
    // Nothing of the upload comes back without its startedat: not its folder, not its hashstates or data.
    expect(fs.existsSync(path.join(t.root, upload))).toBe(false);
    const next = await collectGarbage(t.root, options);
    expect(next.warnings.filter((w) => w.path.includes('/_uploads/'))).toEqual([]);
    expect(files(t.root)).toEqual(files(reference));
    expect(fs.existsSync(t.layout.trashDir)).toBe(false);
  });

  it('a fragment that is gone when restore frees it (a removal that was in the kernel finished it) is gone, not an error', async () => {
    const { t, reference } = await killedPurge('', (target) => fs.unlinkSync(path.join(target, 'startedat')));
    // The first removal of a `.freeing` fragment finds it freed meanwhile: the removal deletes it, then answers ENOENT.
    let raced = 0;
    const storage: Storage = {
      ...nodeStorage,
      async remove(target, onlyFile) {
        if (raced === 0 && target.endsWith('.freeing')) {
          raced++;
          await nodeStorage.remove(target, onlyFile);
          throw Object.assign(new Error(`ENOENT: no such file or directory, lstat '${target}'`), { code: 'ENOENT' });
        }
        return nodeStorage.remove(target, onlyFile);
      },
    };
    const restored = await restoreTrash(t.root, { storage });
    expect(raced).toBe(1);
    expect(restored).toMatchObject({ finished: true, refused: [], errors: [] });
    await collectGarbage(t.root, options);
    expect(files(t.root)).toEqual(files(reference));
    expect(fs.existsSync(t.layout.trashDir)).toBe(false);
  });

  it("an upload's hashstates half freed: restore puts back the upload whole or not at all, never the half of an entry", async () => {
    const { t, reference, upload } = await killedPurge('/hashstates', (target) => fs.unlinkSync(path.join(target, 'sha256', '0')));
    const restored = await restoreTrash(t.root);
    expect(restored).toMatchObject({ finished: true, refused: [], errors: [] });
    // The upload is back with its startedat (a rerun takes it again), and the freed hashstates is not back in part.
    expect(fs.existsSync(path.join(t.root, upload, 'startedat'))).toBe(true);
    expect(folders(t.root, path.join(t.root, upload))).toEqual([]);
    await collectGarbage(t.root, options);
    expect(files(t.root)).toEqual(files(reference));
    expect(fs.existsSync(t.layout.trashDir)).toBe(false);
  });

  it("a blob's folder with its data unlinked, the folder not yet removed: restore does not put back the empty folder", async () => {
    const { t, reference, from } = await killedPurge('a blob', (target) => fs.unlinkSync(path.join(target, 'data')));
    const restored = await restoreTrash(t.root);
    expect(restored).toMatchObject({ finished: true, refused: [], errors: [] });
    expect(fs.existsSync(from)).toBe(false);
    await collectGarbage(t.root, options);
    expect(files(t.root)).toEqual(files(reference));
    expect(fs.existsSync(t.layout.trashDir)).toBe(false);
  });

  it('a second purge finishes what the killed one began, and leaves no trash', async () => {
    const { t } = await killedPurge('', (target) => fs.unlinkSync(path.join(target, 'startedat')));
    const purged = await purgeTrash(t.root);
    expect(purged.errors).toEqual([]);
    expect(purged.purged).toMatchObject([{ freed: true }]);
    expect(fs.existsSync(t.layout.trashDir)).toBe(false);
  });
});
