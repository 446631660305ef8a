/**
 * The manifests of a run, each read at most once: the same manifest often
 * serves many repositories, tags and indexes. The scan reads every revision
 * and tag target (on its thread, through the synchronous reader) and hands
 * the reads over; then `readReachable` reads, in batches through the storage
 * seam, every child manifest those name that is not read yet, until none is
 * left. Marking then finds every manifest it can walk to in memory, and
 * reads nothing.
 *
 * A store holds every manifest of the registry until marking is done
 * (200,000 on the `large` benchmark tree): what it keeps of each is its
 * references only, as ids of the run's DigestIds, not as strings.
 */
import type { Digest } from '../registry/digest.js';
import type { DigestId, DigestIds } from '../registry/digest-ids.js';
import type { Storage, TreeReader } from '../storage/storage.js';
import type { RegistryLayout } from '../registry/layout.js';
import { interpretManifest, readManifest, type BadRead, type ManifestRead } from './manifest-read.js';

/** A manifest as the store tells it: its references as ids (views into the store's arena). */
export type StoredManifest =
  | { readonly state: 'ok'; readonly blobs: Iterable<DigestId>; readonly children: Iterable<DigestId>; readonly subject: DigestId | undefined }
  | { readonly state: 'missing' }
  | BadRead;

const MISSING: StoredManifest = Object.freeze({ state: 'missing' });
const UNREAD: StoredManifest = Object.freeze({ state: 'bad', code: 'manifest_unread', message: 'manifest was not read before marking', subject: 'unknown' });

/** Child manifests read per storage call. */
const READ_BATCH = 256;
const NOT_READ = -1;
const NO_SUBJECT = -1;
const OK = 0;
const GONE = 1;
const BAD = 2;

/**
 * Every read in typed arrays: per read ("record") its state, where its
 * references start in one arena of ids, how many are blobs and how many
 * children, and its subject. On `large` that is about 14 MB where one object
 * and one or two arrays per manifest, in a Map, were about 60.
 */
export class ManifestStore {
  /** Per digest id, its record, or NOT_READ. */
  private recordOf = new Int32Array(1024).fill(NOT_READ);
  private states = new Uint8Array(1024);
  private starts = new Uint32Array(1024);
  private blobCounts = new Uint32Array(1024);
  private childCounts = new Uint32Array(1024);
  private subjects = new Int32Array(1024);
  private records = 0;
  private arena = new Uint32Array(4096);
  private used = 0;
  private readonly bad = new Map<number, BadRead>();

  constructor(
    private readonly layout: RegistryLayout,
    private readonly maxBytes: number,
    /** The run's ids: every digest this store holds is one of them. */
    readonly ids: DigestIds,
  ) {}

  /** Reads the manifest now through `reader`, unless it was read before. */
  read(reader: TreeReader, digest: Digest): void {
    const id = this.ids.id(digest);
    if (!this.has(id)) this.keep(id, readManifest(reader, this.layout, digest, this.maxBytes));
  }

  /**
   * What was read of the manifest. One never read (which readReachable rules
   * out for anything marking walks to) is uncertain, as a manifest that
   * cannot be read is: marking must not guess.
   */
  get(id: DigestId): StoredManifest {
    if (!this.has(id)) return UNREAD;
    const record = this.recordOf[id]!;
    const state = this.states[record];
    if (state === GONE) return MISSING;
    if (state === BAD) return this.bad.get(record)!;
    const start = this.starts[record]!;
    const blobsEnd = start + this.blobCounts[record]!;
    const subject = this.subjects[record]!;
    return {
      state: 'ok',
      blobs: this.arena.subarray(start, blobsEnd) as Iterable<number> as Iterable<DigestId>,
      children: this.arena.subarray(blobsEnd, blobsEnd + this.childCounts[record]!) as Iterable<number> as Iterable<DigestId>,
      subject: subject === NO_SUBJECT ? undefined : (subject as DigestId),
    };
  }

  private has(id: DigestId): boolean {
    return id < this.recordOf.length && this.recordOf[id] !== NOT_READ;
  }

  /** Reads every child manifest of a manifest read so far, to the end of the chains, in batches. */
  async readReachable(storage: Storage, signal?: AbortSignal): Promise<void> {
    let wanted = this.unreadChildren(0);
    while (wanted.length > 0) {
      signal?.throwIfAborted();
      // A child named by several manifests may be wanted more than once: read once.
      const batch = [...new Set(wanted.splice(0, READ_BATCH))].filter((id) => !this.has(id));
      const outcomes = await storage.readFiles(
        batch.map((id) => this.layout.blobData(this.ids.digest(id))),
        this.maxBytes,
      );
      const first = this.records;
      outcomes.forEach((outcome, i) => this.keep(batch[i]!, interpretManifest(outcome, this.maxBytes)));
      wanted.push(...this.unreadChildren(first));
    }
  }

  /** The children, not read yet, of the records from `first` on. */
  private unreadChildren(first: number): DigestId[] {
    const wanted = new Set<DigestId>();
    for (let record = first; record < this.records; record++) {
      if (this.states[record] !== OK) continue;
      const start = this.starts[record]! + this.blobCounts[record]!;
      const end = start + this.childCounts[record]!;
      for (let i = start; i < end; i++) {
        const child = this.arena[i]! as DigestId;
        if (!this.has(child)) wanted.add(child);
      }
    }
    return [...wanted];
  }

  /** Takes reads made by a scan chunk (on this thread or a worker) as if made here. */
  add(entries: Iterable<readonly [Digest, ManifestRead]>): void {
    for (const [digest, read] of entries) {
      const id = this.ids.id(digest);
      if (!this.has(id)) this.keep(id, read);
    }
  }

  /** Forgets every read (memory), once marking is done. */
  clear(): void {
    this.recordOf = new Int32Array(0);
    this.states = new Uint8Array(0);
    this.starts = new Uint32Array(0);
    this.blobCounts = new Uint32Array(0);
    this.childCounts = new Uint32Array(0);
    this.subjects = new Int32Array(0);
    this.arena = new Uint32Array(0);
    this.records = 0;
    this.used = 0;
    this.bad.clear();
  }

  /** Path of the manifest's blob, for messages. */
  pathOf(id: DigestId): string {
    return this.layout.blobData(this.ids.digest(id));
  }

  /** A new record for `id`: the read, its references as ids of the run. */
  private keep(id: DigestId, read: ManifestRead): void {
    const record = this.records++;
    this.fitRecords(record + 1);
    this.fitIds(id + 1);
    this.recordOf[id] = record;
    if (read.state !== 'ok') {
      this.states[record] = read.state === 'missing' ? GONE : BAD;
      if (read.state === 'bad') this.bad.set(record, read);
      return;
    }
    const { blobs, children, subject } = read;
    this.fitArena(this.used + blobs.length + children.length);
    this.states[record] = OK;
    this.starts[record] = this.used;
    this.blobCounts[record] = blobs.length;
    this.childCounts[record] = children.length;
    for (const d of blobs) this.arena[this.used++] = this.ids.id(d);
    for (const d of children) this.arena[this.used++] = this.ids.id(d);
    this.subjects[record] = subject === undefined ? NO_SUBJECT : this.ids.id(subject);
  }

  private fitIds(length: number): void {
    if (length <= this.recordOf.length) return;
    const bigger = new Int32Array(grown(this.recordOf.length, length)).fill(NOT_READ);
    bigger.set(this.recordOf);
    this.recordOf = bigger;
  }

  private fitRecords(length: number): void {
    if (length <= this.states.length) return;
    const size = grown(this.states.length, length);
    this.states = copied(this.states, new Uint8Array(size));
    this.starts = copied(this.starts, new Uint32Array(size));
    this.blobCounts = copied(this.blobCounts, new Uint32Array(size));
    this.childCounts = copied(this.childCounts, new Uint32Array(size));
    this.subjects = copied(this.subjects, new Int32Array(size));
  }

  private fitArena(length: number): void {
    if (length > this.arena.length) this.arena = copied(this.arena, new Uint32Array(grown(this.arena.length, length)));
  }
}

/** Doubling, from at least 1024, until `needed` fits. */
function grown(current: number, needed: number): number {
  let size = Math.max(current, 1024);
  while (size < needed) size *= 2;
  return size;
}

function copied<T extends Uint8Array | Uint32Array | Int32Array>(from: T, to: T): T {
  to.set(from);
  return to;
}
