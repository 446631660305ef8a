/**
 * Signed S3 requests of the test bed's own (aws4, path style), independent
 * of src/: what a test uses to make and check a bucket without the code
 * under test.
 */
import aws4 from 'aws4';

export interface S3Credentials {
  readonly endpoint: string;
  readonly region: string;
  readonly accessKey: string;
  readonly secretKey: string;
}

/**
 * A SigV4-signed request to `${endpoint}${pathAndQuery}` (path style, e.g.
 * "/bucket?list-type=2"); the caller reads the response. Independent of src/.
 */
export async function signedS3Request(
  s3: S3Credentials,
  method: string,
  pathAndQuery: string,
  body?: Uint8Array,
): Promise<Response> {
  const url = new URL(pathAndQuery, s3.endpoint);
  const payload = body === undefined ? undefined : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const signed = aws4.sign(
    {
      host: url.host,
      path: `${url.pathname}${url.search}`,
      method,
      service: 's3',
      region: s3.region,
      headers: payload === undefined ? {} : { 'content-type': 'application/octet-stream' },
      ...(payload === undefined ? {} : { body: payload }),
    },
    { accessKeyId: s3.accessKey, secretAccessKey: s3.secretKey },
  );
  const headers = Object.fromEntries(
    Object.entries(signed.headers ?? {}).filter(([name]) => name.toLowerCase() !== 'host').map(([name, value]) => [name, String(value)]),
  );
  return fetch(url, { method, headers, ...(payload === undefined ? {} : { body: payload }), signal: AbortSignal.timeout(10_000) });
}

const XML_ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
const unxml = (s: string): string =>
  s.replace(/&(amp|lt|gt|quot|apos|#\d+|#x[0-9a-f]+);/gi, (_, e: string) =>
    e.startsWith('#x') || e.startsWith('#X')
      ? String.fromCodePoint(parseInt(e.slice(2), 16))
      : e.startsWith('#')
        ? String.fromCodePoint(parseInt(e.slice(1), 10))
        : (XML_ENTITIES[e.toLowerCase()] ?? e),
  );

/** Every key in `bucket` (under `prefix`), sorted: ListObjectsV2 pages, followed to the end. */
export async function listBucketKeys(s3: S3Credentials, bucket: string, prefix = ''): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const query = new URLSearchParams({ 'list-type': '2', prefix, ...(token === undefined ? {} : { 'continuation-token': token }) });
    const res = await signedS3Request(s3, 'GET', `/${encodeURIComponent(bucket)}?${query.toString()}`);
    const text = await res.text();
    if (res.status !== 200) throw new Error(`ListObjectsV2 ${bucket}: ${res.status} ${text}`);
    for (const m of text.matchAll(/<Key>([^<]*)<\/Key>/g)) keys.push(unxml(m[1] ?? ''));
    const truncated = /<IsTruncated>true<\/IsTruncated>/.test(text);
    const next = /<NextContinuationToken>([^<]*)<\/NextContinuationToken>/.exec(text)?.[1];
    token = truncated && next !== undefined ? unxml(next) : undefined;
    if (truncated && token === undefined) throw new Error(`ListObjectsV2 ${bucket}: truncated without a continuation token`);
  } while (token !== undefined);
  return keys.sort();
}
