/**
 * Moves made on another thread (Storage.renames, as the disk backend's
 * rename thread does): the sweep asks for a whole batch at once and reads
 * and journals the next while one moves. Here the "thread" is a storage
 * whose moves answer on a later turn; the run must decide and leave exactly
 * what a run that moves one at a time does, every move must have its
 * journal line before it is asked for, and the run must not return while a
 * move is in flight.
 */
import path from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { EVERYTHING as everything, filesOf, loadCompiled as load, registryFiles, type Memory } from '../support/compiled-library.js';
import { manyRepositories } from '../support/many-repositories.js';

const BATCH = 8;
/** sweep/context.ts's MOVING_BATCHES. */
const MOVING_BATCHES = 3;

/** The sweep phase a move belongs to, in the spec's order (a tag-history entry of a manifest goes in its phase, before the revision). */
const PHASE_OF: ReadonlyArray<[RegExp, number, string]> = [
  [/\/_manifests\/tags\/[^/]+\/index\//, 1, 'entry'],
  [/\/_manifests\/revisions\//, 1, 'revision'],
  [/\/blobs\//, 2, 'blob'],
  [/\/_layers\//, 3, 'layer link'],
  [/\/_uploads\//, 5, 'upload'],
];
const phaseOf = (from: string): [number, string] => {
  const hit = PHASE_OF.find(([pattern]) => pattern.test(from));
  return hit ? [hit[1], hit[2]] : [6, 'other'];
};

/** `storage` with off-thread moves: each answers two turns later, and what was asked is recorded. */
function withOffThreadMoves(storage: Memory, root: string, onAsk?: (asked: number) => void) {
  const seen = { inFlight: 0, maxInFlight: 0, asked: 0, withoutLine: [] as string[], outOfOrder: [] as string[], revisionsAfterEntries: 0 };
  const flying = new Map<string, number>();
  const entriesAsked = new Set<string>();
  const journalText = () => [...storage.files(path.join(root, 'registry-gc-trash'))].filter(([f]) => f.endsWith('journal.jsonl')).map(([, d]) => d.toString('utf8')).join('');
  const renames = {
    batch: BATCH,
    rename: async (from: string, to: string) => {
      seen.asked++;
      // The line first: the entry's seq (its name in the shard) must be in the journal already.
      if (!journalText().includes(`"seq":${Number(path.basename(to))},"from":${JSON.stringify(path.relative(root, from))}`)) seen.withoutLine.push(from);
      // No move of an earlier phase may still be in flight; a revision goes after its history entries are done.
      const [rank, kind] = phaseOf(from);
      for (const [other] of flying) if (phaseOf(other)[0] < rank) seen.outOfOrder.push(`${kind} ${from} asked while ${other} moved`);
      const digest = path.basename(from);
      if (kind === 'entry') entriesAsked.add(digest);
      if (kind === 'revision') {
        for (const [other] of flying) if (phaseOf(other)[1] === 'entry' && path.basename(other) === digest) seen.outOfOrder.push(`revision ${from} asked while its entry ${other} moved`);
        if (entriesAsked.has(digest)) seen.revisionsAfterEntries++;
      }
      flying.set(from, rank);
      seen.inFlight++;
      seen.maxInFlight = Math.max(seen.maxInFlight, seen.inFlight);
      onAsk?.(seen.asked);
      try {
        await nextTurn();
        await nextTurn();
        await storage.ownFiles.makeDir(path.dirname(to));
        await storage.rename(from, to);
      } finally {
        seen.inFlight--;
        flying.delete(from);
      }
    },
  };
  const wrapped = Object.create(storage, { renames: { value: renames } }) as Memory;
  return { wrapped, seen };
}

describe('moves made on another thread', () => {
  it('decide and leave exactly what moves one at a time do; each line is written first; the next batch is asked for while one moves', async () => {
    const { collectGarbage, MemoryStorage } = await load();
    const t = manyRepositories(64);
    const plain = MemoryStorage.fromDirectory(t.root);
    const offThread = MemoryStorage.fromDirectory(t.root);
    const { wrapped, seen } = withOffThreadMoves(offThread, t.root);

    const reference = await collectGarbage(t.root, { ...everything, storage: plain });
    const report = await collectGarbage(t.root, { ...everything, storage: wrapped });
    // Returned only once every move it asked for was done.
    expect(seen.inFlight).toBe(0);

    const { durations: _a, offlineMs: _b, trash: trashA, ...decided } = report;
    const { durations: _c, offlineMs: _d, trash: trashB, ...expected } = reference;
    expect(decided).toEqual(expected);
    expect(trashA!.moved).toBe(trashB!.moved);
    expect(seen.asked).toBe(trashA!.moved);
    expect(report.blobs.deleted.length).toBeGreaterThan(BATCH * 2);
    expect(seen.withoutLine).toEqual([]);
    expect(seen.outOfOrder).toEqual([]);
    // Every untagged manifest of this tree has a history entry under `latest`: each revision went after it.
    expect(seen.revisionsAfterEntries).toBe(report.manifests.deleted.length);
    // More than one batch in flight at once: the next was read, journalled and asked for while others moved;
    // never more than the batches left moving and the one asked for (a manifest's entries and its revision each count).
    expect(seen.maxInFlight).toBeGreaterThan(2 * BATCH);
    expect(seen.maxInFlight).toBeLessThanOrEqual((MOVING_BATCHES + 1) * BATCH * 2);

    // The registry's tree is the same file for file (the trash's names differ by run).
    expect(registryFiles(offThread, t.root)).toEqual(registryFiles(plain, t.root));
    const again = await collectGarbage(t.root, { ...everything, storage: wrapped });
    expect([again.blobs.deleted, again.manifests.deleted, again.layerLinks.deleted]).toEqual([[], [], []]);
  });

  it('aborted in the middle of a phase: the run rejects only once no move is in flight, and a rerun finishes', async () => {
    const { collectGarbage, MemoryStorage } = await load();
    const t = manyRepositories(64);
    const plain = MemoryStorage.fromDirectory(t.root);
    const offThread = MemoryStorage.fromDirectory(t.root);
    const controller = new AbortController();
    const { wrapped, seen } = withOffThreadMoves(offThread, t.root, (asked) => asked === 100 && controller.abort());
    let inFlightWhenRejected = -1;
    const error = await collectGarbage(t.root, { ...everything, storage: wrapped, signal: controller.signal }).catch((e: unknown) => {
      inFlightWhenRejected = seen.inFlight;
      return e;
    });
    expect(error).toMatchObject({ code: 'E_ABORTED' });
    expect(inFlightWhenRejected).toBe(0);
    expect(seen.asked).toBeGreaterThanOrEqual(100);
    await collectGarbage(t.root, { ...everything, storage: wrapped });
    await collectGarbage(t.root, { ...everything, storage: plain });
    expect(registryFiles(offThread, t.root)).toEqual(registryFiles(plain, t.root));
  });

  it('a move that fails is an error of that item alone; every other goes and the kept images stay whole', async () => {
    const { collectGarbage, MemoryStorage } = await load();
    const t = manyRepositories(64);
    const plain = MemoryStorage.fromDirectory(t.root);
    const offThread = MemoryStorage.fromDirectory(t.root);
    const dry = await collectGarbage(t.root, { ...everything, dryRun: true, storage: plain });
    const stuck = t.layout.blobDir(dry.blobs.deleted[3]!.digest);
    offThread.inject({ op: 'rename', path: stuck, code: 'EIO' });
    const { wrapped } = withOffThreadMoves(offThread, t.root);
    const report = await collectGarbage(t.root, { ...everything, storage: wrapped });
    expect(report.errors).toEqual([expect.objectContaining({ code: 'delete_failed', path: path.relative(t.root, stuck) })]);
    expect(report.blobs.deleted.map((b) => b.digest)).toEqual(dry.blobs.deleted.map((b) => b.digest).filter((d) => d !== dry.blobs.deleted[3]!.digest));
    const left = filesOf(offThread, t.root);
    expect(left.has(path.relative(t.root, t.layout.blobData(dry.blobs.deleted[3]!.digest)))).toBe(true);
    // Whatever the dry run keeps is there: every kept blob's data.
    const kept = [...filesOf(plain, t.root).keys()].filter((f) => f.startsWith('docker/registry/v2/blobs/') && !dry.blobs.deleted.some((b) => f.includes(b.digest.slice(7))));
    for (const file of kept) expect(left.has(file), file).toBe(true);
  });
});
