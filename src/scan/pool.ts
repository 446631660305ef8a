/**
 * Scans every repository, on worker threads when that pays.
 *
 * With the real file system and concurrency > 1, `concurrency - 1` worker
 * threads and the main thread (which first lists the blob store) take
 * batches of repositories from one shared queue until none is left. A
 * custom FileSystem (tests, fault injection) cannot cross a thread boundary,
 * and neither can it when the compiled worker is absent (running from
 * TypeScript sources): then the same batches run in-process, yielding to the
 * event loop between them.
 */
import fs from 'node:fs';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { nodeFileSystem } from '../storage/file-system.js';
import type { DigestInterner } from '../registry/digest-interner.js';
import type { Digest } from '../registry/digest.js';
import type { Findings } from '../report/findings.js';
import type { ManifestStore } from './manifest-store.js';
import type { NormalizedOptions } from '../collect/options.js';
import { byName } from '../report/report.js';
import type { RepositoryScan } from './repository.js';
import { BatchQueue } from './batch-queue.js';
import { scanChunk, type ChunkResult } from './chunk.js';
import type { WorkerMessage, WorkerRequest } from './worker.js';

/**
 * Repositories per batch: the granularity of sharing work, of yields,
 * progress and aborts on the main thread, and of the workers' messages.
 */
const BATCH = 16;
/** Fewer repositories than this per worker and a thread costs more than it saves. */
const MIN_REPOSITORIES_PER_WORKER = 16;

const workerUrl = new URL('./worker.js', import.meta.url);

/** Worker threads beside the main thread, which scans a share too. */
function workerCount(opts: NormalizedOptions, repositories: number): number {
  if (opts.fileSystem !== nodeFileSystem || opts.concurrency < 2) return 0;
  if (!fs.existsSync(fileURLToPath(workerUrl))) return 0;
  return Math.min(opts.concurrency - 1, Math.floor(repositories / MIN_REPOSITORIES_PER_WORKER));
}

/** Runs one worker; each batch it posts goes to `onResult` as it arrives. */
function runWorker(request: WorkerRequest, signal: AbortSignal | undefined, onProgress: (done: number) => void, onResult: (result: ChunkResult) => void): Promise<void> {
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
  const scans: RepositoryScan[] = [];
  // This thread's results hold its own strings; a worker's are copies, given this thread's strings.
  const merge = (result: ChunkResult, own: boolean): void => {
    for (const scan of result.scans) scans.push(own ? scan : internScan(scan, digests));
    store.add(result.manifests, own);
    findings.warnings.push(...result.warnings);
    findings.problems.push(...result.problems);
  };
  let doneHere = 0;
  const doneByWorker = new Array<number>(workers).fill(0);
  const report = () => opts.onProgress({ phase: 'scan', done: doneByWorker.reduce((a, b) => a + b, doneHere), total });
  opts.onProgress({ phase: 'scan', done: 0, total });

  // Workers start first: their start-up overlaps this thread's listing of the blob store.
  const queue = new BatchQueue(total, BATCH);
  const pending = Array.from({ length: workers }, (_, w) => {
    const request: WorkerRequest = { root, names, maxManifestBytes: opts.maxManifestBytes, queue: { shared: queue.shared, batchSize: BATCH } };
    const onProgress = (n: number) => {
      doneByWorker[w] = n;
      report();
    };
    return runWorker(request, opts.signal, onProgress, (result) => merge(result, false));
  });
  // Until this thread is done, a failure in a worker must not go unobserved.
  const all = Promise.all(pending);
  all.catch(() => {});
  const side = alongside();
  for (let batch = queue.take(); batch; batch = queue.take()) {
    await yieldToEventLoop();
    opts.signal?.throwIfAborted();
    const request = { root, names: names.slice(...batch), maxManifestBytes: opts.maxManifestBytes };
    merge(scanChunk(request, opts.fileSystem, digests), true);
    doneHere += request.names.length;
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
