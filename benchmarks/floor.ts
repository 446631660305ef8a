/**
 * The I/O floor of a default-mode collection (spec §6, §7): the time the
 * irreducible reads take on a tree (see lib/floor-walk.ts), with no parsing
 * and no deletion. A collector cannot be faster than this; it is the number
 * to compare a collector's dry run with.
 *
 *   npx tsx benchmarks/floor.ts ROOT [--workers N] [--repeat K] [--revision-links] [--compare]
 *
 * `--workers 0` (the default) is plain synchronous `fs` on the main thread.
 * `--workers N` adds N worker threads that share one queue of items (blob
 * prefix folders and repositories) with the main thread: the main thread
 * starts at once and each worker joins when it has booted (~0.1 s: the
 * worker runs as plain JavaScript, see lib/compile-worker.ts), so a worker
 * can only help. `--prestart` starts the clock once the workers are up (the
 * pure parallel speed-up). `--repeat K` runs K times and reports the best
 * (the first run may read a cold page cache); `--compare` measures 0, 1 and 2
 * workers, then 1 and 2 prestarted. Prints JSON.
 *
 * Measured on the standard tree (2 cores, warm page cache; best of 5 on a
 * quiet machine / min of 20 interleaved runs on a busy one): 0 workers
 * 0.35 / 0.245 s, 1 worker 0.255 / 0.205 s, 2 workers 0.32 / 0.29 s;
 * prestarted, 1 worker 0.21 / 0.185 s, 2 workers 0.24 / 0.20 s. Cold cache
 * (after drop_caches): 0 workers 6.8 s, 1 worker 5.0 s, 2 workers 3.3 s,
 * 4 workers 2.7 s, 8 workers 2.4 s.
 */
import { Worker } from 'node:worker_threads';
import { RegistryLayout } from '../src/registry/layout.js';
import { COUNTERS, Walker, discoverRepositories, prefixItems, zeroCounts, type Counts, type Item } from './lib/floor-walk.js';
import { compiledWorker } from './lib/compile-worker.js';
import { createShared, drain, readSlot, waitAll } from './lib/floor-queue.js';
import { runIfEntryPoint } from './lib/entry.js';

export interface FloorOptions {
  /** Worker threads besides the main thread. @default 0 */
  workers?: number;
  /** Also read each revision's link file. @default false */
  revisionLinks?: boolean;
  /** Start the clock only once every worker has booted (the pure parallel speed-up). @default false */
  prestart?: boolean;
}

export interface FloorResult {
  root: string;
  workers: number;
  revisionLinks: boolean;
  prestart: boolean;
  /** Wall time from the start until every item is done (worker start-up included, their shut-down not). */
  seconds: number;
  /** Of which: listing `blobs/<alg>` and finding the repositories, on the main thread. */
  discoverSeconds: number;
  counts: Omit<Counts, 'items'>;
  /** Items each thread ran, and when it ran its first (seconds from the start; null if none). */
  threads: { thread: string; items: number; firstItemSeconds: number | null }[];
}

const WORKER = new URL('./floor-worker.ts', import.meta.url);

export async function measureFloor(root: string, options: FloorOptions = {}): Promise<FloorResult> {
  const workers = options.workers ?? 0;
  const walkOptions = { revisionLinks: options.revisionLinks ?? false };
  const layout = new RegistryLayout(root);
  const shared = createShared(workers + 1);
  const script = workers > 0 ? await compiledWorker(WORKER) : undefined;
  const clock = (): number => performance.timeOrigin + performance.now();
  let started = clock();
  const seconds = (): number => (clock() - started) / 1000;
  // Workers first, so that they boot while the main thread discovers.
  const errors: string[] = [];
  const threads = Array.from({ length: workers }, (_, i) => {
    const w = new Worker(script ?? WORKER, { workerData: { root: layout.root, slot: i + 1, options: walkOptions, shared } });
    w.on('message', (m: { error?: string }) => void (m.error !== undefined && errors.push(m.error)));
    w.on('error', (err) => errors.push(err.stack ?? err.message));
    return w;
  });
  try {
    if (options.prestart) {
      await Promise.all(threads.map((w) => new Promise((resolve) => w.once('message', resolve))));
      started = clock();
    }
    // Repositories first: they are the heavy items; prefix listings fill the gaps at the end.
    const items: Item[] = [...discoverRepositories(layout).map((name): Item => ({ kind: 'repository', name })), ...prefixItems(layout)];
    const discoverSeconds = seconds();
    for (const w of threads) w.postMessage(items);
    drain(shared, 0, items, new Walker(layout, walkOptions), zeroCounts());
    const ok = waitAll(shared, items.length);
    const elapsed = seconds();
    if (!ok) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      throw new Error(`a floor worker failed:\n${errors.join('\n')}`);
    }
    const slots = Array.from({ length: workers + 1 }, (_, i) => readSlot(shared, i));
    const total = zeroCounts();
    for (const s of slots) for (const c of COUNTERS) total[c] += s.counts[c];
    const { items: _items, ...counts } = total;
    void _items;
    return {
      root: layout.root,
      workers,
      revisionLinks: walkOptions.revisionLinks,
      prestart: options.prestart ?? false,
      seconds: elapsed,
      discoverSeconds,
      counts,
      threads: slots.map((s, i) => ({
        thread: i === 0 ? 'main' : `worker ${i}`,
        items: s.counts.items,
        firstItemSeconds: s.firstItemMs === null ? null : (s.firstItemMs - (started - shared.origin)) / 1000,
      })),
    };
  } finally {
    await Promise.all(threads.map((w) => w.terminate()));
  }
}

// CLI -----------------------------------------------------------------------------

async function best(root: string, options: FloorOptions, repeat: number): Promise<FloorResult & { runs: number[] }> {
  const runs: FloorResult[] = [];
  for (let i = 0; i < repeat; i++) runs.push(await measureFloor(root, options));
  const fastest = runs.reduce((a, b) => (b.seconds < a.seconds ? b : a));
  return { ...fastest, runs: runs.map((r) => Number(r.seconds.toFixed(4))) };
}

export async function main(argv: readonly string[]): Promise<number> {
  const positional: string[] = [];
  const values = new Map<string, string>();
  const flags = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === '--workers' || arg === '--repeat') values.set(arg, argv[++i] ?? '');
    else if (arg === '--revision-links' || arg === '--compare' || arg === '--prestart') flags.add(arg);
    else positional.push(arg);
  }
  const root = positional[0];
  const workers = Number.parseInt(values.get('--workers') ?? '0', 10);
  const repeat = Number.parseInt(values.get('--repeat') ?? '1', 10);
  if (root === undefined || positional.length > 1 || !(workers >= 0) || !(repeat >= 1)) {
    process.stderr.write('usage: npx tsx benchmarks/floor.ts ROOT [--workers N] [--prestart] [--repeat K] [--revision-links] [--compare]\n');
    return 2;
  }
  const revisionLinks = flags.has('--revision-links');
  if (flags.has('--compare')) {
    const results = [];
    for (const n of [0, 1, 2]) results.push(await best(root, { workers: n, revisionLinks }, repeat));
    for (const n of [1, 2]) results.push(await best(root, { workers: n, revisionLinks, prestart: true }, repeat));
    process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
  } else {
    const prestart = flags.has('--prestart');
    process.stdout.write(`${JSON.stringify(await best(root, { workers, revisionLinks, prestart }, repeat), null, 2)}\n`);
  }
  return 0;
}

runIfEntryPoint(import.meta.url, main);
