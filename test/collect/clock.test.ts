/** The phase clock: one helper for work done at once and work awaited. */
import { describe, expect, it } from 'vitest';
import { PhaseClock } from '../../src/collect/clock.js';

describe('PhaseClock', () => {
  it('times work done at once and work awaited, each under its phase, failures too', async () => {
    const clock = new PhaseClock(undefined);
    expect(clock.time('discover', () => 7)).toBe(7);
    await expect(clock.time('scan', async () => 'later')).resolves.toBe('later');
    await expect(clock.time('mark', async () => Promise.reject(new Error('no')))).rejects.toThrow('no');
    expect(() => clock.time('blobs', () => { throw new Error('at once'); })).toThrow('at once');
    expect(Object.keys(clock.durations).sort()).toEqual(['blobs', 'discover', 'mark', 'scan']);
    for (const ms of Object.values(clock.durations)) expect(ms).toBeGreaterThanOrEqual(0);
  });

  it('starts no phase once the run is aborted', () => {
    const controller = new AbortController();
    const clock = new PhaseClock(controller.signal);
    controller.abort();
    let ran = false;
    expect(() => clock.time('scan', () => (ran = true))).toThrow();
    expect(ran).toBe(false);
    expect(clock.durations).toEqual({});
  });
});
