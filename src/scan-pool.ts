/**
 * Scans every repository, on worker threads when that pays.
 *
 * With the real file system and concurrency > 1, the repositories are dealt
 * round-robin into `concurrency` shares (sorted names put a team's similar
 * repositories next to each other, so dealing spreads them): one per worker
 * thread, and one for the main thread, which first lists the blob store. A custom FileSystem (tests, fault
 * injection) cannot cross a thread boundary, and neither can it when the
 * compiled worker is absent (running from TypeScript sources): then the same
 * chunks run in-process, yielding to the event loop between them.
 */
import fs from 'node:fs';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { nodeFileSystem } from './file-system.js';
import type { DigestInterner } from './digest-interner.js';
import type { Digest } from './digest.js';
import type { Findings } from './findings.js';
import type { ManifestStore } from './manifest-store.js';
import type { NormalizedOptions } from './options.js';
import { byName } from './report.js';
import type { RepositoryScan } from './repositories.js';
import { scanChunk, type ChunkRequest, type ChunkResult } from './scan-chunk.js';
import type { WorkerMessage } from './scan-worker.js';

/** Repositories per in-process chunk: the granularity of yields, progress and aborts. */
const IN_PROCESS_BATCH = 64;
/** Fewer repositories than this per worker and a thread costs more than it saves. */
const MIN_REPOSITORIES_PER_WORKER = 16;

const workerUrl = new URL('./scan-worker.js', import.meta.url);

/** Worker threads beside the main thread, which scans a share too. */
function workerCount(opts: NormalizedOptions, repositories: number): number {
  if (opts.fileSystem !== nodeFileSystem || opts.concurrency < 2) return 0;
  if (!fs.existsSync(fileURLToPath(workerUrl))) return 0;
  return Math.min(opts.concurrency - 1, Math.floor(repositories / MIN_REPOSITORIES_PER_WORKER));
}

/** Runs one worker; each batch it posts goes to `onResult` as it arrives. */
function runWorker(request: ChunkRequest, signal: AbortSignal | undefined, onProgress: (done: number) => void, onResult: (result: ChunkResult) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(workerUrl, { workerData: request });
    const abort = () => void worker.terminate();
    signal?.addEventListener('abort', abort, { once: true });
    let finished = false;
    worker.on('message', (message: WorkerMessage) => {
      if (message.type === 'progress') onProgress(message.done);
      else if (message.type === 'result') onResult(message.result);
      else finished = true;
    });
    worker.once('error', reject);
    worker.once('exit', (code) => {
      signal?.removeEventListener('abort', abort);
      if (finished) resolve();
      else if (signal?.aborted) reject(signal.reason);
      else reject(new Error(`scan worker exited with code ${code} before reporting`));
    });
  });
}

/**
 * Scans `names`; meanwhile runs `alongside` on this thread. Manifests read
 * during the scan go into `store`; warnings and problems into `findings`.
 */
export async function scanRepositories<T>(
  root: string,
  names: readonly string[],
  opts: NormalizedOptions,
  { store, findings, digests }: { store: ManifestStore; findings: Findings; digests: DigestInterner },
  alongside: () => T,
): Promise<{ scans: RepositoryScan[]; alongside: T }> {
  const total = names.length;
  const workers = workerCount(opts, total);
  const shares = workers + 1;
  const scans: RepositoryScan[] = [];
  // This thread's results hold its own strings; a worker's are copies, given this thread's strings.
  const merge = (result: ChunkResult, own: boolean): void => {
    for (const scan of result.scans) scans.push(own ? scan : internScan(scan, digests));
    store.add(result.manifests, own);
    findings.warnings.push(...result.warnings);
    findings.problems.push(...result.problems);
  };
  // done[0] is this thread's share, done[1..] the workers'.
  const done = new Array<number>(shares).fill(0);
  const report = () => opts.onProgress({ phase: 'scan', done: done.reduce((a, b) => a + b, 0), total });
  opts.onProgress({ phase: 'scan', done: 0, total });

  // Workers start first (their start-up overlaps this thread's work); each batch
  // they post is cloned back, which costs, so this thread takes a share instead of idling.
  const pending = Array.from({ length: workers }, (_, w) => {
    const request = { root, names: names.filter((_, i) => i % shares === w + 1), maxManifestBytes: opts.maxManifestBytes };
    const onProgress = (n: number) => {
      done[w + 1] = n;
      report();
    };
    return runWorker(request, opts.signal, onProgress, (result) => merge(result, false));
  });
  // Until this thread is done, a failure in a worker must not go unobserved.
  const all = Promise.all(pending);
  all.catch(() => {});
  const side = alongside();
  const mine = workers === 0 ? names : names.filter((_, i) => i % shares === 0);
  for (let start = 0; start < mine.length; start += IN_PROCESS_BATCH) {
    await yieldToEventLoop();
    opts.signal?.throwIfAborted();
    const request = { root, names: mine.slice(start, start + IN_PROCESS_BATCH), maxManifestBytes: opts.maxManifestBytes };
    merge(scanChunk(request, opts.fileSystem, undefined, digests), true);
    done[0] = Math.min(mine.length, start + IN_PROCESS_BATCH);
    report();
  }
  await all;

  opts.onProgress({ phase: 'scan', done: total, total });
  scans.sort(byName);
  return { scans, alongside: side };
}

/** In place: a worker's scan arrives as a fresh copy that nothing else holds. */
function internScan(scan: RepositoryScan, digests: DigestInterner): RepositoryScan {
  const all = (list: readonly Digest[]) => digests.internAll(list as Digest[]);
  return {
    ...scan,
    revisions: all(scan.revisions),
    pinned: all(scan.pinned),
    unlinkedRevisions: all(scan.unlinkedRevisions),
    tags: scan.tags.map((tag) => ({ ...tag, current: tag.current && digests.intern(tag.current), history: all(tag.history) })),
    layers: all(scan.layers),
  };
}
