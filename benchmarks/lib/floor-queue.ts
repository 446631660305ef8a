/**
 * The work queue the floor's threads share: one SharedArrayBuffer of control
 * words (next item, items done, error flag) and one of per-thread counters.
 * A thread claims the next item with Atomics.add, so the main thread works
 * from the first millisecond and each worker joins as soon as it has booted;
 * the main thread knows everything is done when `done` reaches the total.
 */
import { COUNTERS, type Counts, type Item, type Walker } from './floor-walk.js';

export interface SharedState {
  /** Int32: [0] next item, [1] items done, [2] error flag. */
  control: SharedArrayBuffer;
  /** Float64 per thread: COUNTERS, then the time (ms since `origin`) it claimed its first item. */
  counts: SharedArrayBuffer;
  /** `performance.timeOrigin + performance.now()` when the run started. */
  origin: number;
}

export const SLOT = COUNTERS.length + 1;

export function createShared(threads: number): SharedState {
  return {
    control: new SharedArrayBuffer(4 * Int32Array.BYTES_PER_ELEMENT),
    counts: new SharedArrayBuffer(threads * SLOT * Float64Array.BYTES_PER_ELEMENT),
    origin: performance.timeOrigin + performance.now(),
  };
}

/** Runs items until the queue is empty; returns the number it ran. */
export function drain(shared: SharedState, slot: number, items: readonly Item[], walker: Walker, counts: Counts): number {
  const control = new Int32Array(shared.control);
  const out = new Float64Array(shared.counts, slot * SLOT * Float64Array.BYTES_PER_ELEMENT, SLOT);
  let ran = 0;
  for (;;) {
    const i = Atomics.add(control, 0, 1);
    const item = items[i];
    if (item === undefined) return ran;
    if (ran === 0) out[COUNTERS.length] = performance.timeOrigin + performance.now() - shared.origin;
    walker.run(item, counts);
    ran++;
    COUNTERS.forEach((c, k) => (out[k] = counts[c]));
    Atomics.add(control, 1, 1);
    Atomics.notify(control, 1);
  }
}

/** Blocks until every item is done (or a worker failed); returns false on failure. */
export function waitAll(shared: SharedState, total: number): boolean {
  const control = new Int32Array(shared.control);
  for (;;) {
    if (Atomics.load(control, 2) !== 0) return false;
    const done = Atomics.load(control, 1);
    if (done >= total) return true;
    Atomics.wait(control, 1, done, 50);
  }
}

export function readSlot(shared: SharedState, slot: number): { counts: Counts; firstItemMs: number | null } {
  const view = new Float64Array(shared.counts, slot * SLOT * Float64Array.BYTES_PER_ELEMENT, SLOT);
  const counts = Object.fromEntries(COUNTERS.map((c, k) => [c, view[k] ?? 0])) as Counts;
  const first = view[COUNTERS.length] ?? 0;
  return { counts, firstItemMs: counts.items > 0 ? first : null };
}
