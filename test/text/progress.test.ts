/**
 * The progress line, with a fake clock: what it says, that it redraws in
 * place, at most ten times a second, always on a phase change or a phase's
 * end, never wider than the terminal, and that clear() erases only what it drew.
 */
import { describe, expect, it } from 'vitest';
import { createProgressLine, formatElapsed, formatProgress } from '../../src/text/progress.js';

const CLEAR = '\r\x1b[K';

function fixture(columns?: number) {
  let clock = 0;
  const writes: string[] = [];
  const line = createProgressLine({ write: (t) => writes.push(t), columns }, { now: () => clock });
  return { line, writes, tick: (ms: number) => (clock += ms) };
}

describe('formatProgress', () => {
  it('shows phase, done of total with a percentage, rate and elapsed', () => {
    expect(formatProgress({ phase: 'sweep-blobs', done: 12_345, total: 72_800 }, 4000, 14_000)).toBe(
      'registry-gc: sweep-blobs 12,345/72,800 16%  3,086/s  0:14',
    );
  });

  it('omits the total when unknown and the rate in the first half second', () => {
    expect(formatProgress({ phase: 'blobs', done: 7, total: undefined }, 100, 65_000)).toBe('registry-gc: blobs 7  1:05');
  });

  it('formats long runs as h:mm:ss', () => {
    expect(formatElapsed(3_723_000)).toBe('1:02:03');
    expect(formatElapsed(59_999)).toBe('0:59');
  });
});

describe('createProgressLine', () => {
  it('redraws in place, throttled to one draw per 100 ms', () => {
    const { line, writes, tick } = fixture();
    line.update({ phase: 'scan', done: 0, total: 1000 });
    for (let i = 1; i < 50; i++) {
      tick(5);
      line.update({ phase: 'scan', done: i, total: 1000 });
    }
    // 245 ms of updates: the first draw, then one at 100 ms and one at 200 ms.
    expect(writes).toHaveLength(3);
    for (const w of writes) expect(w.startsWith(CLEAR)).toBe(true);
    expect(writes.join('')).not.toContain('\n');
  });

  it('always draws a phase change and the end of a phase', () => {
    const { line, writes, tick } = fixture();
    line.update({ phase: 'scan', done: 0, total: 2 });
    tick(1);
    line.update({ phase: 'scan', done: 2, total: 2 });
    tick(1);
    line.update({ phase: 'mark', done: 0, total: 2 });
    expect(writes.map((w) => w.slice(CLEAR.length))).toEqual([
      'registry-gc: scan 0/2 0%  0:00',
      'registry-gc: scan 2/2 100%  0:00',
      'registry-gc: mark 0/2 0%  0:00',
    ]);
  });

  it('measures the rate from the start of the current phase', () => {
    const { line, writes, tick } = fixture();
    line.update({ phase: 'scan', done: 0, total: 10 });
    tick(10_000);
    line.update({ phase: 'sweep-blobs', done: 0, total: 5000 });
    tick(2000);
    line.update({ phase: 'sweep-blobs', done: 1000, total: 5000 });
    expect(writes.at(-1)).toBe(`${CLEAR}registry-gc: sweep-blobs 1,000/5,000 20%  500/s  0:12`);
  });

  it('never draws wider than the terminal (a wrapped line cannot be erased)', () => {
    const { line, writes } = fixture(20);
    line.update({ phase: 'sweep-repositories', done: 123_456, total: 999_999 });
    expect(writes[0]!.slice(CLEAR.length)).toHaveLength(19);
  });

  it('clear() erases the line once, and only if it drew', () => {
    const idle = fixture();
    idle.line.clear();
    expect(idle.writes).toEqual([]);
    const { line, writes } = fixture();
    line.update({ phase: 'scan', done: 0, total: 1 });
    line.clear();
    line.clear();
    expect(writes.slice(1)).toEqual([CLEAR]);
  });
});
