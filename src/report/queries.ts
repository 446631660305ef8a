/** Questions asked of a finished report, by the summaries, the advice after a run, and apply. */
import { CATEGORIES, KINDS } from './kinds.js';
import type { Report } from './report.js';

/** Whether the run deleted (in a dry run: would delete) anything at all. */
export function deletedAnything(report: Report): boolean {
  return CATEGORIES.some((c) => report[c].deleted.length > 0);
}

/** Bytes deleted (or that would be), summed over the kinds that have a size. */
export function deletedBytes(report: Report): number {
  return CATEGORIES.filter((c) => KINDS[c].sized).reduce((n, c) => n + ((report[c] as { deletedBytes?: number }).deletedBytes ?? 0), 0);
}
