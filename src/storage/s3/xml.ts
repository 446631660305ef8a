/**
 * The S3 responses the collector reads: a ListObjectsV2 page, a
 * DeleteObjects result, an error. Parsed with fast-xml-parser, every value
 * kept a string (a key like `0001` or `1e5` must not become a number).
 */
import type { XMLParser } from 'fast-xml-parser';
import { xmlParserClass } from '../../dependencies.js';

// Values exactly as sent: not trimmed (a key may end in a space), not parsed as numbers.
// Made on first use: a run on a file system never loads the parser (dependencies.ts).
let parser: XMLParser | undefined;
const xmlParser = (): XMLParser =>
  (parser ??= new (xmlParserClass())({ parseTagValue: false, trimValues: false, ignoreAttributes: true, isArray: (name) => ['Contents', 'CommonPrefixes', 'Deleted', 'Error'].includes(name), processEntities: true, htmlEntities: true }));

/**
 * A key of a listing asked with `encoding-type=url`: XML 1.0 cannot carry
 * every key (control characters), so S3 sends them percent-encoded. AWS
 * writes a space as `+` (and a `+` as `%2B`); radosgw writes `%20`.
 */
const decodeKey = (value: string): string => decodeURIComponent(value.replace(/\+/g, '%20'));

export interface ListedObject {
  readonly key: string;
  readonly size: number;
  readonly lastModifiedMs: number;
  readonly etag: string;
}

export interface ListPage {
  readonly objects: ListedObject[];
  readonly prefixes: string[];
  /** Absent on the last page. */
  readonly continuationToken: string | undefined;
}

type Node = Record<string, unknown>;

const text = (value: unknown): string => (typeof value === 'string' ? value : value === undefined || value === null ? '' : String(value));

export function parseListPage(xml: string): ListPage {
  const result = (xmlParser().parse(xml) as Node)['ListBucketResult'] as Node | undefined;
  if (result === undefined) throw new Error('not a ListBucketResult');
  const encoded = text(result['EncodingType']) === 'url';
  const keyOf = (value: unknown) => (encoded ? decodeKey(text(value)) : text(value));
  const objects = ((result['Contents'] as Node[] | undefined) ?? []).map((c): ListedObject => {
    const sizeText = text(c['Size']).trim();
    const size = sizeText === '' ? Number.NaN : Number(sizeText);
    const lastModifiedMs = Date.parse(text(c['LastModified']).trim());
    if (!Number.isSafeInteger(size) || size < 0 || !Number.isFinite(lastModifiedMs)) throw new Error(`a listed object without a valid size or time: ${JSON.stringify(keyOf(c['Key']))}`);
    return { key: keyOf(c['Key']), size, lastModifiedMs, etag: text(c['ETag']) };
  });
  const prefixes = ((result['CommonPrefixes'] as Node[] | undefined) ?? []).map((p) => keyOf(p['Prefix']));
  const truncated = text(result['IsTruncated']).trim() === 'true';
  const token = text(result['NextContinuationToken']);
  if (truncated && token === '') throw new Error('a truncated listing without a continuation token');
  return { objects, prefixes, continuationToken: truncated ? token : undefined };
}

export interface DeleteResult {
  readonly deleted: string[];
  readonly errors: { key: string; code: string; message: string }[];
}

export function parseDeleteResult(xml: string): DeleteResult {
  const result = (xmlParser().parse(xml) as Node)['DeleteResult'] as Node | undefined;
  if (result === undefined) throw new Error('not a DeleteResult');
  return {
    deleted: ((result['Deleted'] as Node[] | undefined) ?? []).map((d) => text(d['Key'])),
    errors: ((result['Error'] as Node[] | undefined) ?? []).map((e) => ({ key: text(e['Key']), code: text(e['Code']), message: text(e['Message']) })),
  };
}

/** The `<Code>` of an S3 error body, when there is one. */
export function errorCodeOf(xml: string): string | undefined {
  try {
    const error = (xmlParser().parse(xml) as Node)['Error'];
    const node = Array.isArray(error) ? (error[0] as Node) : (error as Node | undefined);
    const code = text(node?.['Code']);
    return code === '' ? undefined : code;
  } catch {
    return undefined;
  }
}

const escapeXml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');

/** The body of a DeleteObjects request (quiet: only failures are answered). */
export function deleteRequestBody(keys: readonly string[]): string {
  return `<?xml version="1.0" encoding="UTF-8"?><Delete><Quiet>true</Quiet>${keys.map((k) => `<Object><Key>${escapeXml(k)}</Key></Object>`).join('')}</Delete>`;
}
