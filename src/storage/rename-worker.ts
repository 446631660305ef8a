/**
 * The thread of rename-thread.ts: renames each pair of a batch in order,
 * synchronously, making the destination's folder first where this thread
 * has not made it yet (a trash shard: a mkdir here costs the sweep's thread
 * nothing), and answers with what became of each (null: moved; else the
 * error's code and message). A failed pair is that pair's alone.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parentPort } from 'node:worker_threads';
import { makeDir } from './make-dir.js';
import type { RenameAnswer, RenameBatch } from './rename-thread.js';

const made = new Set<string>();

parentPort!.on('message', ({ id, pairs }: RenameBatch) => {
  const outcomes = pairs.map(([from, to]) => {
    try {
      const folder = path.dirname(to);
      if (!made.has(folder)) {
        makeDir(folder);
        made.add(folder);
      }
      fs.renameSync(from, to);
      return null;
    } catch (error) {
      const { code, message } = error as NodeJS.ErrnoException;
      return [code ?? '', message] as const;
    }
  });
  parentPort!.postMessage({ id, outcomes } satisfies RenameAnswer);
});
