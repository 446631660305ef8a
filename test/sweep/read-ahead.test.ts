/**
 * The sweep reads a batch ahead (sweep/context.ts): where items are
 * independent, the next batch's links are read while one is journalled and
 * goes. Here reads answer on a later turn (as reader threads do) and moves
 * too; the run must decide and leave exactly what reading one batch at a
 * time does, read every link before its folder goes, read at most one batch
 * ahead (so a link rewritten before its batch is read is still seen), and
 * leave no read in flight when it returns.
 */
import path from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { EVERYTHING as everything, loadCompiled as load, registryFiles as v2Files, type Memory } from '../support/compiled-library.js';
import { manyRepositories } from '../support/many-repositories.js';

const BATCH = 8;
const isLayerLink = (file: string) => file.includes('/_layers/');

/** `storage` whose reads and moves answer two turns later; what was asked, and when, is recorded. */
function withLateAnswers(storage: Memory, onRead?: (call: number, files: readonly string[]) => void, failReads?: (files: readonly string[]) => boolean) {
  const seen = { readsInFlight: 0, maxReadsInFlight: 0, movesInFlight: 0, readCalls: 0, readsAheadOfMoves: 0, maxAhead: 0, unreadMoved: [] as string[] };
  const read = new Set<string>();
  let linksRead = 0;
  let linksMoveAsked = 0;
  const renames = {
    batch: BATCH,
    rename: async (from: string, to: string) => {
      if (isLayerLink(from)) {
        linksMoveAsked++;
        if (!read.has(path.join(from, 'link'))) seen.unreadMoved.push(from);
      }
      seen.movesInFlight++;
      try {
        await nextTurn();
        await nextTurn();
        await storage.ownFiles.makeDir(path.dirname(to));
        await storage.rename(from, to);
      } finally {
        seen.movesInFlight--;
      }
    },
  };
  const readFiles = async (files: readonly string[], maxBytes: number) => {
    const links = files.filter(isLayerLink);
    seen.readCalls++;
    onRead?.(seen.readCalls, files);
    if (failReads?.(files)) {
      await nextTurn();
      throw Object.assign(new Error('the disk went away'), { code: 'EIO' });
    }
    if (links.length > 0) {
      // How far the reads are ahead of the moves asked for, in links.
      seen.maxAhead = Math.max(seen.maxAhead, linksRead + links.length - linksMoveAsked);
      if (linksRead > linksMoveAsked) seen.readsAheadOfMoves++;
      linksRead += links.length;
    }
    seen.readsInFlight++;
    seen.maxReadsInFlight = Math.max(seen.maxReadsInFlight, seen.readsInFlight);
    try {
      await nextTurn();
      await nextTurn();
      const outcomes = await storage.readFiles(files, maxBytes);
      for (const file of files) read.add(file);
      return outcomes;
    } finally {
      seen.readsInFlight--;
    }
  };
  const wrapped = Object.create(storage, { renames: { value: renames }, readFiles: { value: readFiles } }) as Memory;
  return { wrapped, seen };
}

describe('the sweep reads a batch ahead', () => {
  it('decides and leaves what reading batch by batch does; each link is read before it goes, at most a batch ahead', async () => {
    const { collectGarbage, MemoryStorage } = await load();
    const t = manyRepositories(64);
    const plain = MemoryStorage.fromDirectory(t.root);
    const late = MemoryStorage.fromDirectory(t.root);
    const { wrapped, seen } = withLateAnswers(late);

    const reference = await collectGarbage(t.root, { ...everything, storage: plain });
    const report = await collectGarbage(t.root, { ...everything, storage: wrapped });
    expect(seen.readsInFlight).toBe(0);
    const { durations: _a, offlineMs: _b, trash: _c, ...decided } = report;
    const { durations: _d, offlineMs: _e, trash: _f, ...expected } = reference;
    expect(decided).toEqual(expected);
    expect(v2Files(late, t.root)).toEqual(v2Files(plain, t.root));
    expect(report.layerLinks.deleted.length).toBeGreaterThan(BATCH * 4);

    expect(seen.unreadMoved).toEqual([]);
    // Reads went ahead of the moves (the next batch read while one went), never by more than two batches.
    expect(seen.readsAheadOfMoves).toBeGreaterThan(0);
    expect(seen.maxAhead).toBeLessThanOrEqual(2 * BATCH);
    expect(seen.maxReadsInFlight).toBe(1);

    const dry = await collectGarbage(t.root, { ...everything, dryRun: true, storage: withLateAnswers(MemoryStorage.fromDirectory(t.root)).wrapped });
    expect(dry.layerLinks.deleted).toEqual(reference.layerLinks.deleted);
  });

  it('a link rewritten after the scan, before its batch is read, is seen and kept', async () => {
    const { collectGarbage, MemoryStorage } = await load();
    const t = manyRepositories(64);
    const storage = MemoryStorage.fromDirectory(t.root);
    const reference = await collectGarbage(t.root, { ...everything, dryRun: true, storage: MemoryStorage.fromDirectory(t.root) });
    const linkOf = (l: { repository: string; digest: string }) => path.join(t.root, 'docker/registry/v2/repositories', l.repository, '_layers', ...l.digest.split(':'), 'link');
    // When the first batch of links is read, a link of a later batch is rewritten to name another blob.
    let victim: { repository: string; digest: string } | undefined;
    let other = '';
    const { wrapped } = withLateAnswers(storage, (_, files) => {
      if (victim !== undefined || !files.some(isLayerLink)) return;
      victim = reference.layerLinks.deleted.find((l) => !files.includes(linkOf(l)))!;
      other = reference.layerLinks.deleted.find((l) => l.digest !== victim!.digest)!.digest;
      storage.write(linkOf(victim), other);
    });
    const report = await collectGarbage(t.root, { ...everything, storage: wrapped });
    expect(victim).toBeDefined();
    const file = linkOf(victim!);
    expect(report.layerLinks.deleted).not.toContainEqual(victim);
    expect(report.warnings.map((w) => [w.code, w.path])).toContainEqual(['link_mismatch', path.relative(t.root, file)]);
    expect([...storage.files(path.dirname(file))].map(([, d]) => d.toString('latin1'))).toEqual([other]);
  });

  it('aborted in the middle of the layer links: rejects only once no read or move is in flight, and a rerun finishes', async () => {
    const { collectGarbage, MemoryStorage } = await load();
    const t = manyRepositories(64);
    const storage = MemoryStorage.fromDirectory(t.root);
    const controller = new AbortController();
    let linkReads = 0;
    const { wrapped, seen } = withLateAnswers(storage, (_, files) => {
      if (files.some(isLayerLink) && ++linkReads === 3) controller.abort();
    });
    await expect(collectGarbage(t.root, { ...everything, storage: wrapped, signal: controller.signal })).rejects.toThrow();
    expect(seen.readsInFlight).toBe(0);
    expect(seen.movesInFlight).toBe(0);
    const rerun = await collectGarbage(t.root, { ...everything, storage: wrapped });
    const plain = MemoryStorage.fromDirectory(t.root);
    await collectGarbage(t.root, { ...everything, storage: plain });
    expect(v2Files(storage, t.root)).toEqual(v2Files(plain, t.root));
    expect(rerun.errors).toEqual([]);
  });

  it('a read ahead that fails while the batch before goes: the run fails once nothing is in flight, that batch is kept, and a rerun finishes', async () => {
    const { collectGarbage, MemoryStorage } = await load();
    const t = manyRepositories(64);
    const storage = MemoryStorage.fromDirectory(t.root);
    let linkReads = 0;
    let failing = true;
    let unread: readonly string[] = [];
    const { wrapped, seen } = withLateAnswers(storage, undefined, (files) => {
      const fail = failing && files.some(isLayerLink) && ++linkReads === 3;
      if (fail) unread = files;
      return fail;
    });
    await expect(collectGarbage(t.root, { ...everything, storage: wrapped })).rejects.toThrow(/the disk went away/);
    expect(seen.readsInFlight).toBe(0);
    expect(seen.movesInFlight).toBe(0);
    // The batch whose read failed was not touched: every link its read named is still there.
    expect(unread.length).toBeGreaterThan(0);
    for (const file of unread) expect(storage.files(path.dirname(file)).has(file)).toBe(true);
    expect(seen.unreadMoved).toEqual([]);
    failing = false;
    const rerun = await collectGarbage(t.root, { ...everything, storage: wrapped });
    expect(rerun.errors).toEqual([]);
    const plain = MemoryStorage.fromDirectory(t.root);
    await collectGarbage(t.root, { ...everything, storage: plain });
    expect(v2Files(storage, t.root)).toEqual(v2Files(plain, t.root));
  });
});
