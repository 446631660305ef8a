/**
 * The CLI's JSON (`--json`, `--output`), written in pieces: exactly the text
 * of `JSON.stringify(value, null, 2)` and a newline, never held whole.
 *
 * Why: the report of a run that deletes 150,000 items is ~46 MB of JSON
 * (an apply's, which lists its items twice). As one string it was built,
 * encoded and written at once, at the end of the run: ~0.3 s of an apply's
 * wall on `standard`, and that string and its buffer at the peak of memory.
 * In pieces of about a megabyte, each is written and dropped.
 *
 * Containers are walked as JSON.stringify walks them (own enumerable keys
 * in order; undefined, functions and symbols skipped in objects, null in
 * arrays); an object that holds no container, or that has toJSON, is
 * written by JSON.stringify itself (a toJSON is then called with the key
 * "", not its property's name, and an element of a run of small elements
 * with its index in that run: Date's, the one a report could hold, ignores it).
 */

/** About this many characters per piece written. */
const PIECE = 1 << 20;

const INDENT = '  ';

/** Calls `write` with the pieces of `JSON.stringify(value, null, 2) + "\n"`, in order. */
export function writeJsonText(value: unknown, write: (text: string) => void): void {
  let pending = '';
  const emit = (text: string) => {
    pending += text;
    if (pending.length >= PIECE) {
      write(pending);
      pending = '';
    }
  };
  emitValue(value, '', emit);
  write(`${pending}\n`);
}

const skipped = (value: unknown) => value === undefined || typeof value === 'function' || typeof value === 'symbol';

/** What is walked here; anything else (a primitive, a boxed one, an object with toJSON) JSON.stringify writes. */
function isContainer(value: unknown): value is object {
  if (typeof value !== 'object' || value === null || typeof (value as { toJSON?: unknown }).toJSON === 'function') return false;
  return !(value instanceof Number || value instanceof String || value instanceof Boolean);
}

/** A container with no container inside: one JSON.stringify call is as good as a walk. */
function isLeaf(value: object): boolean {
  if (Array.isArray(value)) return value.length <= 8 && !value.some(isContainer);
  for (const key in value) if (Object.hasOwn(value, key) && isContainer((value as Record<string, unknown>)[key])) return false;
  return true;
}

function emitValue(value: unknown, indent: string, emit: (text: string) => void): void {
  if (!isContainer(value) || isLeaf(value)) {
    // Undefined at the top prints as the word, as `${JSON.stringify(undefined)}` does.
    const text = String(JSON.stringify(value, null, 2));
    emit(indent === '' ? text : text.replaceAll('\n', `\n${indent}`));
    return;
  }
  const inner = indent + INDENT;
  if (Array.isArray(value)) {
    if (value.length === 0) return emit('[]');
    emit('[');
    // An index loop, not forEach: a hole prints as null, as JSON.stringify prints it.
    for (let i = 0; i < value.length; ) {
      const run = leafRun(value, i);
      if (run > 0) {
        emitLeaves(value.slice(i, i + run), i === 0, indent, emit);
        i += run;
        continue;
      }
      emit(`${i === 0 ? '' : ','}\n${inner}`);
      emitValue(value[i], inner, emit);
      i++;
    }
    return emit(`\n${indent}]`);
  }
  const entries = Object.entries(value).filter(([, v]) => !skipped(v));
  if (entries.length === 0) return emit('{}');
  emit('{');
  entries.forEach(([key, v], i) => {
    emit(`${i === 0 ? '' : ','}\n${inner}${JSON.stringify(key)}: `);
    emitValue(v, inner, emit);
  });
  emit(`\n${indent}}`);
}

/** Elements written together by one JSON.stringify call: the report's lists hold 100,000 small objects. */
const RUN = 512;

/** How many elements from `start` on (at most RUN) JSON.stringify may write at once: skipped ones, primitives and leaves. */
function leafRun(array: readonly unknown[], start: number): number {
  let end = start;
  while (end < array.length && end - start < RUN) {
    const item = array[end];
    if (!skipped(item) && isContainer(item) && !isLeaf(item)) break;
    end++;
  }
  return end - start;
}

/**
 * Elements as JSON.stringify writes them inside their array at `indent`:
 * the text of the run as an array of its own, without its brackets (a
 * skipped element prints null there too, as in the whole array). The run
 * is stringified nested in as many arrays as `indent` has levels, so that
 * JSON.stringify itself indents it: re-indenting its text afterwards was a
 * second pass over every character, most of this function's time.
 */
function emitLeaves(run: readonly unknown[], first: boolean, indent: string, emit: (text: string) => void): void {
  const depth = indent.length / INDENT.length;
  let nested: unknown = run;
  for (let level = 0; level < depth; level++) nested = [nested];
  const text = JSON.stringify(nested, null, INDENT);
  // "[\n  [\n    [" before the run's first element, "\n    ]\n  ]\n]" after its last: depth + 1 brackets each side.
  const indents = INDENT.length * ((depth * (depth + 1)) / 2); // the indents of levels 1 to depth, once each
  const before = depth + 1 + depth + indents;
  const after = 2 * (depth + 1) + indents;
  emit(`${first ? '' : ','}${text.slice(before, text.length - after)}`);
}
