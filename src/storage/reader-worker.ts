/**
 * A reader thread of reader-threads.ts: answers each request with the
 * synchronous file system, path by path, and says how long the whole
 * request took (the pool tells a warm cache from a cold disk by it).
 */
import { performance } from 'node:perf_hooks';
import { parentPort } from 'node:worker_threads';
import { nodeFileSystem } from './node-file-system.js';
import { toWire, type ReadAnswer, type ReadRequest } from './reader-wire.js';

parentPort!.on('message', ({ id, op, paths, maxBytes }: ReadRequest) => {
  const start = performance.now();
  const outcomes = paths.map((p) => toWire(() => (op === 'read' ? nodeFileSystem.read(p, maxBytes) : nodeFileSystem.entry(p))));
  parentPort!.postMessage({ id, outcomes, ms: performance.now() - start } satisfies ReadAnswer);
});
