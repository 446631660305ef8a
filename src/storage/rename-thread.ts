/**
 * Renames on a thread of their own, so that a real run's moves into the
 * trash overlap what the sweep does on the main thread (re-reading links,
 * writing the journal, building paths). Cross-directory renames serialize in
 * the kernel (one rename lock per file system), so one thread renaming in a
 * tight loop is as fast as several; what the main thread did between two
 * renames is what is saved (profile of `-m --keep-trash` on `standard`:
 * 2.4 s of a 7.4 s window in rename(2), the rest of the sweep ~2.4 s more).
 *
 * Calls made while the event loop is busy are sent together, as one batch,
 * when it next turns (setImmediate): the sweep asks for a whole batch of
 * moves at once (Storage.renames), and prepares the next batch while this
 * one moves. The thread also makes each destination's folder (the trash's
 * shards) the first time it moves into it. Where the thread cannot start,
 * the moves are made on the calling thread instead, the same way.
 */
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { renamePairs, type PairOutcome } from './rename-pairs.js';

export interface RenameBatch {
  readonly id: number;
  readonly pairs: ReadonlyArray<readonly [from: string, to: string]>;
}

export interface RenameAnswer {
  readonly id: number;
  /** Per pair, in order: null when it moved, else its error's code and message. */
  readonly outcomes: readonly PairOutcome[];
}

interface Waiting {
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

/** A running thread and the batches sent to it that it has not answered yet, by id. */
interface Running {
  readonly worker: Worker;
  readonly sent: Map<number, Waiting[]>;
  idle?: NodeJS.Timeout | undefined;
}

/**
 * An idle thread stops after this long: a library kept loaded by a tool
 * holds no thread between runs (a new one starts in ~30 ms).
 */
const IDLE_MS = 2000;

export class RenameThread {
  private running: Running | undefined;
  private nextId = 0;
  /** Asked for and not sent yet: they go together when the event loop turns. */
  private queued: Array<{ from: string; to: string; waiting: Waiting }> = [];
  private sendScheduled = false;
  private availability: boolean | undefined;
  /** The thread could not start: moves are made on this thread, with the folders made so far. */
  private threadFailed = false;
  private readonly madeHere = new Set<string>();

  constructor(
    private readonly workerUrl: URL,
    private readonly idleMs = IDLE_MS,
    // No flags of this process: a rename loop needs none, and some (--input-type) fail a worker.
    private readonly startWorker: (url: URL) => Worker = (url) => new Worker(url, { execArgv: [] }),
  ) {}

  /** False where the compiled worker is not there (the sources run directly, as in the unit tests). */
  get available(): boolean {
    this.availability ??= fs.existsSync(fileURLToPath(this.workerUrl));
    return this.availability;
  }

  /** Moves `from` to `to` as rename(2), on the thread, making `to`'s folder first where it is not there. */
  rename(from: string, to: string): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queued.push({ from, to, waiting: { resolve, reject } });
      if (this.sendScheduled) return;
      this.sendScheduled = true;
      setImmediate(() => this.send());
    });
  }

  /** Stops the thread now (moves in flight fail as not known). */
  async close(): Promise<void> {
    const running = this.running;
    this.running = undefined;
    if (running !== undefined) await running.worker.terminate();
  }

  private send(): void {
    this.sendScheduled = false;
    const batch = this.queued;
    this.queued = [];
    if (batch.length === 0) return;
    const pairs = batch.map((q) => [q.from, q.to] as const);
    const waiting = batch.map((q) => q.waiting);
    if (!this.threadFailed) {
      const id = this.nextId++;
      try {
        const running = this.started();
        clearTimeout(running.idle);
        running.sent.set(id, waiting);
        // Held open only while an answer is awaited: an idle mover never keeps the process alive.
        running.worker.ref();
        running.worker.postMessage({ id, pairs } satisfies RenameBatch);
        return;
      } catch {
        // The thread cannot start here (a permission model without workers, no resources): nothing
        // of this batch was sent, so its moves, and every later one, are made on this thread.
        this.running?.sent.delete(id);
        this.close().catch(() => {});
        this.threadFailed = true;
      }
    }
    answer(waiting, renamePairs(pairs, this.madeHere));
  }

  private started(): Running {
    if (this.running !== undefined) return this.running;
    const worker = this.startWorker(this.workerUrl);
    const running: Running = { worker, sent: new Map() };
    worker.on('message', ({ id, outcomes }: RenameAnswer) => {
      const waiting = running.sent.get(id) ?? [];
      running.sent.delete(id);
      if (running.sent.size === 0) {
        worker.unref();
        running.idle = setTimeout(() => this.running === running && void this.close(), this.idleMs).unref();
      }
      answer(waiting, outcomes);
    });
    // A thread that stops takes its unanswered batches with it: each of their moves may or may not
    // have been made, so each fails as not known (the journal has its line: restore finds either).
    const lost = (why: string) => {
      if (this.running === running) this.running = undefined;
      clearTimeout(running.idle);
      const waiting = [...running.sent.values()].flat();
      running.sent.clear();
      for (const w of waiting) w.reject(new Error(`the rename thread stopped (${why}) before answering: this move may or may not have been made`));
    };
    worker.on('error', (error) => lost(error.message));
    worker.on('exit', (code) => lost(`exit code ${code}`));
    this.running = running;
    return running;
  }
}

/** Settles each move by its outcome. */
function answer(waiting: readonly Waiting[], outcomes: readonly (PairOutcome | undefined)[]): void {
  waiting.forEach((w, i) => {
    const outcome = outcomes[i];
    if (outcome === null) w.resolve();
    else w.reject(outcome === undefined ? new Error('the rename thread gave no answer for this move') : Object.assign(new Error(outcome[1]), { code: outcome[0] }));
  });
}
