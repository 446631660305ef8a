/** Grouping planned items (observe.ts, planned-decision.ts): lists grown in place, one per key. */

/** Adds `value` to the list under `key`. */
export function addTo<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [value]);
  else list.push(value);
}
