/**
 * The few S3 requests the collector makes, signed with Signature Version 4
 * (aws4), sent with Node's fetch, retried with jittered exponential backoff
 * on throttling (503 SlowDown, 429), server errors and network failures,
 * and counted per kind (the benchmark's "requests per run").
 *
 * Keys are full object keys (the rootdirectory included). Errors are
 * Node-style where the storage seam expects them: a missing object is
 * ENOENT, a lost conditional create EEXIST; anything else that outlives the
 * retries is `EIO` with the status and S3 code in its message.
 */
import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { requestSigner } from '../../dependencies.js';
import { codedError } from '../errno.js';
import { endpointOf, type Credentials, type S3Settings } from './settings.js';
import { deleteRequestBody, errorCodeOf, parseDeleteResult, parseListPage, type DeleteResult, type ListPage } from './xml.js';

export type RequestKind = 'list' | 'get' | 'put' | 'delete' | 'deleteObjects';

/** Tries per request, the first included. */
const ATTEMPTS = 6;
const FIRST_BACKOFF_MS = 50;
const REQUEST_TIMEOUT_MS = 60_000;

/** What S3 answered, body read. */
interface Answer {
  readonly status: number;
  readonly body: Buffer;
}

const RETRIED_STATUS = new Set([429, 500, 502, 503, 504]);

/** encodeURIComponent, and the characters RFC 3986 reserves that it leaves (as the signer encodes them). */
const encodeSegment = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
export const encodeKey = (key: string) => key.split('/').map(encodeSegment).join('/');

export class S3Client {
  /** Requests sent, by kind (a retry counts again). */
  readonly requests: Record<RequestKind, number> = { list: 0, get: 0, put: 0, delete: 0, deleteObjects: 0 };
  /** Requests that were retried. */
  retries = 0;
  /** Told of every request as it is sent (tests count what a run asks for). */
  onRequest: ((kind: RequestKind, key: string) => void) | undefined;
  private readonly origin: string;
  private readonly bucketPath: string;
  private readonly host: string;

  constructor(
    private readonly settings: S3Settings,
    private readonly credentials: Credentials,
  ) {
    const { origin, bucketPath } = endpointOf(settings);
    this.origin = origin;
    this.bucketPath = bucketPath;
    this.host = new URL(origin).host;
  }

  /** One page of ListObjectsV2 below `prefix` (flat, or grouped at `/` with `delimiter`). */
  async listPage(prefix: string, continuationToken: string | undefined, delimiter = false): Promise<ListPage> {
    const query = new URLSearchParams({ 'list-type': '2', prefix, 'max-keys': '1000', 'encoding-type': 'url' });
    if (delimiter) query.set('delimiter', '/');
    if (continuationToken !== undefined) query.set('continuation-token', continuationToken);
    const answer = await this.send('list', 'GET', '', query);
    if (answer.status !== 200) throw failure(answer, `list ${prefix}`);
    return parseListPage(answer.body.toString('utf8'));
  }

  /** The object's bytes; ENOENT when there is none. */
  async get(key: string): Promise<Buffer> {
    const answer = await this.send('get', 'GET', key);
    if (answer.status === 404) throw codedError('ENOENT', `${key} does not exist`);
    if (answer.status !== 200) throw failure(answer, `get ${key}`);
    return answer.body;
  }

  /** Writes the object; with `onlyIfAbsent`, EEXIST when it exists (If-None-Match: *). */
  async put(key: string, body: string | Uint8Array, onlyIfAbsent: boolean): Promise<void> {
    const answer = await this.send('put', 'PUT', key, undefined, Buffer.from(body), onlyIfAbsent ? { 'If-None-Match': '*' } : {});
    if (answer.status === 412 || (onlyIfAbsent && answer.status === 409)) throw codedError('EEXIST', `${key} exists`);
    if (answer.status !== 200) throw failure(answer, `put ${key}`);
  }

  /** Deletes one object (a missing one is no error, as in S3). */
  async deleteOne(key: string): Promise<void> {
    const answer = await this.send('delete', 'DELETE', key);
    if (answer.status !== 204 && answer.status !== 200 && answer.status !== 404) throw failure(answer, `delete ${key}`);
  }

  /** DeleteObjects of up to 1,000 keys: which keys failed, each on its own. */
  async deleteObjects(keys: readonly string[]): Promise<DeleteResult> {
    if (keys.length > 1000) throw new RangeError('DeleteObjects takes at most 1,000 keys');
    const body = Buffer.from(deleteRequestBody(keys));
    const md5 = createHash('md5').update(body).digest('base64');
    const answer = await this.send('deleteObjects', 'POST', '', new URLSearchParams({ delete: '' }), body, { 'Content-MD5': md5, 'Content-Type': 'application/xml' });
    if (answer.status !== 200) throw failure(answer, `delete ${keys.length} objects`);
    return parseDeleteResult(answer.body.toString('utf8'));
  }

  private async send(kind: RequestKind, method: string, key: string, query?: URLSearchParams, body?: Buffer, headers: Record<string, string> = {}): Promise<Answer> {
    // `?delete` must be sent (and signed) as a bare name.
    const search = query === undefined ? '' : `?${query.toString().replace(/=(&|$)/g, '$1')}`;
    const requestPath = `${this.bucketPath}/${encodeKey(key)}${search}`;
    for (let attempt = 1; ; attempt++) {
      this.requests[kind]++;
      this.onRequest?.(kind, key);
      const signed = requestSigner().sign(
        { host: this.host, path: requestPath, method, service: 's3', region: this.settings.region, headers: { ...headers, 'X-Amz-Content-Sha256': sha256(body) }, ...(body ? { body } : {}) },
        this.credentials,
      );
      let answer: Answer | undefined;
      let networkError: unknown;
      // A timer of our own, cleared when the answer is in: AbortSignal.timeout keeps each request's
      // signal (and what hangs on it) alive for the whole timeout. (Peak RSS of the benchmark's runs
      // moved only from 306-319 to 287-303 MB with this: most of it is elsewhere, not profiled yet.)
      const abort = new AbortController();
      const timer = setTimeout(() => abort.abort(new Error(`no answer within ${REQUEST_TIMEOUT_MS} ms`)), REQUEST_TIMEOUT_MS);
      try {
        const response = await fetch(`${this.origin}${requestPath}`, {
          method,
          headers: signed.headers as Record<string, string>,
          ...(body ? { body } : {}),
          signal: abort.signal,
        });
        answer = { status: response.status, body: Buffer.from(await response.arrayBuffer()) };
      } catch (error) {
        networkError = error;
      } finally {
        clearTimeout(timer);
      }
      if (answer !== undefined && !RETRIED_STATUS.has(answer.status)) return answer;
      if (attempt >= ATTEMPTS) {
        if (answer !== undefined) return answer;
        throw codedError('EIO', `${method} ${key || this.bucketPath}: ${(networkError as Error).message}`);
      }
      this.retries++;
      // Full jitter: a throttled server sees the retries spread out.
      await sleep(Math.random() * FIRST_BACKOFF_MS * 2 ** (attempt - 1));
    }
  }
}

const sha256 = (body: Buffer | undefined) => createHash('sha256').update(body ?? Buffer.alloc(0)).digest('hex');

function failure(answer: Answer, what: string): Error {
  const code = errorCodeOf(answer.body.toString('utf8'));
  return codedError(answer.status === 403 ? 'EACCES' : 'EIO', `${what}: S3 answered ${answer.status}${code ? ` ${code}` : ''}`);
}
