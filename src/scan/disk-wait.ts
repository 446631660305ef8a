/**
 * When the scan waits on the disk rather than the CPU, more threads help:
 * each does synchronous I/O, so each is one request in flight. On cold caches
 * (the tree not in the page cache: what a large registry meets right after it
 * is stopped) `large`'s dry run took 66.7 s with 2 threads and 46.1 s with
 * 4; on a warm cache more threads than cores were slower (`standard`, 6
 * threads on 2 cores: 1.01 -> 1.3 s) and held more memory. So a scan starts
 * with one thread per core and adds one while the threads it has are mostly
 * waiting, up to a limit (the pool's).
 */
import os from 'node:os';
import { performance } from 'node:perf_hooks';

/** Shorter windows say little: a worker's start-up alone is tens of ms. */
const WINDOW_MS = 150;
/**
 * Below this share of the cores' time (user and system) spent by the
 * process, its threads are waiting on the disk. Measured on `standard` with
 * 2 threads on 2 cores: 0.88-0.96 on a warm cache, 0.47-0.56 on a cold one
 * (the kernel's share of reading counts as busy), 0.53-0.63 with 3 threads.
 */
const BUSY_BELOW = 0.75;

/** Wall and CPU time (all threads of the process), in ms: the process's own by default. */
export interface Clocks {
  readonly wallMs: () => number;
  readonly cpuMs: () => number;
}

const processClocks: Clocks = {
  wallMs: () => performance.now(),
  cpuMs: () => {
    const { user, system } = process.cpuUsage();
    return (user + system) / 1000;
  },
};

export class DiskWait {
  private wallSince: number;
  private cpuSince: number;

  /**
   * `threads`: the scan's threads now, this one included. `cores`: CPUs they
   * can run on at once; more threads than cores are judged against the
   * cores, or a busy single core would look half idle.
   */
  constructor(
    private threads: number,
    private readonly clocks: Clocks = processClocks,
    private readonly cores: number = os.availableParallelism(),
  ) {
    this.wallSince = clocks.wallMs();
    this.cpuSince = clocks.cpuMs();
  }

  /** True when one more thread should start now (it is then counted). Each window is judged once. */
  shouldAddThread(): boolean {
    const now = this.clocks.wallMs();
    const wall = now - this.wallSince;
    if (wall < WINDOW_MS) return false;
    const cpu = this.clocks.cpuMs();
    const busy = (cpu - this.cpuSince) / (wall * Math.min(this.threads, this.cores));
    this.wallSince = now;
    this.cpuSince = cpu;
    if (busy >= BUSY_BELOW) return false;
    this.threads++;
    return true;
  }
}
