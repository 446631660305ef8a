/**
 * The human summary of a report, for the person who ran it: what was looked
 * at, per category the count (and bytes where the category has them), the
 * repositories that free the most, time per phase, then warnings and errors
 * grouped by code with the first few paths. Plain text; every list is in a
 * fixed order, so the same tree prints the same summary.
 */
import prettyBytes from 'pretty-bytes';
import { attributeByRepository } from './attribution.js';
import { tagLines } from './tags.js';
import type { Problem } from '../report/errors.js';
import { type Report } from '../report/report.js';
import { CATEGORIES, KINDS } from '../report/kinds.js';
import { compareStrings } from '../report/order.js';
import { deletedBytes } from '../report/queries.js';

/** Rows of the "frees the most" table. */
export const TOP_REPOSITORIES = 10;

/** What formatReport is told beyond the report itself. */
export interface FormatContext {
  /** Where the root came from, e.g. `rootdirectory of /etc/docker/registry/config.yml`. */
  readonly source?: string | undefined;
}

function groupByCode(items: readonly Problem[]): Map<string, Problem[]> {
  const groups = new Map<string, Problem[]>();
  for (const item of items) {
    const list = groups.get(item.code);
    if (list) list.push(item);
    else groups.set(item.code, [item]);
  }
  return new Map([...groups].sort(([a], [b]) => compareStrings(a, b)));
}

/**
 * Control characters shown escaped: file names come from the tree, and a tag
 * named "v1\nregistry-gc: all is well" must not print a line of its own.
 */
export function printable(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => JSON.stringify(c).slice(1, -1));
}

export function formatProblems(title: string, items: readonly Problem[], perCode = 3): string[] {
  if (items.length === 0) return [];
  const lines = [`${title} (${items.length}):`];
  for (const [code, list] of groupByCode(items)) {
    lines.push(`  ${code} (${list.length})`);
    for (const item of list.slice(0, perCode)) lines.push(`    ${printable(item.path)}: ${printable(item.message)}`);
    if (list.length > perCode) lines.push(`    … and ${list.length - perCode} more`);
  }
  return lines;
}

export function formatMilliseconds(ms: number): string {
  if (ms < 1000) return `${ms < 10 ? ms.toFixed(1) : Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(2)} s`;
}

const plural = (n: number, one: string, many = `${one}s`) => `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;

function categoryLines(report: Report, verb: string): string[] {
  const row = (name: string, count: number, bytes?: number) =>
    `  ${name.padEnd(14)}${verb} ${count.toLocaleString('en-US')}${bytes === undefined ? '' : ` (${prettyBytes(bytes)})`}`;
  return [
    ...CATEGORIES.map((c) => row(KINDS[c].label, report[c].deleted.length, KINDS[c].sized ? (report[c] as { deletedBytes: number }).deletedBytes : undefined)),
    `  ${'total'.padEnd(14)}${verb} ${prettyBytes(deletedBytes(report))}`,
    ...keptForAgeLines(report),
  ];
}

/** Candidates that minAge saved: worth seeing, since a second run later will take them. */
function keptForAgeLines(report: Report): string[] {
  const { blobs, manifests, uploads } = report;
  if (blobs.keptForAge.length + manifests.keptForAge.length + uploads.keptForAge.length === 0) return [];
  const bytes = blobs.keptForAge.reduce((n, b) => n + b.size, 0) + uploads.keptForAge.reduce((n, u) => n + u.size, 0);
  const what = [plural(manifests.keptForAge.length, 'manifest'), plural(blobs.keptForAge.length, 'blob'), plural(uploads.keptForAge.length, 'upload')];
  return [`  ${'kept for age'.padEnd(14)}${what.join(', ')} (${prettyBytes(bytes)}): unreferenced but younger than the minimum age`];
}

function topRepositoryLines(report: Report): string[] {
  const { repositories, unattributedBytes } = attributeByRepository(report);
  if (repositories.length === 0) return [];
  const shown = repositories.slice(0, TOP_REPOSITORIES);
  const width = Math.max(...shown.map((r) => r.repository.length), 'unattributed'.length);
  const lines = [`most freed by repository (top ${Math.min(TOP_REPOSITORIES, repositories.length)} of ${repositories.length}; a shared blob counts in each):`];
  for (const r of shown) {
    const what = [...(r.tags > 0 ? [plural(r.tags, 'tag')] : []), plural(r.manifests, 'manifest'), plural(r.blobs, 'blob'), plural(r.uploads, 'upload')].join(', ');
    lines.push(`  ${r.repository.padEnd(width)}  ${prettyBytes(r.bytes).padStart(9)}  ${what}`);
  }
  if (unattributedBytes > 0) lines.push(`  ${'unattributed'.padEnd(width)}  ${prettyBytes(unattributedBytes).padStart(9)}  blobs no deleted manifest or layer link names`);
  return lines;
}

/** Lines are kept under this width so the summary reads well in a terminal or a mail. */
const WIDTH = 100;

function timeLines(report: Report): string[] {
  const phases = Object.entries(report.durations).filter((entry): entry is [string, number] => entry[1] !== undefined);
  const total = phases.reduce((n, [, ms]) => n + ms, 0);
  const indent = ' '.repeat(16);
  const lines = [`  ${'time'.padEnd(14)}${formatMilliseconds(total)}:`];
  for (const [i, [phase, ms]] of phases.entries()) {
    const item = `${phase} ${formatMilliseconds(ms)}${i < phases.length - 1 ? ',' : ''}`;
    if (lines.at(-1)!.length + 1 + item.length > WIDTH) lines.push(indent + item);
    else lines[lines.length - 1] += ` ${item}`;
  }
  return lines;
}

/** A run's report as text, as the CLI prints it: counts, deletions, timings, the repositories that free the most, warnings and errors. */
export function formatReport(report: Report, context: FormatContext = {}): string {
  const verb = report.dryRun ? 'would delete' : 'deleted';
  const lines = [
    `registry-gc ${report.dryRun ? 'dry run' : 'run'} of ${report.root}${report.deleteUntagged ? ' (deleting untagged manifests)' : ''}`,
  ];
  if (context.source) lines.push(`  ${'root from'.padEnd(14)}${context.source}`);
  lines.push(
    `  ${'scanned'.padEnd(14)}${plural(report.repositories.total, 'repository', 'repositories')}, ${plural(report.tags.total, 'tag')}, ` +
      `${plural(report.manifests.total, 'manifest')}, ${plural(report.blobs.total, 'blob')}`,
    `  ${'kept'.padEnd(14)}${plural(report.blobs.marked, 'referenced digest')}`,
    ...categoryLines(report, verb),
    ...timeLines(report),
    ...tagLines(report),
    ...topRepositoryLines(report),
    ...formatProblems('warnings', report.warnings),
    ...formatProblems('errors', report.errors),
  );
  return lines.join('\n');
}
