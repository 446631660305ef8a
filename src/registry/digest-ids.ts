/**
 * One small integer per distinct digest of a run, and the digest's bytes
 * instead of its string.
 *
 * A run holds every digest of the registry at once: the blob listing, every
 * manifest's references, every repository's layer links (on the `large`
 * benchmark tree, 968,752 distinct digests were 81 MB of strings at ~88 bytes
 * each: half of the live heap when marking starts). Here a sha256 digest is
 * its 32 raw bytes in fixed chunks of one buffer each, found again through an
 * open-addressing index; the structures of a run hold ids, and sets of ids
 * are bit sets (DigestBits). A digest string is built again only where one
 * is reported or becomes a path.
 *
 * sha384 and sha512 digests (rare: the registry writes sha256) are kept as
 * strings beside the table, under ids of the same sequence.
 */
import type { Digest } from './digest.js';

/** An id of a DigestIds table: valid only with the table that gave it. */
export type DigestId = number & { readonly __digestId: unique symbol };

const PREFIX = 'sha256:';
const SHA256_LENGTH = PREFIX.length + 64;
const BYTES = 32;
const WORDS = BYTES / 4;
const EMPTY = -1;
/**
 * Ids per chunk of bytes (1 MiB). Fixed chunks, never grown by copying: a
 * freed buffer of tens of MB stays in the C heap's RSS (glibc raises its
 * mmap threshold after the first one is freed), measured at ~40 MB on `large`.
 */
const CHUNK_BITS = 15;
const CHUNK_IDS = 1 << CHUNK_BITS;
const HEX_CODES = Buffer.from('0123456789abcdef', 'latin1');
/** Each lower-case hex digit's value by character code; -1 for every other character below 128. */
const HEX_VALUES = new Int8Array(128).fill(-1);
for (let i = 0; i < 16; i++) HEX_VALUES[HEX_CODES[i]!] = i;

export class DigestIds {
  /** Raw sha256 bytes, 32 per id (unused for ids of other algorithms), CHUNK_IDS ids a chunk. */
  private readonly chunks: Uint8Array[] = [];
  private readonly chunkWords: Int32Array[] = [];
  /** Open addressing: each slot holds an id or EMPTY; at most half full. */
  private slots = new Int32Array(2048).fill(EMPTY);
  private count = 0;
  private readonly others = new Map<string, DigestId>();
  private readonly otherDigests = new Map<DigestId, Digest>();
  private readonly scratch = Buffer.alloc(BYTES);
  private readonly text = Buffer.from(PREFIX.padEnd(SHA256_LENGTH, '0'), 'latin1');
  private readonly scratchWords = new Int32Array(this.scratch.buffer, this.scratch.byteOffset, WORDS);
  /** sharedDigest's strings while few ids have one (a Map entry costs ~4 array slots)... */
  private sharedFew: Map<DigestId, Digest> | undefined = new Map();
  /** ...then by id, CHUNK_IDS ids a chunk, made on first use. */
  private readonly shared: Array<Array<Digest | undefined>> = [];
  /** Per table: slot order cannot be steered by chosen digest prefixes across runs. */
  private readonly seed = (Math.random() * 0x7fffffff) | 0;

  /** The digest's id, given now if it has none yet. */
  id(digest: Digest): DigestId {
    if (!this.isSha256(digest)) return this.otherId(digest, true)!;
    this.load(digest);
    return this.idOfScratch();
  }

  /**
   * The id of `sha256:<hex>` for a folder name `hex`, given now if it has
   * none yet; undefined when `hex` is not 64 lower-case hex digits (the
   * caller reports it). The blob listing's path: no digest string is built.
   */
  idOfSha256Hex(hex: string): DigestId | undefined {
    if (hex.length !== 2 * BYTES || !this.decode(hex, 0)) return undefined;
    return this.idOfScratch();
  }

  private idOfScratch(): DigestId {
    const slot = this.slotOf();
    const found = this.slots[slot]!;
    if (found !== EMPTY) return found as DigestId;
    return this.insert(slot);
  }

  /** The digest's id if it has one; never gives one. */
  find(digest: Digest): DigestId | undefined {
    if (!this.isSha256(digest)) return this.otherId(digest, false);
    this.load(digest);
    const found = this.slots[this.slotOf()]!;
    return found === EMPTY ? undefined : (found as DigestId);
  }

  /** The digest string of an id (a new string each call). */
  digest(id: DigestId): Digest {
    const other = this.otherDigests.size === 0 ? undefined : this.otherDigests.get(id);
    if (other !== undefined) return other;
    const chunk = this.chunks[id >>> CHUNK_BITS]!;
    const start = (id & (CHUNK_IDS - 1)) * BYTES;
    // Hex written into one buffer, read as one flat string: no view, no pair of strings per call.
    const text = this.text;
    for (let i = 0; i < BYTES; i++) {
      const byte = chunk[start + i]!;
      text[PREFIX.length + 2 * i] = HEX_CODES[byte >>> 4]!;
      text[PREFIX.length + 2 * i + 1] = HEX_CODES[byte & 15]!;
    }
    return text.toString('latin1') as Digest;
  }

  /**
   * The digest string of an id, the same string on every call: for what a
   * report lists more than once. On `large` a `-m` run reports 712,467
   * blobs and 567,919 layer links, nearly all links of those blobs: one
   * string each (~88 bytes) instead of two was ~50 MB of its heap.
   */
  sharedDigest(id: DigestId): Digest {
    const few = this.sharedFew;
    if (few !== undefined) {
      let digest = few.get(id);
      if (digest === undefined) {
        digest = this.digest(id);
        few.set(id, digest);
        // A dry run asks for a few (its unmarked blobs); a -m run for most of the table.
        if (few.size * 4 > this.count) this.shareByChunks(few);
      }
      return digest;
    }
    return (this.sharedChunk(id)[id & (CHUNK_IDS - 1)] ??= this.digest(id));
  }

  private shareByChunks(few: Map<DigestId, Digest>): void {
    this.sharedFew = undefined;
    for (const [id, digest] of few) this.sharedChunk(id)[id & (CHUNK_IDS - 1)] = digest;
  }

  private sharedChunk(id: DigestId): Array<Digest | undefined> {
    return (this.shared[id >>> CHUNK_BITS] ??= new Array<Digest | undefined>(CHUNK_IDS).fill(undefined));
  }

  /** Ids given so far: every id is below it. */
  get size(): number {
    return this.count;
  }

  private isSha256(digest: Digest): boolean {
    return digest.length === SHA256_LENGTH && digest.startsWith(PREFIX);
  }

  private otherId(digest: Digest, give: boolean): DigestId | undefined {
    const known = this.others.get(digest);
    if (known !== undefined || !give) return known;
    const id = this.next();
    this.others.set(digest, id);
    this.otherDigests.set(id, digest);
    return id;
  }

  /**
   * The digest's bytes into the scratch buffer. Digests are validated before
   * they get here; one that is not hex would stop the write short and take
   * the id of whatever digest the scratch held before, so it is refused.
   */
  private load(digest: Digest): void {
    if (!this.decode(digest, PREFIX.length)) throw new TypeError(`not a digest: ${JSON.stringify(digest)}`);
  }

  /**
   * The 64 hex digits of `text` from `start` into the scratch bytes; false
   * (the scratch then undefined) when one is not lower-case hex. Decoded
   * here rather than by Buffer.write, which needed a slice of the string
   * per call and stops short silently: about half of the id's cost.
   */
  private decode(text: string, start: number): boolean {
    const scratch = this.scratch;
    let invalid = 0;
    for (let i = 0, at = start; i < BYTES; i++, at += 2) {
      const high = text.charCodeAt(at);
      const low = text.charCodeAt(at + 1);
      // A code of 128 or more is no hex digit, and neither is NaN (past the end of the text).
      const h = high < 128 ? HEX_VALUES[high]! : -1;
      const l = low < 128 ? HEX_VALUES[low]! : -1;
      invalid |= h | l;
      scratch[i] = (h << 4) | l;
    }
    return invalid >= 0;
  }

  /** The slot holding the scratch digest, or the empty slot where it belongs. */
  private slotOf(): number {
    const mask = this.slots.length - 1;
    const key = this.scratchWords;
    // Every word counts: digests sharing a prefix (subjects need not exist, so they can be chosen) still spread.
    let slot = this.seed;
    for (let i = 0; i < WORDS; i++) slot = Math.imul(slot ^ key[i]!, 0x9e3779b1) ^ (slot >>> 15);
    slot = (slot ^ (slot >>> 13)) & mask;
    for (;;) {
      const id = this.slots[slot]!;
      if (id === EMPTY || this.equals(id)) return slot;
      slot = (slot + 1) & mask;
    }
  }

  private equals(id: number): boolean {
    const words = this.chunkWords[id >>> CHUNK_BITS]!;
    const base = (id & (CHUNK_IDS - 1)) * WORDS;
    const key = this.scratchWords;
    for (let i = 0; i < WORDS; i++) if (words[base + i] !== key[i]) return false;
    return true;
  }

  private insert(slot: number): DigestId {
    const id = this.next();
    this.chunks[id >>> CHUNK_BITS]!.set(this.scratch, (id & (CHUNK_IDS - 1)) * BYTES);
    this.slots[slot] = id;
    if (this.count * 2 > this.slots.length) this.rehash();
    return id;
  }

  private next(): DigestId {
    if (this.count === this.chunks.length * CHUNK_IDS) {
      const chunk = new Uint8Array(CHUNK_IDS * BYTES);
      this.chunks.push(chunk);
      this.chunkWords.push(new Int32Array(chunk.buffer));
    }
    return this.count++ as DigestId;
  }

  /** Doubles the index; every sha256 id goes into its new slot. */
  private rehash(): void {
    this.slots = new Int32Array(this.slots.length * 2).fill(EMPTY);
    for (let id = 0; id < this.count; id++) {
      if (this.otherDigests.has(id as DigestId)) continue;
      const start = (id & (CHUNK_IDS - 1)) * BYTES;
      this.scratch.set(this.chunks[id >>> CHUNK_BITS]!.subarray(start, start + BYTES));
      this.slots[this.slotOf()] = id;
    }
  }
}

/** Ids of one table, 4 bytes each (a Uint32Array): a layer-link list, a blob prefix's listing. */
export interface DigestIdList extends Iterable<DigestId> {
  readonly length: number;
  readonly [index: number]: DigestId;
}

/** The ids of `digests` (given now where they have none), as a list. */
export function idList(ids: DigestIds, digests: readonly Digest[]): DigestIdList {
  const list = new Uint32Array(digests.length);
  for (let i = 0; i < digests.length; i++) list[i] = ids.id(digests[i]!);
  return list as unknown as DigestIdList;
}

/** A set of ids of one table, one bit each. */
export class DigestBits {
  private bits = new Uint32Array(1024);
  private count = 0;

  add(id: DigestId): void {
    const word = id >>> 5;
    if (word >= this.bits.length) this.grow(word);
    const bit = 1 << (id & 31);
    if ((this.bits[word]! & bit) !== 0) return;
    this.bits[word]! |= bit;
    this.count++;
  }

  /** False for an id this set never held, and for no id at all. */
  has(id: DigestId | undefined): boolean {
    if (id === undefined) return false;
    const word = id >>> 5;
    return word < this.bits.length && (this.bits[word]! & (1 << (id & 31))) !== 0;
  }

  delete(id: DigestId | undefined): void {
    if (!this.has(id)) return;
    this.bits[id! >>> 5]! &= ~(1 << (id! & 31));
    this.count--;
  }

  get size(): number {
    return this.count;
  }

  clear(): void {
    this.bits = new Uint32Array(0);
    this.count = 0;
  }

  private grow(word: number): void {
    let length = Math.max(this.bits.length * 2, 1024);
    while (length <= word) length *= 2;
    const bigger = new Uint32Array(length);
    bigger.set(this.bits);
    this.bits = bigger;
  }
}
