/**
 * The time of each phase of a run, as the report gives it (milliseconds,
 * one decimal). One helper for work that is done at once and work that is
 * awaited: an abort is honoured before each phase begins.
 */
import { performance } from 'node:perf_hooks';
import type { Phase } from '../report/report.js';

export class PhaseClock {
  readonly durations: Partial<Record<Phase, number>> = {};

  constructor(private readonly signal: AbortSignal | undefined) {}

  /** Runs `work` as `phase`; a promise it returns is timed until it settles. */
  time<T>(phase: Phase, work: () => T): T {
    this.signal?.throwIfAborted();
    const start = performance.now();
    const stop = () => {
      this.durations[phase] = Math.round((performance.now() - start) * 10) / 10;
    };
    let result: T;
    try {
      result = work();
    } catch (error) {
      stop();
      throw error;
    }
    if (result instanceof Promise) return result.finally(stop) as T;
    stop();
    return result;
  }
}
