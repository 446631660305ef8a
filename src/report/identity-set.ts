/**
 * A map (and a set) of items by identity (report/kinds.ts: the fields that
 * name an item on disk), without making identity strings: a Map per
 * identity field, nested in the kind's field order, keyed by the field
 * values themselves.
 *
 * Why: apply asks "is this one approved?" of every candidate its sweep
 * meets and "was this one deleted?" of every planned item after it. As
 * identity strings each question built and hashed a fresh ~110-character
 * key (and tested each field for JSON escapes): ~1.5 us, 0.2 s of a
 * 150,000-item apply for the gate alone. Here a question is a few lookups
 * of strings the plan and the report already hold. Nor is a key string
 * held: cached per plan item, identity strings were ~250 MB of a `large`
 * apply's heap (1.4 M items).
 *
 * Membership is exactly that of identity(): equal strings are equal; any
 * other value is compared as its JSON text (undefined as null), and never
 * equals a string.
 */
import { KINDS, type Category, type ItemFields } from './kinds.js';

type Level = Map<unknown, unknown>;

/** One key object per JSON text of a value that is not a string: distinct from every string key. */
const OTHER_VALUES = new Map<string, object>();

function keyOf(value: unknown): unknown {
  if (typeof value === 'string') return value;
  const json = JSON.stringify(value) ?? 'null';
  let key = OTHER_VALUES.get(json);
  if (key === undefined) {
    key = Object.freeze({ json });
    OTHER_VALUES.set(json, key);
  }
  return key;
}

export class IdentityMap<V> {
  private readonly roots = new Map<Category, Level>();
  private count = 0;

  /** Items in the map (each identity once). */
  get size(): number {
    return this.count;
  }

  /** Sets the value of `item`'s identity (replacing the one set before). */
  set(category: Category, item: ItemFields, value: V): this {
    const level = this.lastLevel(category, item, true)!;
    const last = lastKey(category, item);
    if (!level.has(last)) this.count++;
    level.set(last, value);
    return this;
  }

  get(category: Category, item: ItemFields): V | undefined {
    return this.lastLevel(category, item)?.get(lastKey(category, item)) as V | undefined;
  }

  has(category: Category, item: ItemFields): boolean {
    return this.lastLevel(category, item)?.has(lastKey(category, item)) === true;
  }

  /** The Map that holds (or, with `make`, is made to hold) `item`'s last identity field. */
  private lastLevel(category: Category, item: ItemFields, make = false): Level | undefined {
    const fields = KINDS[category].identity;
    let level = this.roots.get(category);
    if (level === undefined && make) this.roots.set(category, (level = new Map()));
    for (let i = 0; i < fields.length - 1 && level !== undefined; i++) {
      const key = keyOf(item[fields[i]!]);
      let next = level.get(key) as Level | undefined;
      if (next === undefined && make) level.set(key, (next = new Map()));
      level = next;
    }
    return level;
  }
}

/** The key of `item`'s last identity field, the one its value is kept under. */
function lastKey(category: Category, item: ItemFields): unknown {
  return keyOf(item[KINDS[category].identity.at(-1)!]);
}

export class IdentitySet {
  private readonly items = new IdentityMap<true>();

  /** The set of `items`, all of `category`. */
  static of(category: Category, items: Iterable<ItemFields>): IdentitySet {
    const set = new IdentitySet();
    for (const item of items) set.add(category, item);
    return set;
  }

  /** Items in the set (each identity once). */
  get size(): number {
    return this.items.size;
  }

  add(category: Category, item: ItemFields): this {
    this.items.set(category, item, true);
    return this;
  }

  has(category: Category, item: ItemFields): boolean {
    return this.items.has(category, item);
  }
}
