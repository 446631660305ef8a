/**
 * The library's progress events (what the CLI's progress line draws, and
 * what other tools draw their own from): every phase reports, counts never
 * go backwards within a phase, and each phase ends with done = total.
 */
import { describe, expect, it } from 'vitest';
import { collectGarbage } from '../../src/collect/collect-garbage.js';
import type { ProgressEvent } from '../../src/collect/options.js';
import { tempDir, TreeBuilder } from '../../harness/tree.js';

describe('onProgress', () => {
  it('reports every phase in order, monotonically, ending at its total', async () => {
    const t = new TreeBuilder(tempDir());
    for (let r = 0; r < 150; r++) {
      t.image(`repo${r}`, { tag: 'v1' });
      t.image(`repo${r}`);
      t.blob(`orphan ${r}`);
    }
    const events: ProgressEvent[] = [];
    await collectGarbage(t.root, { dryRun: true, deleteUntagged: true, onProgress: (e) => events.push(e), concurrency: 1 });

    const phases = [...new Set(events.map((e) => e.phase))];
    expect(phases).toEqual(['scan', 'mark', 'sweep-tags', 'sweep-manifests', 'sweep-blobs', 'sweep-layer-links', 'sweep-tag-history', 'sweep-uploads', 'sweep-repositories']);
    for (const phase of phases) {
      const own = events.filter((e) => e.phase === phase);
      for (let i = 1; i < own.length; i++) expect(own[i]!.done).toBeGreaterThanOrEqual(own[i - 1]!.done);
      const last = own[own.length - 1]!;
      expect(last.done).toBe(last.total);
    }
    // Long phases report along the way, not only at their ends.
    expect(events.filter((e) => e.phase === 'scan').length).toBeGreaterThan(3);
    expect(events.filter((e) => e.phase === 'mark').length).toBeGreaterThan(2);
    expect(events.filter((e) => e.phase === 'sweep-manifests').at(-1)).toEqual({ phase: 'sweep-manifests', done: 150, total: 150 });
  });
});
