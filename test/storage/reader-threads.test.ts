/**
 * The sweep's readers (storage/reader-threads.ts): batches of reads and
 * lstats answered on this thread while the disk is fast, on other threads
 * while it is slow, and the same answers either way, errors included. The
 * worker runs compiled (`npm test` builds first).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { MIN_OFF_THREAD, ReaderThreads, type ReaderThreadsOptions } from '../../src/storage/reader-threads.js';
import { nodeFileSystem } from '../../src/storage/node-file-system.js';
import { answerEach, type Outcome } from '../../src/storage/storage.js';
import { tempDir } from '../../harness/tree.js';

const DIST = fileURLToPath(new URL('../../dist/storage/', import.meta.url));
const workerUrl = pathToFileURL(path.join(DIST, 'reader-worker.js'));
const MAX_BYTES = 100;

const pools: ReaderThreads[] = [];
function pool(options: ReaderThreadsOptions = {}): ReaderThreads {
  const made = new ReaderThreads(workerUrl, options);
  pools.push(made);
  return made;
}
afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.close()));
});

/** Every kind of answer: files, a missing one, a folder, a link, one too big, a FIFO. */
function tree(n: number): string[] {
  const root = tempDir();
  const paths: string[] = [];
  for (let i = 0; i < n; i++) {
    const file = path.join(root, `f${i}`);
    // Each its own content and size: an answer given to the wrong path shows.
    fs.writeFileSync(file, `${i}:${'x'.repeat(i % 80)}`);
    paths.push(file);
  }
  fs.mkdirSync(path.join(root, 'dir'));
  fs.symlinkSync(paths[0]!, path.join(root, 'link'));
  fs.writeFileSync(path.join(root, 'big'), 'x'.repeat(MAX_BYTES + 1));
  spawnSync('mkfifo', [path.join(root, 'fifo')]);
  paths.splice(3, 0, path.join(root, 'missing'), path.join(root, 'dir'), path.join(root, 'link'), path.join(root, 'big'), path.join(root, 'fifo'));
  return paths;
}

/** Outcomes as comparable values: bytes as text, errors by code. */
const plain = (outcomes: readonly Outcome<unknown>[]) =>
  outcomes.map((o) => (o.ok ? (Buffer.isBuffer(o.value) ? o.value.toString('latin1') : o.value) : { code: (o.error as NodeJS.ErrnoException).code }));
const readDirect = (paths: readonly string[]) => plain(answerEach(paths, (p) => nodeFileSystem.read(p, MAX_BYTES)));
const inspectDirect = (paths: readonly string[]) => plain(answerEach(paths, (p) => nodeFileSystem.entry(p)));

/** Until `ready()`, at most ~5 s. */
async function until(ready: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !ready(); i++) await sleep(10);
  expect(ready()).toBe(true);
}

/** Answers the reader threads of this file gave (their workers are counted here). */
let threadAnswers = 0;
const counted = (url: URL) => {
  const worker = new Worker(url, { execArgv: [] });
  worker.on('message', () => threadAnswers++);
  return worker;
};

/** A pool that judges every batch slow, with its threads running. */
async function slowPool(options: ReaderThreadsOptions = {}): Promise<ReaderThreads> {
  const readers = pool({ slowUs: 0, windowPaths: 1, maxThreads: 3, startWorker: counted, ...options });
  await readers.inspect(tree(MIN_OFF_THREAD)); // read here, and judged slow: threads start
  await readers.inspect(tree(MIN_OFF_THREAD));
  await until(() => readers.reading === 3);
  return readers;
}

describe('ReaderThreads', () => {
  it('the compiled worker is there (npm test builds first)', () => {
    expect(pool().available).toBe(true);
  });

  it('on a fast disk, answers here, as the file system does, and starts no thread', async () => {
    const readers = pool();
    const paths = tree(200);
    expect(plain(await readers.readFiles(paths, MAX_BYTES))).toEqual(readDirect(paths));
    expect(plain(await readers.inspect(paths))).toEqual(inspectDirect(paths));
    expect(readers.threads).toBe(0);
  });

  it('on a slow disk, threads answer: the same outcomes in the same order, error codes kept, bytes as Buffers', async () => {
    const readers = await slowPool();
    const paths = tree(301);
    const before = threadAnswers;
    const read = await readers.readFiles(paths, MAX_BYTES);
    // All three threads answered a share (reads are not shared with this thread).
    expect(threadAnswers - before).toBe(3);
    expect(read.every((o) => !o.ok || Buffer.isBuffer(o.value))).toBe(true);
    expect(plain(read)).toEqual(readDirect(paths));
    const codes = plain(read).flatMap((o) => (typeof o === 'object' && o !== null && 'code' in o ? [o.code] : []));
    expect(codes.sort()).toEqual(['EFBIG', 'EISDIR', 'ELOOP', 'ENOENT', 'ENOTREG']);
    const beforeInspect = threadAnswers;
    expect(plain(await readers.inspect(paths))).toEqual(inspectDirect(paths));
    expect(threadAnswers - beforeInspect).toBe(3);
    expect(readers.threads).toBe(3);
  });

  it('asked aside on a fast disk: one thread answers the whole request (started for it), as the file system does', async () => {
    const readers = pool({ startWorker: counted });
    const paths = tree(300);
    const before = threadAnswers;
    expect(plain(await readers.inspect(paths, { aside: true }))).toEqual(inspectDirect(paths));
    expect(threadAnswers - before).toBe(1);
    expect(readers.threads).toBe(1);
    // The disk is still judged fast: a request not aside is read here.
    const next = threadAnswers;
    expect(plain(await readers.inspect(paths))).toEqual(inspectDirect(paths));
    expect(threadAnswers).toBe(next);
  });

  it('an answer asked aside does not judge the disk: the next request is read here', async () => {
    // A pool that would judge any timed batch slow.
    const readers = pool({ slowUs: 0, windowPaths: 1, startWorker: counted });
    const paths = tree(100);
    await readers.inspect(paths, { aside: true });
    const before = threadAnswers;
    expect(plain(await readers.inspect(paths))).toEqual(inspectDirect(paths));
    expect(threadAnswers).toBe(before);
  });

  it('asked aside: a thread that dies has the request read here; where none can start, it is read here', async () => {
    const dying = () => new Worker("require('node:worker_threads').parentPort.on('message', () => process.exit(7))", { eval: true });
    const paths = tree(120);
    expect(plain(await pool({ startWorker: dying }).inspect(paths, { aside: true }))).toEqual(inspectDirect(paths));
    const none = pool({ startWorker: () => { throw new Error('no workers here'); } });
    expect(plain(await none.inspect(paths, { aside: true }))).toEqual(inspectDirect(paths));
    expect(none.threads).toBe(0);
  });

  it('two requests at once on the same threads: each gets its own answers', async () => {
    const readers = await slowPool();
    const [a, b] = [tree(120), tree(90)];
    const [readA, inspectB] = await Promise.all([readers.readFiles(a, MAX_BYTES), readers.inspect(b)]);
    expect(plain(readA)).toEqual(readDirect(a));
    expect(plain(inspectB)).toEqual(inspectDirect(b));
  });

  it('a file bigger than the reuse buffer is read whole on a thread', async () => {
    const readers = await slowPool();
    const dir = tempDir();
    const paths = Array.from({ length: MIN_OFF_THREAD }, (_, i) => path.join(dir, `big${i}`));
    paths.forEach((p, i) => fs.writeFileSync(p, Buffer.alloc(70 * 1024 + i, i)));
    const read = await readers.readFiles(paths, 1 << 20);
    expect(read.map((o, i) => o.ok && Buffer.isBuffer(o.value) && o.value.equals(fs.readFileSync(paths[i]!)))).toEqual(paths.map(() => true));
  });

  it('closed while a request is pending: the request is still answered, here', async () => {
    const readers = await slowPool();
    const paths = tree(200);
    const pending = readers.readFiles(paths, MAX_BYTES);
    await readers.close();
    expect(plain(await pending)).toEqual(readDirect(paths));
  });

  it('a batch smaller than MIN_OFF_THREAD is read here even on a slow disk', async () => {
    const readers = await slowPool();
    const paths = tree(MIN_OFF_THREAD - 10);
    const before = threadAnswers;
    expect(plain(await readers.readFiles(paths, MAX_BYTES))).toEqual(readDirect(paths));
    expect(threadAnswers).toBe(before);
  });

  it('once the disk is fast again, batches are read here and the idle threads stop', async () => {
    const readers = await slowPool({ idleMs: 50 });
    // The disk turns fast (the threshold is raised: no disk can be made faster on demand). Judged
    // after the next window, later batches are read here; the threads idle and stop.
    (readers as unknown as { slowUs: number }).slowUs = 1e9;
    const paths = tree(100);
    await readers.readFiles(paths, MAX_BYTES);
    const before = threadAnswers;
    expect(plain(await readers.readFiles(paths, MAX_BYTES))).toEqual(readDirect(paths));
    expect(threadAnswers).toBe(before);
    await until(() => readers.threads === 0);
  });

  it('threads that die before answering (a worker that cannot load): after a few, none are started, all is read here', async () => {
    let started = 0;
    const broken = () => {
      started++;
      return new Worker("throw new Error('cannot load here')", { eval: true });
    };
    const readers = pool({ slowUs: 0, windowPaths: 1, maxThreads: 4, startWorker: broken });
    const paths = tree(100);
    for (let i = 0; i < 30; i++) {
      expect(plain(await readers.readFiles(paths, MAX_BYTES))).toEqual(readDirect(paths));
      await sleep(5);
    }
    await until(() => readers.threads === 0);
    const after = started;
    expect(after).toBeGreaterThan(0);
    expect(after).toBeLessThanOrEqual(8 + 4);
    for (let i = 0; i < 5; i++) await readers.readFiles(paths, MAX_BYTES);
    expect(started).toBe(after);
  });

  it('a thread that stops answers nothing: what it was asked is read here, and it is no reader any more', async () => {
    // A worker that dies on its first request, as a crashed thread would.
    const dying = () => new Worker("require('node:worker_threads').parentPort.on('message', () => process.exit(7))", { eval: true });
    const readers = await slowPool({ startWorker: dying });
    const paths = tree(150);
    expect(plain(await readers.readFiles(paths, MAX_BYTES))).toEqual(readDirect(paths));
    await until(() => readers.threads === 0);
    // Later batches are answered too (new threads start, die, and their requests are read here).
    expect(plain(await readers.inspect(paths))).toEqual(inspectDirect(paths));
  });

  it('where no thread can start, everything is read here', async () => {
    const readers = pool({ slowUs: 0, windowPaths: 1, startWorker: () => { throw new Error('no workers here'); } });
    const paths = tree(100);
    for (let i = 0; i < 3; i++) expect(plain(await readers.readFiles(paths, MAX_BYTES))).toEqual(readDirect(paths));
    expect(readers.threads).toBe(0);
  });

  it.each([
    ['threads that read', 20],
    ['threads started and never asked anything (the run ended before they ran)', 2],
  ])('readers keep no process alive: a run with %s exits by itself', (_, batches) => {
    const paths = tree(100);
    const script = `
      import { ReaderThreads } from ${JSON.stringify(pathToFileURL(path.join(DIST, 'reader-threads.js')).href)};
      const readers = new ReaderThreads(new URL(${JSON.stringify(workerUrl.href)}), { slowUs: 0, windowPaths: 1 });
      const paths = ${JSON.stringify(paths)};
      for (let i = 0; i < ${batches}; i++) { await readers.readFiles(paths, 100); if (${batches} > 2) await new Promise((r) => setTimeout(r, 5)); }
      console.log('threads', readers.threads);`;
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 15_000 });
    expect(child.error).toBeUndefined();
    expect(child.status).toBe(0);
    // Threads were there (else this proves nothing), and the process still ended on its own.
    expect(child.stdout).toMatch(/threads [1-9]/);
  });
});
