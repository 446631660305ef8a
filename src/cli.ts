#!/usr/bin/env node
/**
 * The command line: argument parsing and printing only, over the public API.
 * Exit codes: 0 success, 1 the run failed (nothing deleted when marking
 * failed) or some deletion failed, 2 usage error, 130/143 interrupted.
 */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { collectGarbage } from './gc.js';
import { RegistryGcError } from './errors.js';
import { formatProblems, formatReport } from './format.js';

const USAGE = `usage: registry-gc [options] ROOT

Offline garbage collection of a stopped Docker registry's filesystem storage.
ROOT is the registry's rootdirectory (the folder that holds docker/registry/v2).

options:
  -d, --dry-run           report what would be deleted, delete nothing
  -m, --delete-untagged   also delete manifests that no tag reaches
                          (index children and referrers of kept images stay)
      --json              print the report as one JSON object on stdout
      --concurrency N     repositories scanned between event-loop yields
  -h, --help              show this help

examples:
  registry-gc --dry-run /var/lib/registry
  registry-gc -m /var/lib/registry`;

export interface Io {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

const processIo: Io = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
};

export async function main(argv: string[], io: Io = processIo, signal?: AbortSignal): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        'dry-run': { type: 'boolean', short: 'd' },
        'delete-untagged': { type: 'boolean', short: 'm' },
        json: { type: 'boolean' },
        concurrency: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    io.stderr(`registry-gc: ${(error as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.stdout(`${USAGE}\n`);
    return 0;
  }
  if (positionals.length !== 1) {
    io.stderr(`registry-gc: expected exactly one ROOT, got ${positionals.length}\n\n${USAGE}\n`);
    return 2;
  }
  let concurrency: number | undefined;
  if (values.concurrency !== undefined) {
    concurrency = Number(values.concurrency);
    if (!Number.isInteger(concurrency) || concurrency < 1) {
      io.stderr(`registry-gc: --concurrency must be a positive integer, got "${values.concurrency}"\n`);
      return 2;
    }
  }

  try {
    const report = await collectGarbage(positionals[0]!, {
      dryRun: values['dry-run'] ?? false,
      deleteUntagged: values['delete-untagged'] ?? false,
      concurrency,
      signal,
    });
    io.stdout(values.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatReport(report)}\n`);
    return report.errors.length > 0 ? 1 : 0;
  } catch (error) {
    return reportFailure(error, values.json ?? false, io);
  }
}

function reportFailure(error: unknown, json: boolean, io: Io): number {
  if (!(error instanceof RegistryGcError)) {
    io.stderr(`registry-gc: unexpected failure: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    if (json) io.stdout(`${JSON.stringify({ error: { code: 'E_UNEXPECTED', message: String(error), problems: [] } })}\n`);
    return 1;
  }
  if (json) io.stdout(`${JSON.stringify({ error: error.toJSON(), report: error.report }, null, 2)}\n`);
  const headline = error.message.split('\n')[0];
  io.stderr([`registry-gc: ${headline}`, ...formatProblems('problems', error.problems, 20)].join('\n') + '\n');
  if (error.code === 'E_INVALID_OPTION') return 2;
  return 1;
}

/** Runs when executed as a program (not when imported by tests). */
function isEntryPoint(): boolean {
  try {
    return process.argv[1] !== undefined && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url);
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
