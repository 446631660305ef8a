/**
 * The S3 responses the collector reads: a ListObjectsV2 page, a
 * DeleteObjects result, an error. Parsed with fast-xml-parser, every value
 * kept a string (a key like `0001` or `1e5` must not become a number).
 */
import { XMLParser } from 'fast-xml-parser';

const parser = new XMLParser({ parseTagValue: false, ignoreAttributes: true, isArray: (name) => ['Contents', 'CommonPrefixes', 'Deleted', 'Error'].includes(name), processEntities: true });

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
  const result = (parser.parse(xml) as Node)['ListBucketResult'] as Node | undefined;
  if (result === undefined) throw new Error('not a ListBucketResult');
  const objects = ((result['Contents'] as Node[] | undefined) ?? []).map((c): ListedObject => {
    const size = Number(text(c['Size']));
    const lastModifiedMs = Date.parse(text(c['LastModified']));
    if (!Number.isFinite(size) || !Number.isFinite(lastModifiedMs)) throw new Error(`a listed object without size or time: ${text(c['Key'])}`);
    return { key: text(c['Key']), size, lastModifiedMs, etag: text(c['ETag']) };
  });
  const prefixes = ((result['CommonPrefixes'] as Node[] | undefined) ?? []).map((p) => text(p['Prefix']));
  const truncated = text(result['IsTruncated']) === 'true';
  const token = text(result['NextContinuationToken']);
  if (truncated && token === '') throw new Error('a truncated listing without a continuation token');
  return { objects, prefixes, continuationToken: truncated ? token : undefined };
}

export interface DeleteResult {
  readonly deleted: string[];
  readonly errors: { key: string; code: string; message: string }[];
}

export function parseDeleteResult(xml: string): DeleteResult {
  const result = (parser.parse(xml) as Node)['DeleteResult'] as Node | undefined;
  if (result === undefined) throw new Error('not a DeleteResult');
  return {
    deleted: ((result['Deleted'] as Node[] | undefined) ?? []).map((d) => text(d['Key'])),
    errors: ((result['Error'] as Node[] | undefined) ?? []).map((e) => ({ key: text(e['Key']), code: text(e['Code']), message: text(e['Message']) })),
  };
}

/** The `<Code>` of an S3 error body, when there is one. */
export function errorCodeOf(xml: string): string | undefined {
  try {
    const error = (parser.parse(xml) as Node)['Error'];
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
