/**
 * The human summary of a report: counts and bytes per category, then the
 * warnings grouped by code. Plain text, stable order.
 */
import prettyBytes from 'pretty-bytes';
import type { Problem } from './errors.js';
import type { Report } from './report.js';

function groupByCode(items: readonly Problem[]): Map<string, Problem[]> {
  const groups = new Map<string, Problem[]>();
  for (const item of items) {
    const list = groups.get(item.code);
    if (list) list.push(item);
    else groups.set(item.code, [item]);
  }
  return new Map([...groups].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

export function formatProblems(title: string, items: readonly Problem[], perCode = 3): string[] {
  if (items.length === 0) return [];
  const lines = [`${title} (${items.length}):`];
  for (const [code, list] of groupByCode(items)) {
    lines.push(`  ${code} (${list.length})`);
    for (const item of list.slice(0, perCode)) lines.push(`    ${item.path}: ${item.message}`);
    if (list.length > perCode) lines.push(`    … and ${list.length - perCode} more`);
  }
  return lines;
}

export function formatReport(report: Report): string {
  const verb = report.dryRun ? 'would delete' : 'deleted';
  const ms = (n: number | undefined) => (n === undefined ? '-' : `${(n / 1000).toFixed(2)}s`);
  const lines = [
    `registry-gc ${report.dryRun ? 'dry run' : 'run'} of ${report.root}${report.deleteUntagged ? ' (deleting untagged manifests)' : ''}`,
    `  scanned     ${report.repositories.total} repositories, ${report.tags.total} tags, ${report.manifests.total} manifests, ${report.blobs.total} blobs`,
    `  kept        ${report.blobs.marked} referenced digests`,
    `  manifests   ${verb} ${report.manifests.deleted.length}`,
    `  blobs       ${verb} ${report.blobs.deleted.length} (${prettyBytes(report.blobs.deletedBytes)})`,
    `  total       ${verb} ${prettyBytes(report.blobs.deletedBytes)}`,
    `  time        ${Object.entries(report.durations).map(([phase, t]) => `${phase} ${ms(t)}`).join(', ')}`,
  ];
  lines.push(...formatProblems('warnings', report.warnings));
  lines.push(...formatProblems('errors', report.errors));
  if (!report.dryRun && (report.blobs.deleted.length > 0 || report.manifests.deleted.length > 0)) {
    lines.push(
      'next: restart the registry before it serves pushes again: its blob-descriptor cache may still',
      '      claim deleted blobs exist (flush Redis too if the config uses cache.blobdescriptor: redis).',
    );
  }
  return lines.join('\n');
}
