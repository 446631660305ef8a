/**
 * The moves of one batch, made in order on the calling thread: the rename
 * thread's loop (rename-worker.ts), and its stand-in where that thread
 * cannot start (rename-thread.ts). Each destination's folder is made the
 * first time it is moved into (a trash shard); a pair that fails is that
 * pair's alone.
 */
import fs from 'node:fs';
import path from 'node:path';
import { makeDir } from './make-dir.js';

/** Per pair: null when it moved, else its error's code and message. */
export type PairOutcome = readonly [code: string, message: string] | null;

export function renamePairs(pairs: ReadonlyArray<readonly [from: string, to: string]>, made: Set<string>): PairOutcome[] {
  return pairs.map(([from, to]) => {
    try {
      renameInto(from, to, made);
      return null;
    } catch (error) {
      const { code, message } = error as NodeJS.ErrnoException;
      return [code ?? '', message] as const;
    }
  });
}

function renameInto(from: string, to: string, made: Set<string>): void {
  const folder = path.dirname(to);
  if (!made.has(folder)) {
    makeDir(folder);
    made.add(folder);
  }
  try {
    fs.renameSync(from, to);
  } catch (error) {
    // ENOENT is the source gone ("already gone") or the destination's folder gone: only the first may say so.
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || !exists(from)) throw error;
    made.delete(folder);
    makeDir(folder);
    made.add(folder);
    fs.renameSync(from, to);
  }
}

function exists(target: string): boolean {
  try {
    fs.lstatSync(target);
    return true;
  } catch {
    return false;
  }
}
