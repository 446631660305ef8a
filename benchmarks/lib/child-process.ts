/**
 * Child processes of the runner: each in its own process group, timed, killed
 * as a group on timeout or interrupt.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { TIME } from './bench-model.js';

// Child processes ------------------------------------------------------------------

export const activeGroups = new Set<number>();

export function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    for (const pid of activeGroups) killGroup(pid);
    process.stderr.write(`\nbench: interrupted; copies (if any) are left under <trees>/.copies\n`);
    process.exit(130);
  });
}

export interface Outcome {
  seconds: number;
  exit: number | null;
  signal: string | null;
  timedOut: boolean;
  /** GNU time's "%e %M" when wrapped. */
  rssKb: number | null;
  spawnError?: string;
}

/**
 * Runs argv in its own process group, stdout and stderr to files; with
 * `time`, under /usr/bin/time -f '%e %M'. Wall time is measured here.
 */
export function execute(
  argv: readonly string[],
  opts: { stdout: string; stderr: string; timeout: number; time: boolean; interruptFirst?: boolean; env?: NodeJS.ProcessEnv },
): Promise<Outcome> {
  const timeFile = `${opts.stderr}.time`;
  const full = opts.time ? [TIME, '-f', '%e %M', '-o', timeFile, ...argv] : [...argv];
  const out = fs.openSync(opts.stdout, 'w');
  const err = fs.openSync(opts.stderr, 'w');
  const started = process.hrtime.bigint();
  const child = spawn(full[0] ?? '', full.slice(1), { stdio: ['ignore', out, err], detached: true, ...(opts.env !== undefined ? { env: opts.env } : {}) });
  fs.closeSync(out);
  fs.closeSync(err);
  if (child.pid !== undefined) activeGroups.add(child.pid);
  return new Promise((resolve) => {
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      if (child.pid === undefined) return;
      const pid = child.pid;
      if (opts.interruptFirst) {
        // strace (-I 2) stops tracing on SIGINT and still prints its -c table; the tracee is killed after.
        try {
          process.kill(pid, 'SIGINT');
        } catch {
          // gone
        }
        setTimeout(() => killGroup(pid), 5000).unref();
      } else killGroup(pid);
    }, opts.timeout * 1000);
    const finish = (exit: number | null, signal: string | null, spawnError?: string): void => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      clearTimeout(timer);
      if (child.pid !== undefined) {
        if (timedOut) killGroup(child.pid);
        activeGroups.delete(child.pid);
      }
      let rssKb: number | null = null;
      if (opts.time && fs.existsSync(timeFile)) {
        const lines = fs.readFileSync(timeFile, 'utf8').trim().split('\n');
        const m = /^([\d.]+) (\d+)$/.exec(lines[lines.length - 1] ?? '');
        if (m) rssKb = Number(m[2]);
      }
      resolve({ seconds, exit, signal, timedOut, rssKb, ...(spawnError !== undefined ? { spawnError } : {}) });
    };
    child.once('error', (e) => finish(null, null, e.message));
    child.once('exit', (code, signal) => finish(code, signal));
  });
}

export function tail(file: string, bytes = 2000): string {
  try {
    const fd = fs.openSync(file, 'r');
    try {
      const size = fs.fstatSync(fd).size;
      const buf = Buffer.alloc(Math.min(bytes, size));
      fs.readSync(fd, buf, 0, buf.length, size - buf.length);
      return buf.toString('utf8');
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return '';
  }
}
