/**
 * Apply's early inspection of the planned blobs (src/plan/early-inspection.ts):
 * asked once, aside, for every planned blob's data; answers in the order asked,
 * the planned paths that were there from that look, any other path (and one
 * that was not there then) from the storage at the time of asking.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { inspectEarly } from '../../src/plan/early-inspection.js';
import { digestOf } from '../../src/registry/digest.js';
import { RegistryLayout } from '../../src/registry/layout.js';
import { nodeStorage } from '../../src/storage/node-storage.js';
import type { InspectOptions, Storage } from '../../src/storage/storage.js';
import { tempDir } from '../../harness/tree.js';

const digest = (n: number) => digestOf('sha256', n.toString(16).padStart(64, '0'));

describe('inspectEarly', () => {
  it('asks for the planned blobs once, aside, and answers each path in order, others from the storage', async () => {
    const root = tempDir();
    const layout = new RegistryLayout(root);
    const planned = [1, 2, 3].map(digest);
    for (const d of planned.slice(0, 2)) {
      fs.mkdirSync(layout.blobDir(d), { recursive: true });
      fs.writeFileSync(layout.blobData(d), 'x'.repeat(d.length));
    }
    const other = layout.blobData(digest(4));
    fs.mkdirSync(path.dirname(other), { recursive: true });
    fs.writeFileSync(other, 'yy');
    const calls: Array<{ targets: readonly string[]; options?: InspectOptions }> = [];
    const storage: Storage = { ...nodeStorage, inspect: (targets, options) => (calls.push({ targets, options }), nodeStorage.inspect(targets)) };

    const inspect = inspectEarly(storage, layout, planned);
    expect(calls).toEqual([{ targets: planned.map((d) => layout.blobData(d)), options: { aside: true } }]);
    // Removed after the early look, before it is used: the early answer stands (nothing moves in between in apply).
    fs.rmSync(layout.blobDir(planned[1]!), { recursive: true });
    // Not there at the early look, uploaded since (a registry still running): looked at again, judged by its data now.
    fs.mkdirSync(layout.blobDir(planned[2]!), { recursive: true });
    fs.writeFileSync(layout.blobData(planned[2]!), 'zzz');
    const asked = [other, layout.blobData(planned[2]!), layout.blobData(planned[0]!), layout.blobData(planned[1]!)];
    const outcomes = await inspect(asked);
    expect(outcomes.map((o) => (o.ok ? o.value.size : (o.error as NodeJS.ErrnoException).code))).toEqual([2, 3, planned[0]!.length, planned[1]!.length]);
    expect(calls.slice(1)).toEqual([{ targets: [other, layout.blobData(planned[2]!)], options: undefined }]);
    // Asked again a prefix at a time: no new early look, nothing more from the storage for planned paths.
    await inspect([layout.blobData(planned[0]!)]);
    expect(calls).toHaveLength(2);
  });
});
