/**
 * `registry-gc purge ROOT|CONFIG [--older-than DURATION]` and
 * `registry-gc restore ROOT|CONFIG [RUN]`: the trash's subcommands, over
 * purgeTrash and restoreTrash (trash/verbs.ts). Printing only; failures are
 * written as for every command (common.ts). Exit codes: 0 done, 1 a removal
 * or a move failed or (restore) an entry was refused, 2 usage.
 */
import { formatPurgeReport, formatRestoreReport } from '../text/trash.js';
import { purgeTrash, restoreTrash, type PurgeReport, type RestoreReport } from '../trash/verbs.js';
import { reportFailure, targetOrExit, printJson, type Io, type Values } from './common.js';
import { usageError } from './mistakes.js';

/** The one shape of both subcommands: ROOT|CONFIG (and what follows), the verb, its report, its exit code. */
async function trashCommand<R>(
  name: string,
  args: string[],
  most: number,
  values: Values,
  io: Io,
  verb: (root: string) => Promise<R>,
  human: (report: R) => string,
  succeeded: (report: R) => boolean,
): Promise<number> {
  const json = values.json ?? false;
  if (args.length < 1 || args.length > most) {
    return usageError(io, `${name}: expected ROOT or CONFIG${most > 1 ? ' (and a RUN)' : ''}, got ${args.length} arguments`);
  }
  const where = targetOrExit(args[0]!, io, json);
  if (typeof where === 'number') return where;
  if (where.options.s3 !== undefined) return noTrashOnS3(name, io);
  let report: R;
  try {
    report = await verb(where.root);
  } catch (error) {
    return reportFailure(error, json, io, undefined, where);
  }
  if (json) printJson(io, report);
  else io.stdout(`${human(report)}\n`);
  return succeeded(report) ? 0 : 1;
}

/**
 * S3 has no rename, so runs there delete in place and leave no trash
 * (docs/s3.md): purge has nothing to free (exit 0, said), restore nothing to
 * put back (exit 2).
 */
function noTrashOnS3(name: string, io: Io): number {
  const versioning = 'to keep deleted objects restorable on S3, enable bucket versioning (deleted objects stay as noncurrent versions) with a lifecycle rule that expires them';
  if (name === 'purge') {
    io.stderr(`registry-gc purge: a registry on S3 has no trash (runs there delete in place): nothing to free\n`);
    return 0;
  }
  io.stderr(`registry-gc ${name}: a registry on S3 has no trash to restore from (runs there delete in place); ${versioning}\nsee registry-gc --help\n`);
  return 2;
}

export function purgeCommand(args: string[], values: Values, io: Io, signal?: AbortSignal): Promise<number> {
  const purge = (root: string) => purgeTrash(root, { olderThan: values['older-than'], signal });
  return trashCommand<PurgeReport>('purge', args, 1, values, io, purge, formatPurgeReport, (r) => r.errors.length === 0);
}

export function restoreCommand(args: string[], values: Values, io: Io, signal?: AbortSignal): Promise<number> {
  const restore = (root: string) => restoreTrash(root, { run: args[1], signal });
  return trashCommand<RestoreReport>('restore', args, 2, values, io, restore, formatRestoreReport, (r) => r.finished);
}
