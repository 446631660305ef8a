/** The human summaries of a purge and of a restore, in the style of report.ts. */
import type { PurgeReport, RestoreReport } from '../trash/verbs.js';
import { formatProblems } from './report.js';

const count = (n: number) => n.toLocaleString('en-US');

/** The human summary of `registry-gc purge`: the runs freed and kept, and their entries. */
export function formatPurgeReport(report: PurgeReport): string {
  const entries = report.purged.reduce((n, r) => n + r.entries, 0);
  const lines = [`registry-gc purge of ${report.trash}`];
  if (report.purged.length === 0 && report.kept.length === 0) lines.push('  the trash is empty');
  for (const run of report.purged) {
    const state = run.freed ? 'freed' : 'partly freed';
    lines.push(`  ${run.run}  ${state}: ${count(run.entries)} entries${run.complete ? '' : ' (a run that did not finish its moves)'}`);
  }
  if (report.purged.length > 0) lines.push(`  ${'total'.padEnd(14)}${count(report.purged.length)} runs, ${count(entries)} entries`);
  if (report.kept.length > 0) lines.push(`  ${'kept'.padEnd(14)}${report.kept.join(', ')} (younger than --older-than)`);
  lines.push(...formatProblems('warnings', report.warnings), ...formatProblems('errors', report.errors));
  return lines.join('\n');
}

/** The human summary of `registry-gc restore`: what was put back, what was in the way, what a purge had freed. */
export function formatRestoreReport(report: RestoreReport): string {
  const lines = [
    `registry-gc restore of run ${report.run} into ${report.root}`,
    `  ${'restored'.padEnd(14)}${count(report.restored)} entries, ${count(report.foldersRecreated)} emptied folders made again`,
  ];
  if (report.alreadyInPlace > 0) lines.push(`  ${'in place'.padEnd(14)}${count(report.alreadyInPlace)} (put back before, or never moved)`);
  if (report.notInTrash > 0) lines.push(`  ${'freed'.padEnd(14)}${count(report.notInTrash)} entries a purge freed: they cannot come back`);
  if (report.deletedInPlace > 0) lines.push(`  ${'deleted'.padEnd(14)}${count(report.deletedInPlace)} items the run deleted in place (another file system): they cannot come back`);
  lines.push(
    report.finished ? '  the run is gone from the trash' : '  the run stays in the trash: see below, then run restore again',
    ...formatProblems('refused (something is there now)', report.refused, 20),
    ...formatProblems('warnings', report.warnings),
    ...formatProblems('errors', report.errors),
  );
  return lines.join('\n');
}
