/**
 * Reads and lstats of a batch on other threads while the disk is slow: what
 * the sweep re-reads before deleting (each batch's links, asked for a batch
 * ahead: sweep/context.ts) and inspects (each unmarked blob's `data`).
 *
 * Whether to follows the disk, as the scan's thread count does
 * (scan/disk-wait.ts). While a read takes microseconds (a warm cache) every
 * batch is read on the calling thread: measured on `standard` and `tags`, a
 * hand-off to a thread cost more than the overlap gained. While reads wait
 * on the disk (a cold cache) batches go to up to four threads, each one
 * request in flight (114,122 cold link reads took 21 s on one thread, 7.3 s
 * on four). A request is answered on the calling thread while no reader
 * thread runs yet (one starts in ~30 ms: a batch does not wait for it), and
 * where none can start at all. Reads change nothing, so a thread that stops
 * has its requests read again here.
 *
 * A caller that asks early and awaits later (`aside`: apply inspects every
 * planned blob while it compares the plan's versions on this thread) is
 * answered by one thread whatever the disk, waiting for it to start: the two
 * then overlap on the machine's second core.
 */
import fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { nodeFileSystem } from './node-file-system.js';
import { answerEach, type EntryInfo, type InspectOptions, type Outcome } from './storage.js';
import { fromWire, type ReadAnswer, type ReadOp, type ReadRequest } from './reader-wire.js';

/** Smaller batches are read here: a message each way costs more than a few reads. */
export const MIN_OFF_THREAD = 32;
/** Per path: above this a thread waits on the disk, not the CPU (warm: an lstat ~2-3 us, a link read ~5-8 us). */
const SLOW_US = 20;
/** Threads that died before answering anything, in a row, before none are started any more. */
const MAX_DEATHS_BEFORE_ANSWER = 8;
/** Paths read before the disk is judged again. */
const WINDOW_PATHS = 1024;
const IDLE_MS = 2000;

interface Pending {
  readonly request: ReadRequest;
  /** Asked aside: its time says nothing of the disk (a thread just started, sharing the CPU with this one). */
  readonly aside: boolean;
  readonly settle: (outcomes: Outcome<unknown>[]) => void;
}

interface Reader {
  readonly worker: Worker;
  online: boolean;
  /** It answered a request: a thread that dies before its first answer may be one that cannot run here. */
  answered: boolean;
  readonly pending: Map<number, Pending>;
  idle?: NodeJS.Timeout | undefined;
}

export interface ReaderThreadsOptions {
  /** Threads while reads wait on the disk. */
  readonly maxThreads?: number;
  readonly idleMs?: number;
  readonly startWorker?: (url: URL) => Worker;
  /** Per path, what a slow disk takes (SLOW_US), and how many paths it is judged over (WINDOW_PATHS). */
  readonly slowUs?: number;
  readonly windowPaths?: number;
}

export class ReaderThreads {
  private readers: Reader[] = [];
  private nextId = 0;
  private availability: boolean | undefined;
  private failed = false;
  private deathsBeforeAnswer = 0;
  /** The last window said the disk is slow: use every thread. */
  private slow = false;
  private windowMs = 0;
  private windowPaths = 0;
  private readonly maxThreads: number;
  private readonly idleMs: number;
  private readonly slowUs: number;
  private readonly windowSize: number;
  private readonly startWorker: (url: URL) => Worker;

  constructor(
    private readonly workerUrl: URL,
    options: ReaderThreadsOptions = {},
  ) {
    this.maxThreads = Math.max(1, options.maxThreads ?? 4);
    this.idleMs = options.idleMs ?? IDLE_MS;
    this.slowUs = options.slowUs ?? SLOW_US;
    this.windowSize = options.windowPaths ?? WINDOW_PATHS;
    // No flags of this process: a read loop needs none, and some (--input-type) fail a worker.
    this.startWorker = options.startWorker ?? ((url) => new Worker(url, { execArgv: [] }));
  }

  /** False where the compiled worker is not there (the sources run directly, as in the unit tests). */
  get available(): boolean {
    this.availability ??= fs.existsSync(fileURLToPath(this.workerUrl));
    return this.availability;
  }

  /** Threads started and not stopped. */
  get threads(): number {
    return this.readers.length;
  }

  /** Threads that answer now (started and running). */
  get reading(): number {
    return this.readers.filter((r) => r.online).length;
  }

  readFiles(files: readonly string[], maxBytes: number): Promise<Outcome<Buffer>[]> {
    return this.answer('read', files, maxBytes) as Promise<Outcome<Buffer>[]>;
  }

  inspect(targets: readonly string[], options?: InspectOptions): Promise<Outcome<EntryInfo>[]> {
    if (options?.aside === true) return this.answerAside('inspect', targets, 0) as Promise<Outcome<EntryInfo>[]>;
    return this.answer('inspect', targets, 0) as Promise<Outcome<EntryInfo>[]>;
  }

  /** Stops every thread now; what they were asked is read here instead. */
  async close(): Promise<void> {
    const readers = this.readers;
    this.readers = [];
    await Promise.all(readers.map((r) => r.worker.terminate()));
  }

  private async answer(op: ReadOp, paths: readonly string[], maxBytes: number): Promise<Outcome<unknown>[]> {
    if (paths.length < MIN_OFF_THREAD || this.failed || !this.available || !this.slow) return this.readHere(op, paths, maxBytes);
    this.startReaders();
    const online = this.readers.filter((r) => r.online);
    if (online.length === 0) return this.readHere(op, paths, maxBytes);
    // lstats are asked for by a caller that waits for them with nothing else to do (the blobs'
    // inspection): this thread reads a share too. Reads are asked for a batch ahead (the sweep): all
    // go to the readers, and this thread works on the batch before meanwhile.
    const shares = op === 'inspect' ? online.length + 1 : online.length;
    const size = Math.ceil(paths.length / shares);
    const sent = online.map((reader, i) => this.send(reader, op, paths.slice(i * size, (i + 1) * size), maxBytes));
    const here = shares > online.length ? this.readHere(op, paths.slice(online.length * size), maxBytes) : [];
    return [...(await Promise.all(sent)).flat(), ...here];
  }

  /** The whole request to one thread (started if need be: a message waits for it to start), else here. */
  private async answerAside(op: ReadOp, paths: readonly string[], maxBytes: number): Promise<Outcome<unknown>[]> {
    if (paths.length < MIN_OFF_THREAD || this.failed || !this.available) return this.readHere(op, paths, maxBytes);
    this.startReaders(1);
    const [reader] = this.readers;
    return reader === undefined ? this.readHere(op, paths, maxBytes) : this.send(reader, op, paths, maxBytes, true);
  }

  /** Reads on this thread, timed: a slow disk is seen here too. */
  private readHere(op: ReadOp, paths: readonly string[], maxBytes: number): Outcome<unknown>[] {
    const start = performance.now();
    const outcomes = readHere(op, paths, maxBytes);
    if (paths.length >= MIN_OFF_THREAD) this.learn(performance.now() - start, paths.length);
    return outcomes;
  }

  /** Judged over windows of WINDOW_PATHS paths: one batch caught by a GC pause says nothing. */
  private learn(ms: number, paths: number): void {
    this.windowMs += ms;
    this.windowPaths += paths;
    if (this.windowPaths < this.windowSize) return;
    this.slow = (this.windowMs * 1000) / this.windowPaths > this.slowUs;
    this.windowMs = 0;
    this.windowPaths = 0;
  }

  private send(reader: Reader, op: ReadOp, paths: readonly string[], maxBytes: number, aside = false): Promise<Outcome<unknown>[]> {
    if (paths.length === 0) return Promise.resolve([]);
    const request: ReadRequest = { id: this.nextId++, op, paths, maxBytes };
    return new Promise((settle) => {
      clearTimeout(reader.idle);
      reader.pending.set(request.id, { request, settle, aside });
      // Held open only while an answer is awaited: idle readers never keep the process alive.
      reader.worker.ref();
      reader.worker.postMessage(request);
    });
  }

  /** Every thread, each started once (again after one stopped idle), until starting keeps failing. */
  private startReaders(count = this.maxThreads): void {
    while (this.readers.length < Math.min(count, this.maxThreads)) {
      try {
        this.readers.push(this.started());
      } catch {
        // No thread can start here (a permission model without workers, no resources): read here from now on.
        this.failed = this.readers.length === 0;
        return;
      }
    }
  }

  private started(): Reader {
    const worker = this.startWorker(this.workerUrl);
    const reader: Reader = { worker, online: false, answered: false, pending: new Map() };
    worker.on('online', () => {
      reader.online = true;
    });
    worker.on('message', ({ id, outcomes, ms }: ReadAnswer) => {
      const pending = reader.pending.get(id);
      reader.pending.delete(id);
      if (reader.pending.size === 0) this.idleLater(reader);
      if (pending === undefined) return;
      reader.answered = true;
      this.deathsBeforeAnswer = 0;
      if (outcomes.length > 0 && !pending.aside) this.learn(ms, outcomes.length);
      const { op } = pending.request;
      pending.settle(outcomes.map((o) => fromWire(op, o)));
    });
    // A thread that stops takes nothing with it: its requests are read again here.
    const lost = () => {
      // Threads that keep dying before they answer (a worker that cannot load here): none are started again.
      if (this.readers.includes(reader) && !reader.answered && ++this.deathsBeforeAnswer >= MAX_DEATHS_BEFORE_ANSWER) this.failed = true;
      this.readers = this.readers.filter((r) => r !== reader);
      clearTimeout(reader.idle);
      for (const { request, settle } of reader.pending.values()) settle(readHere(request.op, request.paths, request.maxBytes));
      reader.pending.clear();
    };
    worker.on('error', lost);
    worker.on('exit', lost);
    // After the listeners: adding a 'message' listener refs a worker again (a run would never exit).
    worker.unref();
    return reader;
  }

  /**
   * Stops the thread unless asked again within idleMs. Its own function: a
   * timer made in the message handler shared the handler's closure scope,
   * and so held the last answered request (its paths, and through its
   * settle the answers) until it fired: on `large` apply's 712,467 planned
   * blobs, ~500 MB.
   */
  private idleLater(reader: Reader): void {
    reader.worker.unref();
    reader.idle = setTimeout(() => void this.stop(reader), this.idleMs).unref();
  }

  private async stop(reader: Reader): Promise<void> {
    if (reader.pending.size > 0) return;
    this.readers = this.readers.filter((r) => r !== reader);
    await reader.worker.terminate();
  }
}

function readHere(op: ReadOp, paths: readonly string[], maxBytes: number): Outcome<unknown>[] {
  return op === 'read' ? answerEach(paths, (p) => nodeFileSystem.read(p, maxBytes)) : answerEach(paths, (p) => nodeFileSystem.entry(p));
}
