/**
 * The human summaries of a plan and of an apply, in the style of format.ts:
 * per category the count (and bytes where the category has them), then
 * what was skipped, grouped by reason, with the first few items of each.
 */
import { formatDuration } from '../registry/duration.js';
import prettyBytes from 'pretty-bytes';
import { formatProblems, printable } from './report.js';
import { PLAN_CATEGORIES, type ApplyReport, type Plan, type PlanCategory, type PlanItems, type PlannedItem, type SkippedItem } from '../plan/plan.js';
import { KINDS } from '../report/kinds.js';
import { compareStrings } from '../report/order.js';

/** One item, as a person names it: `blob sha256:…`, `manifest team/app@sha256:…`, `upload team/app u1 (startedat …)`. */
function describeItem(category: PlanCategory, item: PlannedItem): string {
  const i = item as Partial<Record<'repository' | 'digest' | 'tag' | 'id' | 'startedAt', string>>;
  let name = i.repository ?? '';
  if (i.tag !== undefined) name += `:${printable(i.tag)}`;
  if (i.digest !== undefined) name += name === '' ? i.digest : `@${i.digest}`;
  if (i.id !== undefined) name += ` ${printable(i.id)} (startedat ${printable(i.startedAt ?? '')})`;
  return `${KINDS[category].one} ${name}`;
}

const bytesOf = (items: readonly PlannedItem[]) => items.reduce((n, item) => n + ('size' in item ? item.size : 0), 0);

/** `3 (2 blob-deleted, 1 blob-missing)`, with bytes for blobs and uploads. */
function countLine(category: PlanCategory, items: readonly PlannedItem[]): string {
  const reasons = new Map<string, number>();
  for (const item of items) reasons.set(item.reason, (reasons.get(item.reason) ?? 0) + 1);
  const why = [...reasons].sort(([a], [b]) => compareStrings(a, b)).map(([reason, n]) => `${n} ${reason}`);
  const bytes = KINDS[category].sized ? `, ${prettyBytes(bytesOf(items))}` : '';
  const detail = items.length > 0 ? ` (${why.join(', ')}${bytes})` : '';
  return `  ${KINDS[category].label.padEnd(14)}${items.length.toLocaleString('en-US')}${detail}`;
}

/** A plan as text for its reviewer: counts per category, fingerprint, warnings, and the command that applies it (`file`: where it was written). */
export function formatPlan(plan: Plan, file: string): string {
  const o = plan.options;
  const s = plan.scanned;
  const flags = [
    o.deleteUntagged ? '-m' : '',
    o.pruneLayerLinks ? '--prune-layer-links' : '',
    o.removeEmptyRepositories ? '--remove-empty-repositories' : '',
    o.keepUploads ? '--keep-uploads' : `upload age ${formatDuration(o.uploadAge)}`,
    o.minAge > 0 ? `min age ${formatDuration(o.minAge)}` : '',
  ].filter(Boolean);
  const lines = [
    `registry-gc plan of ${plan.root}, written to ${file}`,
    `  ${'made'.padEnd(14)}${plan.createdAt} by registry-gc ${plan.registryGcVersion} (${flags.join(', ')})`,
    `  ${'scanned'.padEnd(14)}${s.repositories} repositories, ${s.tags} tags, ${s.manifests} manifests, ${s.blobs} blobs`,
    ...PLAN_CATEGORIES.map((c) => countLine(c, plan.items[c])),
    `  ${'total'.padEnd(14)}${plan.totals.items.toLocaleString('en-US')} items, ${prettyBytes(plan.totals.bytes)}`,
    `  ${'fingerprint'.padEnd(14)}sha256:${plan.fingerprint.sha256}`,
    ...formatProblems('warnings', plan.warnings),
  ];
  lines.push(
    plan.totals.items > 0
      ? `next: review ${file}; then, with the registry stopped: registry-gc apply ${file}`
      : 'nothing to delete.',
  );
  return lines.join('\n');
}

function skippedLines(skipped: readonly SkippedItem[], perReason = 5): string[] {
  if (skipped.length === 0) return [];
  const groups = new Map<string, SkippedItem[]>();
  for (const s of skipped) groups.set(s.reason, [...(groups.get(s.reason) ?? []), s]);
  const lines = [`skipped (${skipped.length}):`];
  for (const [reason, list] of [...groups].sort(([a], [b]) => compareStrings(a, b))) {
    lines.push(`  ${reason} (${list.length})`);
    for (const s of list.slice(0, perReason)) lines.push(`    ${describeItem(s.category, s.item)}: ${printable(s.message)}`);
    if (list.length > perReason) lines.push(`    … and ${list.length - perReason} more`);
  }
  return lines;
}

function notInPlanLines(items: PlanItems): string[] {
  const parts = PLAN_CATEGORIES.filter((c) => items[c].length > 0).map((c) => `${items[c].length} ${items[c].length === 1 ? KINDS[c].one : KINDS[c].label}`);
  if (parts.length === 0) return [];
  return [`not in the plan, left alone: ${parts.join(', ')}; make a new plan to review them`];
}

function recheckLine({ mode, why, rescanned }: ApplyReport['recheck']): string {
  if (mode === 'full') return `full: a fresh mark of the whole tree${why === undefined ? '' : ` (${why})`}`;
  const n = rescanned.length;
  if (n === 0) return 'incremental: nothing written since the plan';
  const shown = rescanned.slice(0, 3).join(', ') + (n > 3 ? `, … and ${n - 3} more` : '');
  return `incremental: ${n} ${n === 1 ? 'repository' : 'repositories'} written since the plan, scanned again (${shown})`;
}

/** An apply report as text: per category, what was deleted of what was planned, what was skipped and why, warnings and errors (`file`: the plan). */
export function formatApplyReport(result: ApplyReport, file: string): string {
  const { report } = result;
  const verb = result.dryRun ? 'would delete' : 'deleted';
  const planned = (c: PlanCategory) => result.deleted[c].length + result.skipped.filter((s) => s.category === c).length;
  const lines = [
    `registry-gc ${result.dryRun ? 'dry run of applying' : 'apply of'} ${file} to ${result.root}`,
    `  ${'plan'.padEnd(14)}made ${result.plan.createdAt}, ${result.plan.items.toLocaleString('en-US')} items, ${prettyBytes(result.plan.bytes)}, sha256:${result.plan.sha256.slice(0, 16)}…`,
    `  ${'re-check'.padEnd(14)}${recheckLine(result.recheck)}`,
    ...PLAN_CATEGORIES.map((c) => {
      const bytes = KINDS[c].sized ? ` (${prettyBytes(bytesOf(result.deleted[c]))})` : '';
      return `  ${KINDS[c].label.padEnd(14)}${verb} ${result.deleted[c].length.toLocaleString('en-US')} of ${planned(c).toLocaleString('en-US')} planned${bytes}`;
    }),
    `  ${'total'.padEnd(14)}${verb} ${prettyBytes(result.deletedBytes)}`,
    ...skippedLines(result.skipped),
    ...notInPlanLines(result.notInPlan),
    ...formatProblems('warnings', report.warnings),
    ...formatProblems('errors', report.errors),
  ];
  return lines.join('\n');
}
