import { describe, expect, it } from 'vitest';
import { DiskWait } from '../../src/scan/disk-wait.js';

/** Clocks the test moves by hand: wall time, and CPU time of all threads. */
function clocks() {
  const c = { wall: 0, cpu: 0 };
  return { c, clocks: { wallMs: () => c.wall, cpuMs: () => c.cpu } };
}

describe('DiskWait', () => {
  it('adds a thread when the threads were mostly waiting over a window, and counts it', () => {
    const { c, clocks: k } = clocks();
    const wait = new DiskWait(2, k, 8);
    c.wall += 200;
    c.cpu += 100; // 100 ms of CPU over 2 threads x 200 ms: 25% busy
    expect(wait.shouldAddThread()).toBe(true);
    c.wall += 200;
    c.cpu += 350; // now 3 threads: 350 / 600 = 58%, still waiting (a cold cache)
    expect(wait.shouldAddThread()).toBe(true);
    c.wall += 200;
    c.cpu += 700; // 4 threads on 8 cores: 700 / 800 = 88%: busy enough (a warm cache)
    expect(wait.shouldAddThread()).toBe(false);
  });

  it('adds none while the threads are busy (a warm cache), nor before a window has passed', () => {
    const { c, clocks: k } = clocks();
    const wait = new DiskWait(2, k, 8);
    c.wall += 100;
    c.cpu += 0;
    expect(wait.shouldAddThread()).toBe(false); // too short to judge
    c.wall += 100;
    c.cpu += 380; // 380 / (2 x 200) = 95%
    expect(wait.shouldAddThread()).toBe(false);
    c.wall += 200;
    c.cpu += 360;
    expect(wait.shouldAddThread()).toBe(false);
  });

  it('judges more threads than cores against the cores: one busy core is not a waiting disk', () => {
    const { c, clocks: k } = clocks();
    const wait = new DiskWait(2, k, 1);
    c.wall += 200;
    c.cpu += 190; // one core, 95% busy, though 2 threads
    expect(wait.shouldAddThread()).toBe(false);
  });
});
