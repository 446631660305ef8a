/**
 * Scans every repository, on worker threads when that pays.
 *
 * When the storage can be opened on another thread (its `workerAccess`) and
 * concurrency > 1, `concurrency - 1` worker threads and the main thread
 * (which first lists the blob store) take batches of repositories from one
 * shared queue until none is left. A storage that cannot cross a thread
 * boundary (a custom FileSystem) scans in-process, and so does any storage
 * when the compiled worker is absent (running from TypeScript sources): the
 * same batches, yielding to the event loop between them.
 */
import fs from 'node:fs';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { DigestInterner } from '../registry/digest-interner.js';
import type { Digest } from '../registry/digest.js';
import type { Findings } from '../report/findings.js';
import type { ManifestStore } from './manifest-store.js';
import type { ProgressEvent } from '../collect/options.js';
import type { Storage } from '../storage/storage.js';
import { byName } from '../report/order.js';
import type { RepositoryScan } from './repository.js';
import { idList, type DigestIdList, type DigestIds } from '../registry/digest-ids.js';
import { BatchQueue } from './batch-queue.js';
import { DiskWait } from './disk-wait.js';
import { scanChunk, type ChunkResult } from './chunk.js';
import type { WorkerMessage, WorkerRequest } from './worker.js';

/** A repository's scan as a run holds it (layer links as ids). */
export type ScannedRepository = RepositoryScan<DigestIdList>;

/**
 * Repositories per batch: the granularity of sharing work, of yields,
 * progress and aborts on the main thread, and of the workers' messages.
 */
const BATCH = 16;
/** Fewer repositories than this per worker and a thread costs more than it saves. */
const MIN_REPOSITORIES_PER_WORKER = 16;

const workerUrl = new URL('./worker.js', import.meta.url);

/**
 * A scan worker's young generation, in MB. What a worker allocates lives
 * until its batch is posted, and dies then: a young generation grown to
 * V8's default (tens of MB) only holds garbage longer. Measured on
 * `standard` (benchmarks/results/notes.md): peak RSS of the scan 156-159 MB
 * at the default, 134 MB at 4 MB, no slower.
 */
const WORKER_YOUNG_GENERATION_MB = 4;

/** What the scan needs of a run. */
export interface ScanInput {
  readonly root: string;
  readonly names: readonly string[];
  readonly storage: Storage;
  /** Threads, this one included. */
  readonly concurrency: number;
  /** Threads the scan may grow to while its threads wait on the disk (disk-wait.ts); `concurrency` for a fixed count. */
  readonly maxConcurrency: number;
  readonly maxManifestBytes: number;
  readonly signal: AbortSignal | undefined;
  readonly onProgress: (event: ProgressEvent) => void;
}

/** Workers can run: the storage opens on another thread, and the compiled worker is there. */
function workersAvailable(input: ScanInput): boolean {
  return input.storage.workerAccess !== undefined && fs.existsSync(fileURLToPath(workerUrl));
}

/** Worker threads for `threads` threads in all: the main thread scans a share too. */
function workersFor(input: ScanInput, threads: number): number {
  if (!workersAvailable(input)) return 0;
  return Math.max(0, Math.min(threads - 1, Math.floor(input.names.length / MIN_REPOSITORIES_PER_WORKER)));
}

/** Runs one worker; each batch it posts goes to `onResult` as it arrives. */
function runWorker(request: WorkerRequest, signal: AbortSignal | undefined, onProgress: (done: number) => void, onResult: (result: ChunkResult) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(workerUrl, { workerData: request, resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB } });
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

/** Where the scan's results go, and (tests) when it adds a thread. */
export interface ScanState {
  readonly store: ManifestStore;
  readonly findings: Findings;
  readonly digests: DigestInterner;
  /** When to add a worker, given the threads at the start; DiskWait by default. */
  readonly threads?: (startedWith: number) => { shouldAddThread(): boolean };
}

/**
 * Scans `names`; meanwhile runs `alongside` on this thread. Manifests read
 * during the scan go into `store`; warnings and problems into `findings`.
 */
export async function scanRepositories<T>(
  input: ScanInput,
  { store, findings, digests, threads }: ScanState,
  alongside: () => T,
): Promise<{ scans: ScannedRepository[]; alongside: T }> {
  const { root, names, storage, maxManifestBytes, signal, onProgress } = input;
  const total = names.length;
  const workers = workersFor(input, input.concurrency);
  const access = storage.workerAccess;
  const scans: ScannedRepository[] = [];
  // This thread's results hold its own strings; a worker's are copies, given this thread's strings.
  const merge = (result: ChunkResult, own: boolean): void => {
    for (const scan of result.scans) scans.push(runScan(own ? scan : internScan(scan, digests), store.ids));
    store.add(result.manifests);
    findings.warnings.push(...result.warnings);
    findings.problems.push(...result.problems);
  };
  let doneHere = 0;
  const doneByWorker: number[] = [];
  const report = () => onProgress({ phase: 'scan', done: doneByWorker.reduce((a, b) => a + b, doneHere), total });
  onProgress({ phase: 'scan', done: 0, total });

  const queue = new BatchQueue(total, BATCH);
  const pending: Array<Promise<void>> = [];
  const startWorker = () => {
    // A run aborted meanwhile (a caller's onProgress may abort) starts nothing more.
    if (signal?.aborted) return;
    const w = doneByWorker.push(0) - 1;
    const request: WorkerRequest = { root, names, maxManifestBytes, queue: { shared: queue.shared, batchSize: BATCH }, storage: access! };
    const onWorkerProgress = (n: number) => {
      doneByWorker[w] = n;
      report();
    };
    const worker = runWorker(request, signal, onWorkerProgress, (result) => merge(result, false));
    // Until this thread is done, a failure in a worker must not go unobserved.
    worker.catch(() => {});
    pending.push(worker);
  };
  // Workers start first: their start-up overlaps this thread's listing of the blob store.
  for (let w = 0; w < workers; w++) startWorker();
  const maxWorkers = Math.max(workers, workersFor(input, input.maxConcurrency));
  const wait = threads?.(workers + 1) ?? new DiskWait(workers + 1);
  const side = alongside();
  for (let batch = queue.take(); batch; batch = queue.take()) {
    await yieldToEventLoop();
    signal?.throwIfAborted();
    const request = { root, names: names.slice(...batch), maxManifestBytes };
    merge(scanChunk(request, storage.reader, digests), true);
    doneHere += request.names.length;
    report();
    // A thread started once every batch is taken would only start up and exit.
    if (pending.length < maxWorkers && queue.hasMore && wait.shouldAddThread()) startWorker();
  }
  await Promise.all(pending);

  onProgress({ phase: 'scan', done: total, total });
  scans.sort(byName);
  return { scans, alongside: side };
}

/** A scan as the run holds it: its layer links as ids (their strings are let go). */
export function runScan(scan: RepositoryScan, ids: DigestIds): ScannedRepository {
  return { ...scan, layers: idList(ids, scan.layers) };
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
  };
}
