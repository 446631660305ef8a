/**
 * What every command of the CLI shares: the flags and the run options they
 * make, the progress line, and how a result or a failure is written (stdout,
 * stderr and the --output file). One place, so that the one-step run and the
 * `plan` and `apply` subcommands read flags and report the same way.
 */
import { inFlagTerms } from './mistakes.js';
import { retentionOfFlags } from './retention-flags.js';
import { formatReport } from '../text/report.js';
import fs from 'node:fs';
import type { parseArgs } from 'node:util';
import { resolveTarget, type RegistryConfig, type Target } from '../config/config.js';
import { RegistryGcError } from '../report/errors.js';
import { formatMilliseconds, formatProblems, printable } from '../text/report.js';
import { nextSteps } from '../text/next-steps.js';
import { writeJsonText } from '../text/json-text.js';
import type { CollectOptions, ProgressEvent } from '../collect/options.js';
import { createProgressLine, noProgress, type ProgressLine } from '../text/progress.js';
import type { Report } from '../report/report.js';

export interface Io {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** stderr is a terminal: draw the progress line there. @default false */
  stderrIsTTY?: boolean;
  /** Width of that terminal. */
  stderrColumns?: () => number | undefined;
  /** For the registry's REGISTRY_* overrides when ROOT is a config. @default process.env */
  env?: Readonly<Record<string, string | undefined>>;
  /** Against which a relative rootdirectory resolves. @default process.cwd() */
  cwd?: string;
}

export const OPTIONS = {
  'dry-run': { type: 'boolean', short: 'd' },
  'delete-untagged': { type: 'boolean', short: 'm' },
  'upload-age': { type: 'string' },
  'keep-uploads': { type: 'boolean' },
  'prune-layer-links': { type: 'boolean' },
  'remove-empty-repositories': { type: 'boolean' },
  'min-age': { type: 'string' },
  strict: { type: 'boolean' },
  json: { type: 'boolean' },
  output: { type: 'string', short: 'o' },
  quiet: { type: 'boolean', short: 'q' },
  concurrency: { type: 'string' },
  'keep-trash': { type: 'boolean' },
  'older-than': { type: 'string' },
  'full-recheck': { type: 'boolean' },
  'keep-last': { type: 'string' },
  'keep-tags': { type: 'string', multiple: true },
  'delete-tags': { type: 'string', multiple: true },
  repository: { type: 'string', multiple: true },
  policy: { type: 'string' },
  'delete-orphaned-tags': { type: 'boolean' },
  'protect-digest': { type: 'string', multiple: true },
  'no-keep-latest': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean' },
} as const;

export type Values = ReturnType<typeof parseArgs<{ args: string[]; allowPositionals: true; options: typeof OPTIONS }>>['values'];

/** Prints `value` as the CLI's JSON on stdout, piece by piece (text/json-text.ts). */
export function printJson(io: Io, value: unknown): void {
  writeJsonText(value, (text) => io.stdout(text));
}

/** Writes `value` as the CLI's JSON to an open file, piece by piece, each piece whole. */
export function writeJsonTo(fd: number, value: unknown): void {
  writeJsonText(value, (text) => {
    const bytes = Buffer.from(text);
    for (let offset = 0; offset < bytes.length; ) offset += fs.writeSync(fd, bytes, offset);
  });
}

/** ROOT or CONFIG as given on the command line, resolved against the Io's environment and directory. */
export function resolveArgument(argument: string, io: Io): Target {
  return resolveTarget(argument, { env: io.env ?? process.env, cwd: io.cwd ?? process.cwd() });
}

/** ROOT or CONFIG resolved, or the exit code of its failure, written as every command writes one. */
export function targetOrExit(argument: string, io: Io, json: boolean): Target | number {
  try {
    return resolveArgument(argument, io);
  } catch (error) {
    return reportFailure(error, json, io, undefined, undefined);
  }
}

export function openOutput(file: string | undefined, io: Io): number | undefined | false {
  if (file === undefined) return undefined;
  try {
    return fs.openSync(file, 'w');
  } catch (error) {
    io.stderr(`registry-gc: cannot write --output ${file}: ${(error as Error).message}\n`);
    return false;
  }
}

export function progressLine(values: Values, io: Io): ProgressLine {
  return io.stderrIsTTY && !values.quiet ? createProgressLine({ write: io.stderr, get columns() { return io.stderrColumns?.(); } }) : noProgress;
}

/**
 * Progress for the line on a terminal, and the one line that says, at the
 * moment it is true, that the registry may be restarted (always printed).
 */
export function onProgressOf(progress: ProgressLine, io: Io): (event: ProgressEvent) => void {
  return (event) => {
    if (event.offlineMs !== undefined) {
      progress.clear();
      // What happened, not what was asked: a run that moved nothing keeps no trash.
      const then = event.trashKept ? 'the trash is kept (registry-gc purge frees it, registry-gc restore puts it back)' : event.total ? 'freeing the trash goes on' : 'done';
      io.stderr(`registry-gc: everything collected is out of the registry after ${formatMilliseconds(event.offlineMs)}: it may be restarted now; ${then}\n`);
    }
    progress.update(event);
  };
}

/** The options of a run (or of a plan's dry run) from the flags and the config. Throws E_INVALID_OPTION for a retention flag that is wrong. */
export function runOptions(values: Values, target: Target, concurrency: number | undefined, progress: ProgressLine, io: Io, signal: AbortSignal | undefined): CollectOptions {
  return {
    dryRun: values['dry-run'] ?? false,
    deleteUntagged: values['delete-untagged'] ?? false,
    // The flag wins over the config's uploadpurging age; with neither, the library's default (168h).
    uploadAge: values['upload-age'] ?? target.config?.uploadAge,
    keepUploads: values['keep-uploads'],
    pruneLayerLinks: values['prune-layer-links'],
    removeEmptyRepositories: values['remove-empty-repositories'],
    minAge: values['min-age'],
    strict: values.strict,
    concurrency,
    signal,
    trash: values['keep-trash'] ? 'keep' : undefined,
    onProgress: onProgressOf(progress, io),
    retention: retentionOfFlags(values, io.cwd ?? process.cwd()),
    ...(target.options.s3 === undefined ? {} : { s3: target.options.s3 }),
  };
}

function writeOutput(output: number, value: unknown, io: Io): boolean {
  try {
    writeJsonTo(output, value);
    return true;
  } catch (error) {
    io.stderr(`registry-gc: cannot write the --output file: ${(error as Error).message}\n`);
    return false;
  }
}

/**
 * Prints the result of a finished run (`value`: its report, or an apply's
 * report around it) and returns the exit code: 1 when a deletion failed or
 * the --output file could not be written.
 */
export function printResult(value: unknown, report: Report, config: RegistryConfig | undefined, human: () => string, json: boolean, io: Io, output: number | undefined): number {
  // The terminal first: if writing the file fails after a real run, the operator still sees what was deleted.
  const steps = nextSteps(report, config);
  if (json) {
    printJson(io, value);
    // stdout stays exactly one JSON object; the advice still reaches the operator.
    if (steps.length > 0) io.stderr(`${steps.join('\n')}\n`);
  } else {
    io.stdout([human(), ...steps].join('\n') + '\n');
  }
  if (output !== undefined && !writeOutput(output, value, io)) return 1;
  return report.errors.length > 0 ? 1 : 0;
}

export function reportFailure(error: unknown, json: boolean, io: Io, output: number | undefined, target: Target | undefined): number {
  const emit = (value: unknown) => {
    if (json) printJson(io, value);
    if (output !== undefined) writeOutput(output, value, io);
  };
  if (!(error instanceof RegistryGcError)) {
    io.stderr(`registry-gc: unexpected failure: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    emit({ error: { code: 'E_UNEXPECTED', message: String(error), problems: [] } });
    return 1;
  }
  const report: Report | undefined = error.report;
  // `report` is always there (null when nothing ran far enough to have one): the shape the operator guide shows.
  emit({ error: error.toJSON(), report: report ?? null });
  // An interrupted run (or one stopped later) prints what it did: the report, as a finished run would.
  if (report !== undefined && !json) io.stdout(`${formatReport(report)}\n`);
  const usage = error.code === 'E_INVALID_OPTION' || error.code === 'E_NOT_A_REGISTRY';
  const first = printable(error.message.split('\n')[0] ?? '');
  const headline = usage ? `${inFlagTerms(first)}\nsee registry-gc --help` : first;
  // An interrupted real run may have deleted some things already: the advice applies then too.
  const steps = report ? nextSteps(report, target?.config) : [];
  io.stderr([`registry-gc: ${headline}`, ...formatProblems('problems', error.problems, 20), ...steps].join('\n') + '\n');
  if (usage || error.code === 'E_INVALID_PLAN') return 2;
  return 1;
}
