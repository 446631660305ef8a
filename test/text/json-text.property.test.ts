/**
 * The CLI's JSON written in pieces is the text of JSON.stringify(value, null, 2)
 * and a newline, byte for byte, whatever the value holds.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { writeJsonText } from '../../src/text/json-text.js';

const written = (value: unknown): { text: string; pieces: number } => {
  const pieces: string[] = [];
  writeJsonText(value, (piece) => pieces.push(piece));
  return { text: pieces.join(''), pieces: pieces.length };
};

describe('writeJsonText', () => {
  it('writes exactly what JSON.stringify with two spaces writes, and a newline', () => {
    // Values JSON.stringify treats specially, nested anywhere: undefined, functions, symbols, dates, boxed primitives, holes.
    const odd = fc.constantFrom(undefined, () => 1, Symbol('s'), new Date(0), new Number(2), new String('s'), new Boolean(false), Number.NaN, -0, '\u2028"\\');
    const { value } = fc.letrec((tie) => ({
      value: fc.oneof({ depthSize: 'small' }, fc.jsonValue(), odd, tie('array'), tie('object')),
      array: fc.array(tie('value'), { maxLength: 12 }),
      object: fc.dictionary(fc.string(), tie('value'), { maxKeys: 6 }),
    }));
    fc.assert(
      fc.property(value, (v) => {
        expect(written(v).text).toBe(`${JSON.stringify(v, null, 2)}\n`);
      }),
      { numRuns: 1500 },
    );
  });

  it('writes a sparse array as JSON.stringify does, holes as null', () => {
    const sparse = [1, , { a: [2, , 3] }, ...Array.from({ length: 9 }, (_, i) => ({ i }))]; // eslint-disable-line no-sparse-arrays
    expect(written(sparse).text).toBe(`${JSON.stringify(sparse, null, 2)}\n`);
  });

  it('writes long arrays that mix small objects, nested ones and skipped values across its runs of elements', () => {
    const mixed = Array.from({ length: 1_300 }, (_, i) =>
      i % 97 === 0 ? { nested: { deep: [i, { i }] } } : i % 89 === 0 ? undefined : i % 83 === 0 ? [[i]] : i % 7 === 0 ? `s${i}` : { i, at: new Date(i) },
    );
    fc.assert(
      fc.property(fc.integer({ min: 0, max: mixed.length }), fc.integer({ min: 0, max: 3 }), (cut, depth) => {
        let value: unknown = mixed.slice(cut);
        for (let d = 0; d < depth; d++) value = { list: value, n: d };
        expect(written(value).text).toBe(`${JSON.stringify(value, null, 2)}\n`);
      }),
      { numRuns: 60 },
    );
  });

  it('writes a large report in pieces of about a megabyte, not as one string', () => {
    const report = { blobs: { deleted: Array.from({ length: 60_000 }, (_, i) => ({ digest: `sha256:${i.toString(16).padStart(64, '0')}`, size: i })) } };
    const { text, pieces } = written(report);
    expect(text).toBe(`${JSON.stringify(report, null, 2)}\n`);
    expect(pieces).toBeGreaterThanOrEqual(Math.floor(text.length / (1 << 20)));
    expect(pieces).toBeGreaterThan(3);
  });
});
