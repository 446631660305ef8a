/**
 * Batches of a list handed out to whichever thread asks first, through one
 * counter in shared memory. Dealing fixed shares left the main thread last
 * (it lists the blob store and merges the workers' results besides its
 * share) while a worker sat idle; taking batches from one queue ends all
 * threads within a batch of each other.
 */
export class BatchQueue {
  private readonly next: Int32Array;

  /** `shared`: the counter of another thread's queue over the same list, or a new one. */
  constructor(
    readonly total: number,
    readonly batchSize: number,
    readonly shared: SharedArrayBuffer = new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT),
  ) {
    this.next = new Int32Array(shared);
  }

  /** True while some batch is not taken yet (another thread may take it meanwhile). */
  get hasMore(): boolean {
    return Atomics.load(this.next, 0) * this.batchSize < this.total;
  }

  /** The next batch as [start, end), or undefined once every batch is taken. */
  take(): [number, number] | undefined {
    const start = Atomics.add(this.next, 0, 1) * this.batchSize;
    if (start >= this.total) return undefined;
    return [start, Math.min(this.total, start + this.batchSize)];
  }
}
