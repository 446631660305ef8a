/**
 * Runs a benchmark script's `main` when the file is executed (not imported),
 * turning its result into the exit code and a thrown error into a message.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export function runIfEntryPoint(moduleUrl: string, main: (argv: string[]) => Promise<number>, label = ''): void {
  if (process.argv[1] === undefined || path.resolve(process.argv[1]) !== fileURLToPath(moduleUrl)) return;
  main(process.argv.slice(2)).then(
    (code) => (process.exitCode = code),
    (err: unknown) => {
      process.stderr.write(`${label}${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
