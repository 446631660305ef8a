#!/usr/bin/env node
/**
 * The program: runs the command line (commands/main.ts) with the process's
 * arguments and streams, and turns SIGINT/SIGTERM into an abort of the run
 * (exit 130/143). Everything it does is in the library; this file only wires
 * the process to it.
 */
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { main, processIo } from './commands/main.js';

export { main } from './commands/main.js';
export type { Io } from './commands/common.js';

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
