/**
 * The tags a run deleted (retention, orphaned referrer tags), for the human
 * summary: how many each rule took, then the tags themselves with their
 * rule, as many as stay readable (the JSON report lists them all).
 */
import type { Report } from '../report/report.js';
import { compareStrings } from '../report/order.js';
import { printable } from './report.js';

/** Tags listed one per line; the rest are counted. */
export const TAGS_LISTED = 20;

export function tagLines(report: Report): string[] {
  const deleted = report.tags.deleted;
  if (deleted.length === 0) return [];
  const byRule = new Map<string, number>();
  for (const t of deleted) byRule.set(t.rule, (byRule.get(t.rule) ?? 0) + 1);
  const rules = [...byRule].sort(([a], [b]) => compareStrings(a, b)).map(([rule, n]) => `${printable(rule)} ${n.toLocaleString('en-US')}`);
  const lines = [`tags ${report.dryRun ? 'that would go' : 'deleted'}, by rule: ${rules.join(', ')}`];
  const shown = deleted.slice(0, TAGS_LISTED).map((t) => [printable(`${t.repository}:${t.tag}`), printable(t.rule)] as const);
  // The rule first: rule names are short, tag names can be long (a referrer tag is 75 characters).
  const width = Math.max(...shown.map(([, rule]) => rule.length));
  for (const [name, rule] of shown) lines.push(`  ${rule.padEnd(width)}  ${name}`);
  if (deleted.length > TAGS_LISTED) lines.push(`  … and ${(deleted.length - TAGS_LISTED).toLocaleString('en-US')} more (--json lists them all)`);
  return lines;
}
