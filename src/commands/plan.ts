/**
 * The `plan` and `apply` subcommands of the command line (plan.ts): review
 * what a run will delete, then delete only that. Argument checks and
 * printing only; the flags, output and failure reporting are those of every
 * command (common.ts).
 */
import fs from 'node:fs';
import path from 'node:path';
import { onProgressOf, openOutput, printResult, progressLine, reportFailure, runOptions, targetOrExit, printJson, writeJsonTo, type Io, type Values } from './common.js';
import { RegistryGcError } from '../report/errors.js';
import { applyPlan, makePlan, type ApplyReport, type Plan } from '../plan/plan.js';
import { formatApplyReport, formatPlan } from '../text/plan.js';
import { DECIDING_OPTIONS } from '../plan/options.js';
import { RETENTION_FLAGS } from './retention-flags.js';
import { usageError } from './mistakes.js';

/**
 * `registry-gc plan [options] ROOT|CONFIG -o FILE`: a dry run, written as a
 * plan. The plan goes to a temporary file next to FILE (opened before the
 * run, so a bad path fails first) and is renamed into place when complete:
 * a failed run never leaves a half-written or empty plan behind.
 */
export async function planCommand(args: string[], values: Values, concurrency: number | undefined, io: Io, signal?: AbortSignal): Promise<number> {
  const json = values.json ?? false;
  if (args.length !== 1) {
    return usageError(io, `plan: expected exactly one ROOT or CONFIG, got ${args.length}`);
  }
  const file = values.output;
  if (file === undefined) {
    return usageError(io, 'plan: -o FILE is required: the file to write the plan to');
  }
  const target = targetOrExit(args[0]!, io, json);
  if (typeof target === 'number') return target;
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
      const { dryRun: _always, trash: _none, ...options } = runOptions(values, target, concurrency, progress, io, signal);
      plan = await makePlan(target.root, options);
    } catch (error) {
      progress.clear();
      return reportFailure(error, json, io, undefined, target);
    }
    progress.clear();
    try {
      writeJsonTo(fd, plan);
      fs.fsyncSync(fd);
      fs.closeSync(fd);
      fd = undefined;
      fs.renameSync(temporary, file);
      complete = true;
    } catch (error) {
      io.stderr(`registry-gc plan: cannot write the plan to ${file}: ${(error as Error).message}\n`);
      return 1;
    }
    if (json) printJson(io, plan);
    else io.stdout(`${formatPlan(plan, file)}\n`);
    return 0;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
    if (!complete) fs.rmSync(temporary, { force: true });
  }
}

/** Flags that decide what is garbage: apply takes them from the plan, never from the command line. */
const PLAN_DECIDES: Array<keyof Values> = [
  ...DECIDING_OPTIONS.flatMap(({ flag }) => (flag === undefined ? [] : [flag as keyof Values])),
  ...RETENTION_FLAGS,
];

/** `registry-gc apply PLAN [ROOT|CONFIG] [--dry-run] [--json] [-o FILE]`. */
export async function applyCommand(args: string[], values: Values, concurrency: number | undefined, io: Io, signal?: AbortSignal): Promise<number> {
  const json = values.json ?? false;
  if (args.length < 1 || args.length > 2) {
    return usageError(io, `apply: expected a PLAN file (and optionally the ROOT or CONFIG it must be for), got ${args.length} arguments`);
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
  const target = args[1] === undefined ? undefined : targetOrExit(args[1], io, json);
  if (typeof target === 'number') return target;
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
        trash: values['keep-trash'] ? 'keep' : undefined,
        recheck: values['full-recheck'] ? 'full' : undefined,
        onProgress: onProgressOf(progress, io),
        ...(target?.options.s3 === undefined ? {} : { s3: target.options.s3 }),
      });
    } catch (error) {
      progress.clear();
      return reportFailure(error, json, io, output, target);
    }
    progress.clear();
    return printResult(result, result.report, target?.config, () => formatApplyReport(result, planFile), json, io, output);
  } finally {
    if (output !== undefined) fs.closeSync(output);
  }
}
