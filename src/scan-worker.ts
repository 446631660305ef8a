/**
 * Worker-thread entry: runs one scan chunk with synchronous I/O and posts
 * the result. Synchronous reads on a worker beat fs.promises on the main
 * thread several times over on small files (spec §7), and two workers use
 * both cores.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { nodeFileSystem } from './file-system.js';
import { scanChunk, type ChunkRequest } from './scan-chunk.js';

const PROGRESS_EVERY = 32;

if (parentPort) {
  const port = parentPort;
  const result = scanChunk(workerData as ChunkRequest, nodeFileSystem, (done) => {
    if (done % PROGRESS_EVERY === 0) port.postMessage({ type: 'progress', done });
  });
  port.postMessage({ type: 'result', result });
}
