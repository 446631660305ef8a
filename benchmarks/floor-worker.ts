/**
 * A worker of benchmarks/floor.ts: takes items from the shared queue (an
 * Atomics counter) until it is empty, publishing its counts after each item.
 * It receives the item list by message, so that it can start booting before
 * the main thread has discovered the repositories. floor.ts runs it as plain
 * JavaScript (lib/compile-worker.ts), not through tsx.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { RegistryLayout } from '../src/registry/layout.js';
import { Walker, zeroCounts, type Item, type WalkOptions } from './lib/floor-walk.js';
import { drain, type SharedState } from './lib/floor-queue.js';

interface Data {
  root: string;
  slot: number;
  options: WalkOptions;
  shared: SharedState;
}

const data = workerData as Data;
parentPort?.postMessage({ ready: true });
parentPort?.once('message', (items: Item[]) => {
  const walker = new Walker(new RegistryLayout(data.root), data.options);
  try {
    drain(data.shared, data.slot, items, walker, zeroCounts());
  } catch (err) {
    // The main thread is blocked in Atomics.wait: the flag, not the message, is what it sees.
    const control = new Int32Array(data.shared.control);
    Atomics.store(control, 2, 1);
    Atomics.notify(control, 1);
    parentPort?.postMessage({ error: err instanceof Error ? (err.stack ?? err.message) : String(err) });
  }
});
