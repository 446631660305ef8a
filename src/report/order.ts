/**
 * The stable orders of listings and reports: two runs over the same tree
 * print the same bytes (spec §5). Plain code-unit comparison, not locale
 * collation, so every machine sorts alike.
 */
import type { Warning } from './report.js';

export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Sorts anything named (tags, repository scans) by its name. */
export function byName(a: { name: string }, b: { name: string }): number {
  return compareStrings(a.name, b.name);
}

export function byWarning(a: Warning, b: Warning): number {
  return compareStrings(a.path, b.path) || compareStrings(a.code, b.code) || compareStrings(a.message, b.message);
}
