/**
 * A small, fast, seeded PRNG (sfc32, seeded through splitmix32) and the draws
 * the generator needs. Everything the generator decides comes from one
 * stream in one fixed order, so the same seed gives a byte-identical tree.
 */

export type Range = readonly [min: number, max: number];

/** A class of sizes, drawn log-uniformly in [min, max] with relative `weight`. */
export interface SizeClass {
  readonly weight: number;
  readonly min: number;
  readonly max: number;
}

function splitmix32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x9e3779b9) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
}

export class Prng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    const init = splitmix32(seed);
    this.a = init();
    this.b = init();
    this.c = init();
    this.d = init();
    for (let i = 0; i < 16; i++) this.u32();
  }

  /** sfc32: a uniformly distributed unsigned 32-bit integer. */
  u32(): number {
    const t = (((this.a + this.b) >>> 0) + this.d) >>> 0;
    this.d = (this.d + 1) >>> 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) >>> 0;
    this.c = ((this.c << 21) | (this.c >>> 11)) >>> 0;
    this.c = (this.c + t) >>> 0;
    return t;
  }

  /** Uniform in [0, 1). */
  float(): number {
    return this.u32() / 4294967296;
  }

  /** Uniform integer in [min, max], both included. */
  int(min: number, max: number): number {
    return min + Math.floor(this.float() * (max - min + 1));
  }

  range(r: Range): number {
    return this.int(r[0], r[1]);
  }

  chance(p: number): boolean {
    return this.float() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('pick from an empty list');
    return items[this.int(0, items.length - 1)] as T;
  }

  /** `floor(mean)` plus one more with probability `frac(mean)`: a count with the given mean. */
  count(mean: number): number {
    const whole = Math.floor(mean);
    return whole + (this.chance(mean - whole) ? 1 : 0);
  }

  hex(chars: number): string {
    let out = '';
    while (out.length < chars) out += this.u32().toString(16).padStart(8, '0');
    return out.slice(0, chars);
  }

  /** Fills `target` with pseudo-random bytes (whole 32-bit words, little-endian). */
  fill(target: Uint8Array): void {
    if (target.byteOffset % 4 !== 0) {
      const aligned = new Uint8Array(target.byteLength);
      this.fill(aligned);
      target.set(aligned);
      return;
    }
    const words = Math.floor(target.byteLength / 4);
    const view = new Uint32Array(target.buffer, target.byteOffset, words);
    for (let i = 0; i < words; i++) view[i] = this.u32();
    for (let i = words * 4; i < target.byteLength; i++) target[i] = this.u32() & 0xff;
  }

  /** A size drawn from weighted classes, log-uniform inside the class. */
  size(classes: readonly SizeClass[]): number {
    const total = classes.reduce((sum, c) => sum + c.weight, 0);
    let roll = this.float() * total;
    let chosen = classes[classes.length - 1];
    for (const c of classes) {
      if (roll < c.weight) {
        chosen = c;
        break;
      }
      roll -= c.weight;
    }
    if (chosen === undefined) throw new RangeError('no size classes');
    const u = this.float();
    return Math.floor(chosen.min * Math.pow(chosen.max / chosen.min, u));
  }

  /** A random (version 4) UUID, as the registry names uploads. */
  uuid(): string {
    const h = this.hex(32).split('');
    h[12] = '4';
    h[16] = ((parseInt(h[16] ?? '0', 16) & 0x3) | 0x8).toString(16);
    const s = h.join('');
    return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`;
  }
}

/** Largest size any of the classes can draw. */
export function maxSize(classes: readonly SizeClass[]): number {
  return classes.reduce((max, c) => Math.max(max, c.max), 0);
}
