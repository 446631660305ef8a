/**
 * The review delay (`minAge`): what was written less than `minAge` ago is
 * kept, however unreferenced it looks, because it may belong to a push that
 * is still in progress. Online collectors call this a grace period; offline,
 * it guards against the registry that was not stopped after all.
 *
 * Only deletion candidates are ever stat-ed, and only when minAge > 0.
 */
import { isNotFound } from '../storage/errno.js';
import type { TreeReader } from '../storage/storage.js';

export class AgeGuard {
  /** Modified after this (ms since the epoch) is young. */
  readonly cutoff: number;

  constructor(
    private readonly reader: TreeReader,
    now: Date,
    readonly minAgeMs: number,
  ) {
    this.cutoff = now.getTime() - minAgeMs;
  }

  get enabled(): boolean {
    return this.minAgeMs > 0;
  }

  /** True when `file` was modified after the cutoff, or its age cannot be told. */
  isYoung(file: string): boolean {
    if (!this.enabled) return false;
    try {
      return this.reader.entry(file).mtimeMs > this.cutoff;
    } catch (error) {
      // Gone is not young; unknown is treated as young, since keeping is the safe side.
      return !isNotFound(error);
    }
  }

  isYoungTime(time: number): boolean {
    return this.enabled && time > this.cutoff;
  }
}
