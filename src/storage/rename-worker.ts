/**
 * The thread of rename-thread.ts: renames each batch's pairs in order
 * (rename-pairs.ts) and answers with what became of each.
 */
import { parentPort } from 'node:worker_threads';
import { renamePairs } from './rename-pairs.js';
import type { RenameAnswer, RenameBatch } from './rename-thread.js';

/** The folders this thread has made (or found) so far: each is made once. */
const made = new Set<string>();

parentPort!.on('message', ({ id, pairs }: RenameBatch) => {
  parentPort!.postMessage({ id, outcomes: renamePairs(pairs, made) } satisfies RenameAnswer);
});
