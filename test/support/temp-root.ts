/**
 * Vitest global setup: every temporary folder of a test run (harness
 * tempDir, the CLI's and the real registry's trees, copies) goes below one
 * folder of its own, removed when the run ends. Without it each run left
 * some twenty thousand folders in the system's temporary folder, and a
 * machine that runs the suite often runs out of inodes.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export default function setup(): () => void {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'registry-gc-tests-'));
  // os.tmpdir() reads TMPDIR on every call; the test workers start after this and inherit it.
  process.env['TMPDIR'] = root;
  return () => fs.rmSync(root, { recursive: true, force: true });
}
