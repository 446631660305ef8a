/**
 * The sweep's mover (storage/rename-thread.ts): renames made on a thread of
 * their own, those asked for in one turn of the event loop sent together.
 * The worker runs compiled (`npm test` builds first): the sources alone
 * have no worker file, and the disk backend then moves on its own thread.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { RenameThread } from '../../src/storage/rename-thread.js';
import { renamePairs } from '../../src/storage/rename-pairs.js';
import { nodeStorage } from '../../src/storage/node-storage.js';
import { tempDir } from '../../harness/tree.js';

const DIST = fileURLToPath(new URL('../../dist/storage/', import.meta.url));
const workerUrl = pathToFileURL(path.join(DIST, 'rename-worker.js'));

/** `n` one-file folders under `dir`, each holding its own name. */
function folders(dir: string, n: number): string[] {
  return Array.from({ length: n }, (_, i) => {
    const folder = path.join(dir, `f${i}`);
    fs.mkdirSync(folder, { recursive: true });
    fs.writeFileSync(path.join(folder, 'data'), `content ${i}`);
    return folder;
  });
}

const movers: RenameThread[] = [];
/** A mover stopped after its test: no thread outlives the test file. */
function mover(url: URL = workerUrl, idleMs?: number): RenameThread {
  const made = new RenameThread(url, idleMs);
  movers.push(made);
  return made;
}
afterEach(async () => {
  await Promise.all(movers.splice(0).map((m) => m.close()));
});

describe('RenameThread', () => {
  it('the compiled worker is there (npm test builds first)', () => {
    expect(mover().available).toBe(true);
  });

  it('moves every folder asked for in one turn, making each destination folder, contents intact', async () => {
    const root = tempDir();
    const sources = folders(path.join(root, 'tree'), 300);
    const moves = mover();
    const targets = sources.map((_, i) => path.join(root, 'trash', `shard${Math.floor(i / 64)}`, String(i)));
    await Promise.all(sources.map((from, i) => moves.rename(from, targets[i]!)));
    for (const [i, from] of sources.entries()) {
      expect(fs.existsSync(from)).toBe(false);
      expect(fs.readFileSync(path.join(targets[i]!, 'data'), 'utf8')).toBe(`content ${i}`);
    }
    expect(fs.readdirSync(path.join(root, 'trash')).sort()).toEqual(['shard0', 'shard1', 'shard2', 'shard3', 'shard4']);
  });

  it('a pair that fails fails alone, with its code; the others of its batch move', async () => {
    const root = tempDir();
    const [a, b] = folders(path.join(root, 'tree'), 2);
    const moves = mover();
    const missing = path.join(root, 'tree', 'never-there');
    const results = await Promise.allSettled([
      moves.rename(a!, path.join(root, 'trash', '0')),
      moves.rename(missing, path.join(root, 'trash', '1')),
      moves.rename(b!, path.join(root, 'trash', '2')),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason).toMatchObject({ code: 'ENOENT' });
    expect(fs.existsSync(path.join(root, 'trash', '0', 'data'))).toBe(true);
    expect(fs.existsSync(path.join(root, 'trash', '2', 'data'))).toBe(true);
  });

  it('refuses a destination folder that is a symbolic link: nothing is moved through it', async () => {
    const root = tempDir();
    const [a] = folders(path.join(root, 'tree'), 1);
    const elsewhere = path.join(root, 'elsewhere');
    fs.mkdirSync(elsewhere);
    fs.mkdirSync(path.join(root, 'trash'));
    fs.symlinkSync(elsewhere, path.join(root, 'trash', 'shard0'));
    const moves = mover();
    await expect(moves.rename(a!, path.join(root, 'trash', 'shard0', '0'))).rejects.toMatchObject({ code: 'ENOTDIR' });
    expect(fs.readFileSync(path.join(a!, 'data'), 'utf8')).toBe('content 0');
    expect(fs.readdirSync(elsewhere)).toEqual([]);
  });

  it('batches asked for in later turns go too, in the order asked', async () => {
    const root = tempDir();
    const sources = folders(path.join(root, 'tree'), 3);
    const moves = mover();
    const target = path.join(root, 'trash', 'one');
    // One move per turn: each is a batch of its own, answered before the next is asked for.
    for (const [i, from] of sources.entries()) await moves.rename(from, `${target}${i}`);
    expect(sources.map((_, i) => fs.readFileSync(path.join(`${target}${i}`, 'data'), 'utf8'))).toEqual(['content 0', 'content 1', 'content 2']);
  });

  it('a thread that stops before answering fails each move it held as not known, never as done', async () => {
    const root = tempDir();
    const [a] = folders(path.join(root, 'tree'), 1);
    const broken = path.join(root, 'broken-worker.mjs');
    fs.writeFileSync(broken, 'throw new Error("no mover here");\n');
    const moves = mover(pathToFileURL(broken));
    await expect(moves.rename(a!, path.join(root, 'trash', '0'))).rejects.toThrow(/stopped .* before answering: this move may or may not have been made/);
  });

  it('a thread stopped once idle is started again by the next move', async () => {
    const root = tempDir();
    const [a, b] = folders(path.join(root, 'tree'), 2);
    const moves = mover(workerUrl, 10);
    await moves.rename(a!, path.join(root, 'trash', '0'));
    await new Promise((resolve) => setTimeout(resolve, 300));
    await moves.rename(b!, path.join(root, 'trash', '1'));
    expect(fs.readdirSync(path.join(root, 'trash')).sort()).toEqual(['0', '1']);
  });

  it('where the thread cannot start, the moves are made on this thread, with their folders', async () => {
    const root = tempDir();
    const sources = folders(path.join(root, 'tree'), 3);
    let tries = 0;
    const moves = new RenameThread(workerUrl, undefined, () => {
      tries++;
      throw Object.assign(new Error('no workers here'), { code: 'ERR_ACCESS_DENIED' });
    });
    movers.push(moves);
    await Promise.all(sources.map((from, i) => moves.rename(from, path.join(root, 'trash', 'shard0', String(i)))));
    await moves.rename(path.join(root, 'tree', 'gone'), path.join(root, 'trash', 'shard0', '9')).catch((e: unknown) => expect(e).toMatchObject({ code: 'ENOENT' }));
    expect(fs.readdirSync(path.join(root, 'trash', 'shard0')).sort()).toEqual(['0', '1', '2']);
    // Tried once: later batches do not try again.
    expect(tries).toBe(1);
  });

  it('an idle mover keeps no process alive: a script that moved once exits by itself', () => {
    const root = tempDir();
    const [a] = folders(path.join(root, 'tree'), 1);
    const script = `
      import { RenameThread } from ${JSON.stringify(pathToFileURL(path.join(DIST, 'rename-thread.js')).href)};
      const moves = new RenameThread(new URL(${JSON.stringify(workerUrl.href)}));
      await moves.rename(${JSON.stringify(a)}, ${JSON.stringify(path.join(root, 'moved'))});
      console.log('moved');
    `;
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20_000 });
    expect(child.error).toBeUndefined();
    expect(child.stdout.trim()).toBe('moved');
    expect(child.status).toBe(0);
    expect(fs.existsSync(path.join(root, 'moved', 'data'))).toBe(true);
  });
});

describe('nodeStorage.renames', () => {
  it('is absent where the worker is not compiled next to the module (the sources): the sweep then moves through rename', () => {
    // The tests import the sources, where rename-worker.js does not exist.
    expect(fs.existsSync(fileURLToPath(new URL('../../src/storage/rename-worker.js', import.meta.url)))).toBe(false);
    expect(nodeStorage.renames).toBeUndefined();
  });
});

describe('renamePairs', () => {
  it('a shard folder removed after it was made is made again: the move is not taken for "already gone"', () => {
    const root = tempDir();
    const [a, b] = folders(path.join(root, 'tree'), 2);
    const shard = path.join(root, 'trash', 'shard0');
    const made = new Set<string>();
    expect(renamePairs([[a!, path.join(shard, '0')]], made)).toEqual([null]);
    fs.rmSync(shard, { recursive: true });
    expect(renamePairs([[b!, path.join(shard, '1')]], made)).toEqual([null]);
    expect(fs.readFileSync(path.join(shard, '1', 'data'), 'utf8')).toBe('content 1');
  });

  it('a source that is not there is ENOENT, and its shard is still made for the others', () => {
    const root = tempDir();
    const [a] = folders(path.join(root, 'tree'), 1);
    const shard = path.join(root, 'trash', 'shard0');
    const outcomes = renamePairs([[path.join(root, 'tree', 'never'), path.join(shard, '0')], [a!, path.join(shard, '1')]], new Set());
    expect(outcomes[0]?.[0]).toBe('ENOENT');
    expect(outcomes[1]).toBeNull();
  });
});
