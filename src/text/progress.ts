/**
 * The progress line on a terminal: one line, redrawn in place with `\r` and
 * "clear to end of line", e.g.
 *
 *   registry-gc: sweep-blobs 12,345/72,800 16%  3,086/s  0:14
 *
 * Phase, items done of the total when the library knows it, the rate in this
 * phase, and the time since the run started. Redraws are throttled (at most
 * one per `minIntervalMs`, except a phase change or the end of a phase, which
 * always draw) so a terminal on a slow link does not slow the run. The line
 * is cut to the terminal's width: a wrapped line cannot be cleared with `\r`.
 * The caller decides whether to draw at all (stderr is a TTY, no --quiet).
 */
import type { ProgressEvent } from '../collect/options.js';

export interface ProgressStream {
  write(text: string): void;
  /** Terminal width; 0 or undefined when unknown. */
  readonly columns?: number | undefined;
}

export interface ProgressOptions {
  /** Milliseconds clock, for tests. @default performance.now */
  now?: () => number;
  /** @default 100 (at most 10 redraws a second) */
  minIntervalMs?: number;
}

export interface ProgressLine {
  update(event: ProgressEvent): void;
  /** Erases the line, so that what is printed next starts on a clean line. */
  clear(): void;
}

const CLEAR = '\r\x1b[K';
const FALLBACK_COLUMNS = 80;

/** Rates in the first moments of a phase swing wildly; show one only after this. */
const RATE_AFTER_MS = 500;

const count = (n: number) => n.toLocaleString('en-US');

export function formatElapsed(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  const s = String(seconds % 60).padStart(2, '0');
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}:${s}`;
  return `${Math.floor(minutes / 60)}:${String(minutes % 60).padStart(2, '0')}:${s}`;
}

/** The text of the line, without control characters. */
export function formatProgress(event: ProgressEvent, phaseMs: number, runMs: number): string {
  const parts = [`registry-gc: ${event.phase} ${count(event.done)}`];
  if (event.total !== undefined) {
    parts[0] += `/${count(event.total)}`;
    if (event.total > 0) parts[0] += ` ${Math.floor((event.done / event.total) * 100)}%`;
  }
  if (phaseMs >= RATE_AFTER_MS) parts.push(`${count(Math.round((event.done * 1000) / phaseMs))}/s`);
  parts.push(formatElapsed(runMs));
  return parts.join('  ');
}

export function createProgressLine(stream: ProgressStream, options: ProgressOptions = {}): ProgressLine {
  const now = options.now ?? (() => performance.now());
  const minInterval = options.minIntervalMs ?? 100;
  const start = now();
  let phase: string | undefined;
  let phaseStart = start;
  let lastDraw = -Infinity;
  let drawn = false;

  return {
    update(event) {
      const t = now();
      const phaseChanged = event.phase !== phase;
      if (phaseChanged) {
        phase = event.phase;
        phaseStart = t;
      }
      const phaseDone = event.total !== undefined && event.done >= event.total;
      if (!phaseChanged && !phaseDone && t - lastDraw < minInterval) return;
      lastDraw = t;
      const width = (stream.columns || FALLBACK_COLUMNS) - 1;
      stream.write(CLEAR + formatProgress(event, t - phaseStart, t - start).slice(0, width));
      drawn = true;
    },
    clear() {
      if (drawn) stream.write(CLEAR);
      drawn = false;
    },
  };
}

/** For --quiet and for a stderr that is no terminal. */
export const noProgress: ProgressLine = { update() {}, clear() {} };
