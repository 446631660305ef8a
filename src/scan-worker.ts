/**
 * Worker-thread entry: scans its repositories with synchronous I/O and posts
 * the results a batch at a time. Synchronous reads on a worker beat
 * fs.promises on the main thread several times over on small files (spec
 * §7), and two threads use both cores. Batches keep the worker from holding
 * (and the main thread from receiving in one piece) a copy of everything it
 * read: on a million-blob tree that copy was over 100 MB.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { nodeFileSystem } from './file-system.js';
import { scanChunk, type ChunkRequest } from './scan-chunk.js';
import { DigestInterner } from './digest-interner.js';

/** Repositories per posted batch. */
const BATCH = 64;

export type WorkerMessage = { type: 'progress'; done: number } | { type: 'result'; result: import('./scan-chunk.js').ChunkResult } | { type: 'done' };

if (parentPort) {
  const port = parentPort;
  const request = workerData as ChunkRequest;
  const digests = new DigestInterner();
  for (let start = 0; start < request.names.length; start += BATCH) {
    const names = request.names.slice(start, start + BATCH);
    const result = scanChunk({ ...request, names }, nodeFileSystem, undefined, digests);
    port.postMessage({ type: 'result', result } satisfies WorkerMessage);
    port.postMessage({ type: 'progress', done: start + names.length } satisfies WorkerMessage);
    // What was posted is the main thread's now; the next batch interns afresh.
    digests.clear();
  }
  port.postMessage({ type: 'done' } satisfies WorkerMessage);
}
