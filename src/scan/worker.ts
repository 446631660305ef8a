/**
 * Worker-thread entry: opens the run's storage (its `workerAccess`), takes
 * batches of repositories from the shared queue, scans each with the
 * storage's synchronous reader and posts its result. Synchronous reads on
 * a worker beat fs.promises on the main thread several times over on small
 * files (spec §7), and two threads use both cores. Posting per batch keeps
 * the worker from holding (and the main thread from receiving in one piece)
 * a copy of everything it read: on a million-blob tree that was over 100 MB.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { BatchQueue } from './batch-queue.js';
import { DigestInterner } from '../registry/digest-interner.js';
import type { Storage, WorkerAccess } from '../storage/storage.js';
import { scanChunk, type ChunkRequest, type ChunkResult } from './chunk.js';

/** All the repositories, the queue (shared with the other threads) that says which to scan, and how to open the storage. */
export interface WorkerRequest extends ChunkRequest {
  readonly queue: { readonly shared: SharedArrayBuffer; readonly batchSize: number };
  readonly storage: WorkerAccess;
}

export type WorkerMessage = { type: 'progress'; done: number } | { type: 'result'; result: ChunkResult } | { type: 'done' };

if (parentPort) {
  const port = parentPort;
  const request = workerData as WorkerRequest;
  const queue = new BatchQueue(request.names.length, request.queue.batchSize, request.queue.shared);
  const backend = (await import(request.storage.module)) as { openStorage(data: unknown): Storage };
  const { reader } = backend.openStorage(request.storage.data);
  const digests = new DigestInterner();
  let done = 0;
  for (let batch = queue.take(); batch; batch = queue.take()) {
    const names = request.names.slice(...batch);
    const result = scanChunk({ root: request.root, names, maxManifestBytes: request.maxManifestBytes }, reader, digests);
    done += names.length;
    port.postMessage({ type: 'result', result } satisfies WorkerMessage);
    port.postMessage({ type: 'progress', done } satisfies WorkerMessage);
    // What was posted is the main thread's now; the next batch interns afresh.
    digests.clear();
  }
  port.postMessage({ type: 'done' } satisfies WorkerMessage);
}
