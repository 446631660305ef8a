#!/usr/bin/env node
/**
 * The command line: argument parsing and printing only, over the public API.
 * ROOT may be the registry's config file (config.ts). The report goes to
 * stdout (human, or one JSON object with --json), optionally also as JSON to
 * --output FILE; the progress line and failures go to stderr.
 * Subcommands `plan` and `apply` (plan.ts) review before deleting; the
 * plain `registry-gc [options] ROOT` stays the one-step path.
 * Exit codes: 0 success, 1 the run failed (nothing deleted when marking
 * failed) or some deletion failed, 2 usage, config or plan error, 130/143
 * interrupted.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { resolveTarget, type Target } from './config.js';
import { RegistryGcError } from './errors.js';
import { formatProblems, formatReport, printable } from './format.js';
import { collectGarbage } from './gc.js';
import { nextSteps } from './next-steps.js';
import type { CollectOptions } from './options.js';
import { applyPlan, makePlan, type ApplyReport, type Plan } from './plan.js';
import { formatApplyReport, formatPlan } from './plan-format.js';
import { createProgressLine, noProgress, type ProgressLine } from './progress.js';
import type { Report } from './report.js';
import { packageVersion, USAGE } from './usage.js';

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

const processIo: Io = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  stderrIsTTY: process.stderr.isTTY === true,
  stderrColumns: () => process.stderr.columns,
};

const OPTIONS = {
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
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean' },
} as const;

const toJson = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;

export async function main(argv: string[], io: Io = processIo, signal?: AbortSignal): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, options: OPTIONS });
  } catch (error) {
    io.stderr(`registry-gc: ${(error as Error).message}\n\n${USAGE}\n`);
    return 2;
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
      io.stderr(`registry-gc: --concurrency must be a positive integer, got "${values.concurrency}"\n`);
      return 2;
    }
  }
  const [command, ...rest] = positionals;
  if (command === 'plan') return planCommand(rest, values, concurrency, io, signal);
  if (command === 'apply') return applyCommand(rest, values, concurrency, io, signal);
  if (positionals.length !== 1) {
    io.stderr(`registry-gc: expected exactly one ROOT or CONFIG, got ${positionals.length}\n\n${USAGE}\n`);
    return 2;
  }
  // Opened before anything else, so a bad path fails before anything is deleted, not after.
  const output = openOutput(values.output, io);
  if (output === false) return 2;
  try {
    return await collect(positionals[0]!, values, concurrency, io, output, signal);
  } finally {
    if (output !== undefined) fs.closeSync(output);
  }
}

type Values = ReturnType<typeof parseArgs<{ args: string[]; allowPositionals: true; options: typeof OPTIONS }>>['values'];

function openOutput(file: string | undefined, io: Io): number | undefined | false {
  if (file === undefined) return undefined;
  try {
    return fs.openSync(file, 'w');
  } catch (error) {
    io.stderr(`registry-gc: cannot write --output ${file}: ${(error as Error).message}\n`);
    return false;
  }
}

function progressLine(values: Values, io: Io): ProgressLine {
  return io.stderrIsTTY && !values.quiet ? createProgressLine({ write: io.stderr, get columns() { return io.stderrColumns?.(); } }) : noProgress;
}

/** The options of a run (or of a plan's dry run) from the flags and the config. */
function runOptions(values: Values, target: Target, concurrency: number | undefined, progress: ProgressLine, signal: AbortSignal | undefined): CollectOptions {
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
    onProgress: (event) => progress.update(event),
  };
}

async function collect(argument: string, values: Values, concurrency: number | undefined, io: Io, output: number | undefined, signal?: AbortSignal): Promise<number> {
  const json = values.json ?? false;
  let target: Target;
  try {
    target = resolveTarget(argument, { env: io.env ?? process.env, cwd: io.cwd ?? process.cwd() });
  } catch (error) {
    return reportFailure(error, json, io, output, undefined);
  }

  const progress = progressLine(values, io);
  const options = runOptions(values, target, concurrency, progress, signal);

  let report: Report;
  try {
    report = await collectGarbage(target.root, options);
  } catch (error) {
    progress.clear();
    return reportFailure(error, json, io, output, target);
  }
  progress.clear();
  // The terminal first: if writing the file fails after a real run, the operator still sees what was deleted.
  const steps = nextSteps(report, target.config);
  if (json) {
    io.stdout(toJson(report));
    // stdout stays exactly one JSON object; the advice still reaches the operator.
    if (steps.length > 0) io.stderr(`${steps.join('\n')}\n`);
  } else {
    const source = target.config ? describeSource(target) : undefined;
    io.stdout([formatReport(report, { source }), ...steps].join('\n') + '\n');
  }
  if (output !== undefined && !writeOutput(output, report, io)) return 1;
  return report.errors.length > 0 ? 1 : 0;
}

function writeOutput(output: number, value: unknown, io: Io): boolean {
  try {
    fs.writeSync(output, toJson(value));
    return true;
  } catch (error) {
    io.stderr(`registry-gc: cannot write the --output file: ${(error as Error).message}\n`);
    return false;
  }
}

function describeSource(target: Target): string {
  const config = target.config!;
  const relative = path.isAbsolute(config.rootDirectory) ? '' : ` "${config.rootDirectory}", relative to the current directory`;
  const from = config.rootSource === 'default' ? 'the default' : config.rootSource;
  return `${config.file} (${from}${relative})`;
}

function reportFailure(error: unknown, json: boolean, io: Io, output: number | undefined, target: Target | undefined): number {
  const emit = (value: unknown) => {
    if (json) io.stdout(toJson(value));
    if (output !== undefined) writeOutput(output, value, io);
  };
  if (!(error instanceof RegistryGcError)) {
    io.stderr(`registry-gc: unexpected failure: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    emit({ error: { code: 'E_UNEXPECTED', message: String(error), problems: [] } });
    return 1;
  }
  const report: Report | undefined = error.report;
  emit({ error: error.toJSON(), report });
  const headline = printable(error.message.split('\n')[0] ?? '');
  // An interrupted real run may have deleted some things already: the advice applies then too.
  const steps = report ? nextSteps(report, target?.config) : [];
  io.stderr([`registry-gc: ${headline}`, ...formatProblems('problems', error.problems, 20), ...steps].join('\n') + '\n');
  if (error.code === 'E_INVALID_OPTION' || error.code === 'E_INVALID_PLAN') return 2;
  return 1;
}

/**
 * `registry-gc plan [options] ROOT|CONFIG -o FILE`: a dry run, written as a
 * plan. The plan goes to a temporary file next to FILE (opened before the
 * run, so a bad path fails first) and is renamed into place when complete:
 * a failed run never leaves a half-written or empty plan behind.
 */
async function planCommand(args: string[], values: Values, concurrency: number | undefined, io: Io, signal?: AbortSignal): Promise<number> {
  const json = values.json ?? false;
  if (args.length !== 1) {
    io.stderr(`registry-gc plan: expected exactly one ROOT or CONFIG, got ${args.length}\n\n${USAGE}\n`);
    return 2;
  }
  const file = values.output;
  if (file === undefined) {
    io.stderr(`registry-gc plan: -o FILE is required: the file to write the plan to\n\n${USAGE}\n`);
    return 2;
  }
  let target: Target;
  try {
    target = resolveTarget(args[0]!, { env: io.env ?? process.env, cwd: io.cwd ?? process.cwd() });
  } catch (error) {
    return reportFailure(error, json, io, undefined, undefined);
  }
  const temporary = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  let fd: number | undefined;
  try {
    fd = fs.openSync(temporary, 'wx');
  } catch (error) {
    io.stderr(`registry-gc plan: cannot write the plan to ${file}: ${(error as Error).message}\n`);
    return 2;
  }
  let complete = false;
  try {
    const progress = progressLine(values, io);
    let plan: Plan;
    try {
      // A plan is always a dry run: -d/--dry-run changes nothing here.
      const { dryRun: _always, ...options } = runOptions(values, target, concurrency, progress, signal);
      plan = await makePlan(target.root, options);
    } catch (error) {
      progress.clear();
      return reportFailure(error, json, io, undefined, target);
    }
    progress.clear();
    try {
      fs.writeSync(fd, toJson(plan));
      fs.fsyncSync(fd);
      fs.closeSync(fd);
      fd = undefined;
      fs.renameSync(temporary, file);
      complete = true;
    } catch (error) {
      io.stderr(`registry-gc plan: cannot write the plan to ${file}: ${(error as Error).message}\n`);
      return 1;
    }
    io.stdout(json ? toJson(plan) : `${formatPlan(plan, file)}\n`);
    return 0;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
    if (!complete) fs.rmSync(temporary, { force: true });
  }
}

/** Flags that decide what is garbage: apply takes them from the plan, never from the command line. */
const PLAN_DECIDES = ['delete-untagged', 'upload-age', 'keep-uploads', 'prune-layer-links', 'remove-empty-repositories', 'min-age'] as const;

/** `registry-gc apply PLAN [ROOT|CONFIG] [--dry-run] [--json] [-o FILE]`. */
async function applyCommand(args: string[], values: Values, concurrency: number | undefined, io: Io, signal?: AbortSignal): Promise<number> {
  const json = values.json ?? false;
  if (args.length < 1 || args.length > 2) {
    io.stderr(`registry-gc apply: expected a PLAN file (and optionally the ROOT or CONFIG it must be for), got ${args.length} arguments\n\n${USAGE}\n`);
    return 2;
  }
  const fixed = PLAN_DECIDES.filter((flag) => values[flag] !== undefined);
  if (fixed.length > 0) {
    io.stderr(`registry-gc apply: ${fixed.map((f) => `--${f}`).join(', ')}: apply runs with the options recorded in the plan; make a new plan to change them\n`);
    return 2;
  }
  const planFile = args[0]!;
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(planFile, 'utf8'));
  } catch (error) {
    const why = error instanceof SyntaxError ? `it is not JSON (${error.message})` : (error as Error).message;
    return reportFailure(new RegistryGcError('E_INVALID_PLAN', `cannot read the plan ${planFile}: ${why}`), json, io, undefined, undefined);
  }
  let target: Target | undefined;
  if (args[1] !== undefined) {
    try {
      target = resolveTarget(args[1], { env: io.env ?? process.env, cwd: io.cwd ?? process.cwd() });
    } catch (error) {
      return reportFailure(error, json, io, undefined, undefined);
    }
  }
  const output = openOutput(values.output, io);
  if (output === false) return 2;
  try {
    const progress = progressLine(values, io);
    let result: ApplyReport;
    try {
      result = await applyPlan(parsed, {
        dryRun: values['dry-run'] ?? false,
        root: target?.root,
        strict: values.strict,
        concurrency,
        signal,
        onProgress: (event) => progress.update(event),
      });
    } catch (error) {
      progress.clear();
      return reportFailure(error, json, io, output, target);
    }
    progress.clear();
    const steps = nextSteps(result.report, target?.config);
    if (json) {
      io.stdout(toJson(result));
      if (steps.length > 0) io.stderr(`${steps.join('\n')}\n`);
    } else {
      io.stdout([formatApplyReport(result, planFile), ...steps].join('\n') + '\n');
    }
    if (output !== undefined && !writeOutput(output, result, io)) return 1;
    return result.report.errors.length > 0 ? 1 : 0;
  } finally {
    if (output !== undefined) fs.closeSync(output);
  }
}

/** Runs when executed as a program (not when imported by tests). */
function isEntryPoint(): boolean {
  try {
    return process.argv[1] !== undefined && fs.realpathSync(process.argv[1]) === fileURLToPath(import.meta.url);
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  const controller = new AbortController();
  let exitCode: number | undefined;
  const onSignal = (code: number) => () => {
    exitCode ??= code;
    controller.abort();
  };
  process.once('SIGINT', onSignal(130));
  process.once('SIGTERM', onSignal(143));
  main(process.argv.slice(2), processIo, controller.signal).then((code) => {
    process.exitCode = exitCode ?? code;
  });
}
