/**
 * A proxy in front of radosgw, on 127.0.0.1, that sees every S3 request a
 * collector (or the reference) makes: it counts them, and a test's hook may
 * answer one itself (a 503 SlowDown, a DeleteObjects whose keys all fail),
 * change a header before forwarding it (drop `If-None-Match`, as a server
 * that ignores it would), or act once the server has answered and before
 * the answer is passed on (kill the collector inside a batch).
 *
 * Requests keep their Host header, so signatures made for the proxy's
 * address verify at the server.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ProxiedRequest {
  readonly method: string;
  /** Path and query, as sent. */
  readonly url: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: Buffer;
}

export interface ProxyAnswer {
  readonly status: number;
  readonly body?: string;
}

export interface ProxyHooks {
  /** Before forwarding: an answer to send instead, or nothing (forward; `headers` may be changed in place). */
  before?(request: ProxiedRequest): ProxyAnswer | undefined | Promise<ProxyAnswer | undefined>;
  /** After the server answered, before the answer goes back: an answer to send instead (the server's is lost), or nothing. */
  after?(request: ProxiedRequest, status: number): ProxyAnswer | undefined | void | Promise<ProxyAnswer | undefined | void>;
}

export interface S3Proxy {
  /** `http://127.0.0.1:PORT`: the endpoint to give the client. */
  readonly endpoint: string;
  /** Every request seen, in order. */
  readonly seen: ProxiedRequest[];
  hooks: ProxyHooks;
  close(): Promise<void>;
}

/** Kinds of S3 requests, for counting. */
export function kindOf(request: ProxiedRequest): 'list' | 'get' | 'head' | 'put' | 'delete' | 'deleteObjects' | 'other' {
  const query = request.url.includes('?') ? request.url.slice(request.url.indexOf('?')) : '';
  if (request.method === 'POST' && /[?&]delete(&|=|$)/.test(query)) return 'deleteObjects';
  if (request.method === 'GET' && /[?&]list-type=2|[?&](prefix|delimiter)=/.test(query)) return 'list';
  if (request.method === 'GET') return 'get';
  if (request.method === 'HEAD') return 'head';
  if (request.method === 'PUT') return 'put';
  if (request.method === 'DELETE') return 'delete';
  return 'other';
}

export async function startS3Proxy(target: string, hooks: ProxyHooks = {}): Promise<S3Proxy> {
  const upstream = new URL(target);
  const seen: ProxiedRequest[] = [];
  const proxy: S3Proxy = { endpoint: '', seen, hooks, close: async () => {} };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const request: ProxiedRequest = { method: req.method ?? 'GET', url: req.url ?? '/', headers: { ...req.headers }, body: Buffer.concat(chunks) };
        seen.push(request);
        const answer = await proxy.hooks.before?.(request);
        if (answer !== undefined) {
          res.writeHead(answer.status, { 'content-type': 'application/xml' }).end(answer.body ?? '');
          return;
        }
        const forwarded = http.request(
          { host: upstream.hostname, port: upstream.port, method: request.method, path: request.url, headers: request.headers },
          (up) => {
            const parts: Buffer[] = [];
            up.on('data', (c: Buffer) => parts.push(c));
            up.on('end', () => {
              void (async () => {
                const instead = await proxy.hooks.after?.(request, up.statusCode ?? 0);
                if (res.destroyed) return;
                if (instead) res.writeHead(instead.status, { 'content-type': 'application/xml' }).end(instead.body ?? '');
                else res.writeHead(up.statusCode ?? 502, up.headers).end(Buffer.concat(parts));
              })();
            });
          },
        );
        forwarded.on('error', () => res.destroy());
        forwarded.end(request.body);
      })();
    });
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(proxy, {
    endpoint: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}
