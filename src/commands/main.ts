/**
 * The command line's main(): argument parsing and printing only, over the public API.
 * ROOT may be the registry's config file (config/config.ts). The report goes to
 * stdout (human, or one JSON object with --json), optionally also as JSON to
 * --output FILE; the progress line and failures go to stderr.
 * Subcommands `plan` and `apply` (plan.ts) review before deleting; the
 * plain `registry-gc [options] ROOT` stays the one-step path. What the
 * commands share (flags, output, failures) is in common.ts.
 * Exit codes: 0 success, 1 the run failed (nothing deleted when marking
 * failed) or some deletion failed, 2 usage, config or plan error, 130/143
 * interrupted.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { OPTIONS, openOutput, printResult, progressLine, reportFailure, resolveArgument, runOptions, type Io, type Values } from './common.js';
import type { Target } from '../config/config.js';
import { formatReport } from '../text/report.js';
import { collectGarbage } from '../collect/collect-garbage.js';
import type { Report } from '../report/report.js';
import { packageVersion } from '../version.js';
import { USAGE } from './usage.js';
import { parseErrorMessage, positionalsMessage, usageError } from './mistakes.js';

export type { Io } from './common.js';

export const processIo: Io = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  stderrIsTTY: process.stderr.isTTY === true,
  stderrColumns: () => process.stderr.columns,
};

export async function main(argv: string[], io: Io = processIo, signal?: AbortSignal): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, options: OPTIONS });
  } catch (error) {
    return usageError(io, parseErrorMessage(error as Error));
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.stdout(`${USAGE}\n`);
    return 0;
  }
  if (values.version) {
    io.stdout(`registry-gc ${packageVersion()}\n`);
    return 0;
  }
  let concurrency: number | undefined;
  if (values.concurrency !== undefined) {
    concurrency = Number(values.concurrency);
    if (!Number.isInteger(concurrency) || concurrency < 1) {
      return usageError(io, `--concurrency must be a positive integer, got "${values.concurrency}"`);
    }
  }
  const [command, ...rest] = positionals;
  // Loaded only for these commands: the one-step run stays quick to start.
  if (command === 'plan') return (await import('./plan.js')).planCommand(rest, values, concurrency, io, signal);
  if (command === 'apply') return (await import('./plan.js')).applyCommand(rest, values, concurrency, io, signal);
  if (command === 'purge') return (await import('./trash.js')).purgeCommand(rest, values, io, signal);
  if (command === 'restore') return (await import('./trash.js')).restoreCommand(rest, values, io, signal);
  if (positionals.length !== 1) return usageError(io, positionalsMessage(positionals, fs.existsSync));
  // Opened before anything else, so a bad path fails before anything is deleted, not after.
  const output = openOutput(values.output, io);
  if (output === false) return 2;
  try {
    return await collect(positionals[0]!, values, concurrency, io, output, signal);
  } finally {
    if (output !== undefined) fs.closeSync(output);
  }
}

async function collect(argument: string, values: Values, concurrency: number | undefined, io: Io, output: number | undefined, signal?: AbortSignal): Promise<number> {
  const json = values.json ?? false;
  let target: Target;
  try {
    target = resolveArgument(argument, io);
  } catch (error) {
    return reportFailure(error, json, io, output, undefined);
  }

  const progress = progressLine(values, io);
  let report: Report;
  try {
    report = await collectGarbage(target.root, runOptions(values, target, concurrency, progress, io, signal));
  } catch (error) {
    progress.clear();
    return reportFailure(error, json, io, output, target);
  }
  progress.clear();
  const human = () => formatReport(report, { source: target.config ? describeSource(target) : undefined });
  return printResult(report, report, target.config, human, json, io, output);
}

function describeSource(target: Target): string {
  const config = target.config!;
  const relative = path.isAbsolute(config.rootDirectory) ? '' : ` "${config.rootDirectory}", relative to the current directory`;
  const from = config.rootSource === 'default' ? 'the default' : config.rootSource;
  return `${config.file} (${from}${relative})`;
}
