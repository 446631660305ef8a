/**
 * `registry-gc purge ROOT|CONFIG [--older-than DURATION]` and
 * `registry-gc restore ROOT|CONFIG [RUN]`: the trash's subcommands, over
 * purgeTrash and restoreTrash (trash/verbs.ts). Printing only; failures are
 * written as for every command (common.ts). Exit codes: 0 done, 1 a removal
 * or a move failed or (restore) an entry was refused, 2 usage.
 */
import type { Target } from '../config/config.js';
import { formatPurgeReport, formatRestoreReport } from '../text/trash.js';
import { purgeTrash, restoreTrash, type PurgeReport, type RestoreReport } from '../trash/verbs.js';
import { reportFailure, resolveArgument, toJson, type Io, type Values } from './common.js';
import { USAGE } from './usage.js';

function target(name: string, args: string[], most: number, io: Io, json: boolean): Target | number {
  if (args.length < 1 || args.length > most) {
    io.stderr(`registry-gc ${name}: expected ROOT or CONFIG${most > 1 ? ' (and a RUN)' : ''}, got ${args.length} arguments\n\n${USAGE}\n`);
    return 2;
  }
  try {
    return resolveArgument(args[0]!, io);
  } catch (error) {
    return reportFailure(error, json, io, undefined, undefined);
  }
}

export async function purgeCommand(args: string[], values: Values, io: Io, signal?: AbortSignal): Promise<number> {
  const json = values.json ?? false;
  const where = target('purge', args, 1, io, json);
  if (typeof where === 'number') return where;
  let report: PurgeReport;
  try {
    report = await purgeTrash(where.root, { olderThan: values['older-than'], signal });
  } catch (error) {
    return reportFailure(error, json, io, undefined, where);
  }
  io.stdout(json ? toJson(report) : `${formatPurgeReport(report)}\n`);
  return report.errors.length > 0 ? 1 : 0;
}

export async function restoreCommand(args: string[], values: Values, io: Io, signal?: AbortSignal): Promise<number> {
  const json = values.json ?? false;
  const where = target('restore', args, 2, io, json);
  if (typeof where === 'number') return where;
  let report: RestoreReport;
  try {
    report = await restoreTrash(where.root, { run: args[1], signal });
  } catch (error) {
    return reportFailure(error, json, io, undefined, where);
  }
  io.stdout(json ? toJson(report) : `${formatRestoreReport(report)}\n`);
  return report.finished ? 0 : 1;
}
