import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BatchQueue } from '../../src/scan/batch-queue.js';

describe('BatchQueue', () => {
  it('property: queues sharing one counter hand out every index exactly once, in batches of at most the size', () => {
    fc.assert(
      fc.property(fc.nat(500), fc.integer({ min: 1, max: 40 }), fc.array(fc.nat(2), { minLength: 1, maxLength: 200 }), (total, size, turns) => {
        const first = new BatchQueue(total, size);
        const queues = [first, new BatchQueue(total, size, first.shared), new BatchQueue(total, size, first.shared)];
        const seen: number[] = [];
        const take = (q: BatchQueue) => {
          const batch = q.take();
          if (!batch) return false;
          const [start, end] = batch;
          expect(end - start).toBeGreaterThan(0);
          expect(end - start).toBeLessThanOrEqual(size);
          for (let i = start; i < end; i++) seen.push(i);
          return true;
        };
        // Interleave the queues in an arbitrary order, then drain through each.
        for (const turn of turns) take(queues[turn]!);
        for (const q of queues) while (take(q));
        expect(seen.sort((a, b) => a - b)).toEqual(Array.from({ length: total }, (_, i) => i));
        for (const q of queues) expect(q.take()).toBeUndefined();
      }),
    );
  });
});
