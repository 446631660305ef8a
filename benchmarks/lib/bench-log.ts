/**
 * Progress lines, medians and the number formats of the runner and of RESULTS.md.
 */
import { spawnSync } from 'node:child_process';
import os from 'node:os';

// Progress and helpers --------------------------------------------------------------

export const runStarted = Date.now();

export function log(message: string): void {
  const t = new Date().toISOString().slice(11, 19);
  const elapsed = ((Date.now() - runStarted) / 1000).toFixed(0).padStart(5);
  process.stderr.write(`[bench ${t} +${elapsed}s] ${message}\n`);
}

export const median = (xs: readonly number[]): number => {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? (s[mid] ?? Number.NaN) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
};

export const load = (): number[] => os.loadavg().map((x) => Math.round(x * 100) / 100);
export const fmtS = (s: number): string => (Number.isFinite(s) ? (s >= 100 ? s.toFixed(0) : s >= 10 ? s.toFixed(1) : s.toFixed(2)) : '—');
export const sec = (s: number): string => (Number.isFinite(s) ? `${fmtS(s)} s` : '—');
export const fmtMB = (kb: number | null | undefined): string => (kb === null || kb === undefined ? '—' : `${Math.round((kb * 1024) / 1e6)} MB`);
export const fmtInt = (n: number | undefined): string => (n === undefined ? '—' : n.toLocaleString('en-US'));
export const fmtRatio = (r: number): string => (Number.isFinite(r) ? (r >= 10 ? `${r.toFixed(0)}×` : `${r.toFixed(2)}×`) : '—');
export const fmtLoad = (l: readonly number[]): string => l.map((x) => x.toFixed(2)).join(' / ');

export function which(cmd: string): string | null {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}
