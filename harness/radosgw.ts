/**
 * Runs a throw-away Ceph cluster with an S3 gateway (radosgw, Ceph 16
 * "pacific" as Debian 12 ships it) on loopback, so that tests can let the
 * real registry write its tree into a real S3 bucket: one ceph-mon, one
 * ceph-osd on memstore (objects in RAM), no ceph-mgr, no cephx, and radosgw's
 * beast frontend. Ready in about 2 s.
 *
 * Invariants (as in registry-server.ts):
 * - It only ever listens on 127.0.0.1: the mon, the OSD and the gateway bind
 *   loopback only. Its config is a private file under its own temp dir (own
 *   cluster fsid, data, run and log dirs, cluster log), read with `-c`; no
 *   systemd, nothing under /etc/ceph, /var/lib/ceph or /var/log/ceph.
 *   CEPH_* variables (CEPH_ARGS would add options) are kept out of the
 *   daemons' environment.
 * - Every process started here is killed when the test process exits, even
 *   when a test forgets `stop()` or throws before reaching it.
 * - Start-up is bounded (STARTUP_TIMEOUT_MS): a cluster that never serves
 *   fails with the failing step's output and each daemon's stderr, instead
 *   of hanging the suite.
 * - destroy() removes the temp dir; the cluster lives nowhere else (memstore
 *   keeps the objects in the OSD's memory).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import aws4 from 'aws4';
import { freePort, isOnPath, trackForExit, waitForExit } from './registry-server.js';

/** What startRadosgw runs; all come with Debian's radosgw, ceph-mon and ceph-osd packages (ceph-common holds `ceph` and `monmaptool`). */
export const RADOSGW_BINARIES = ['radosgw', 'ceph-mon', 'ceph-osd', 'radosgw-admin', 'ceph', 'monmaptool'] as const;

const STARTUP_TIMEOUT_MS = 30_000;
const POLL_INTERVAL_MS = 50;
const STOP_GRACE_MS = 5_000;
/** Picking a port and binding it later is racy; another process may take it in between. */
const START_ATTEMPTS = 3;
const REGION = 'us-east-1';

/** Whether every binary startRadosgw runs is on PATH, so that tests can skip visibly where Ceph is not installed. */
export function hasRadosgw(): boolean {
  return RADOSGW_BINARIES.every(isOnPath);
}

export interface RunningRadosgw {
  /** e.g. "http://127.0.0.1:40123"; path-style bucket URLs: `${endpoint}/${bucket}/${key}`. */
  readonly endpoint: string;
  /** The region to sign with (SigV4). radosgw checks the signature, not the region name. */
  readonly region: string;
  readonly accessKey: string;
  readonly secretKey: string;
  /** PUT /<name>; names follow S3's rules (3 to 63 characters, lower case). Creating one's own bucket again succeeds. */
  createBucket(name: string): Promise<void>;
  /** Kills the gateway, the OSD and the mon, and waits until they have exited; safe to call twice. */
  stop(): Promise<void>;
  /** stop(), then removes the cluster's temp dir. */
  destroy(): Promise<void>;
}

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

/** Ours without CEPH_* (CEPH_ARGS, CEPH_CONF would change what the daemons and tools read). */
function cephEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.toUpperCase().startsWith('CEPH_')));
}

/**
 * The cluster's private config. Every line below was needed, or cut
 * start-up or response times, on Ceph 16.2:
 * - auth none everywhere, and `ms mon client mode = crc`: with auth none and
 *   the default (secure) mode radosgw loops on error -13 talking to the mon;
 * - `paxos propose interval = 0.05`: start-up 3 s instead of 16 s;
 * - size 1 pools of 8 PGs on the one OSD (no mgr, so no autoscaler);
 * - `tcp_nodelay=1` on beast: else every small response waits ~45 ms;
 * - `ms bind retry count = 1` (one try; 0 means none, EPERM): a port taken by someone else fails at once
 *   (EADDRINUSE, retried with new ports) instead of after 3 x 5 s;
 * - `mon cluster log to file = false`: else the mon writes
 *   /var/log/ceph/ceph.log and ceph.audit.log whatever `log file` says;
 * - `admin socket =` (none): nothing needs them, and a long TMPDIR would
 *   overflow a Unix socket path.
 */
function cephConf(dir: string, fsid: string, monPort: number, rgwPort: number): string {
  return [
    '[global]',
    `fsid = ${fsid}`,
    `mon host = [v2:127.0.0.1:${monPort}]`,
    'mon initial members = a',
    'public addr = 127.0.0.1',
    'cluster addr = 127.0.0.1',
    'ms bind ipv4 = true',
    'ms bind ipv6 = false',
    'ms bind retry count = 1',
    'auth cluster required = none',
    'auth service required = none',
    'auth client required = none',
    'ms mon client mode = crc',
    'mon allow pool size one = true',
    'mon allow pool delete = true',
    'mon max pg per osd = 1000',
    'mon cluster log to file = false',
    'paxos propose interval = 0.05',
    'osd objectstore = memstore',
    'osd pool default size = 1',
    'osd pool default min size = 1',
    'osd pool default pg num = 8',
    'osd pool default pgp num = 8',
    'osd crush chooseleaf type = 0',
    `run dir = ${dir}/run`,
    `crash dir = ${dir}/crash`,
    'admin socket =',
    `log file = ${dir}/log/$name.log`,
    `pid file = ${dir}/run/$name.pid`,
    `keyring = ${dir}/keyring`,
    `mon data = ${dir}/mon`,
    `osd data = ${dir}/osd`,
    `rgw data = ${dir}/rgw`,
    '',
    '[client.rgw]',
    `rgw frontends = beast endpoint=127.0.0.1:${rgwPort} tcp_nodelay=1`,
    'rgw exit timeout secs = 5',
    '',
  ].join('\n');
}

interface Daemon {
  readonly name: string;
  readonly child: ChildProcess;
  stderr(): string;
  /** Settles once it has exited and its stderr is read to the end: how it ended. */
  readonly closed: Promise<string>;
}

const exited = (child: ChildProcess): boolean => child.exitCode !== null || child.signalCode !== null;

/**
 * Starts a long-running daemon in the foreground (`-d`), keeping the tail of
 * its output: the mon and the OSD log to stderr, radosgw to stdout.
 */
function startDaemon(name: string, command: string, args: readonly string[], env: NodeJS.ProcessEnv): Daemon {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
  trackForExit(child);
  let errText = '';
  for (const stream of [child.stdout, child.stderr]) {
    stream?.setEncoding('utf8');
    stream?.on('data', (chunk: string) => {
      errText = (errText + chunk).slice(-8_192);
    });
  }
  // A spawn error (ENOENT) shows as a close with no code; keep it for the failure message.
  child.once('error', (err) => {
    errText += `\n${String(err)}`;
  });
  // 'close', not 'exit': the last lines (e.g. "Address already in use") may still be in the pipe at 'exit'.
  const closed = new Promise<string>((resolve) => child.once('close', (code, signal) => resolve(String(code ?? signal))));
  return { name, child, stderr: () => errText, closed };
}

interface ToolContext {
  readonly env: NodeJS.ProcessEnv;
  readonly deadline: number;
  /** Aborted when start-up fails: kills a tool still waiting on a dead cluster. */
  readonly signal: AbortSignal;
}

/** Runs a short-lived tool to completion; rejects with its stderr on a non-zero exit or past the deadline. */
async function runTool(command: string, args: readonly string[], { env, deadline, signal }: ToolContext): Promise<string> {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env, signal, killSignal: 'SIGKILL' });
  trackForExit(child);
  let out = '';
  let err = '';
  child.stdout?.setEncoding('utf8');
  child.stderr?.setEncoding('utf8');
  child.stdout?.on('data', (c: string) => (out = (out + c).slice(-65_536)));
  child.stderr?.on('data', (c: string) => (err = (err + c).slice(-8_192)));
  const closed = new Promise<number | string>((resolve) => {
    child.once('error', (e) => {
      err += String(e);
      resolve('spawn error');
    });
    child.once('close', (code, signal) => resolve(code ?? signal ?? 'unknown'));
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), Math.max(deadline - Date.now(), 0));
  const status = await closed.finally(() => clearTimeout(timer));
  if (status !== 0) {
    const why = Date.now() >= deadline ? `timed out (start-up limit ${STARTUP_TIMEOUT_MS} ms)` : `exited ${status}`;
    throw new Error(`${command} ${args.join(' ')}: ${why}:\n${err}${out === '' ? '' : `\nstdout:\n${out}`}`);
  }
  return out;
}

/**
 * `step`, unless one of `daemons` exits first: a step waiting on the cluster
 * would otherwise wait out the deadline, and the daemon's stderr says why.
 */
async function whileRunning<T>(daemons: readonly Daemon[], step: Promise<T>): Promise<T> {
  const died = daemons.map((d) =>
    d.closed.then((how): never => {
      throw new Error(`${d.name} exited (${how}) during start-up:\n${d.stderr()}`);
    }),
  );
  // Whichever loses the race (e.g. every daemon closing at stop()) must not become an unhandled rejection.
  for (const p of [step, ...died]) p.catch(() => undefined);
  return Promise.race([step, ...died]);
}

/** All in RAM under a throw-away dir: nothing to flush, so SIGKILL (SIGTERM takes the three ~5 s in all). */
async function killAll(daemons: readonly Daemon[]): Promise<void> {
  await Promise.all(
    daemons.map(async ({ child }) => {
      if (exited(child)) return;
      child.kill('SIGKILL');
      await waitForExit(child, STOP_GRACE_MS);
    }),
  );
}

async function distinctFreePorts(): Promise<[number, number]> {
  const a = await freePort();
  for (;;) {
    const b = await freePort();
    if (b !== a) return [a, b];
  }
}

async function startOnce(dir: string): Promise<RunningRadosgw> {
  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  const env = cephEnv();
  const abort = new AbortController();
  const tool: ToolContext = { env, deadline, signal: abort.signal };
  const [monPort, rgwPort] = await distinctFreePorts();
  const fsid = randomUUID();
  const conf = join(dir, 'ceph.conf');
  const c = ['-c', conf];
  await Promise.all(['run', 'crash', 'log', 'mon', 'osd', 'rgw'].map((d) => mkdir(join(dir, d), { recursive: true })));
  await writeFile(conf, cephConf(dir, fsid, monPort, rgwPort));

  const monmap = join(dir, 'monmap');
  await runTool('monmaptool', ['--create', '--fsid', fsid, '--addv', 'a', `[v2:127.0.0.1:${monPort}]`, monmap], tool);
  await runTool('ceph-mon', [...c, '--mkfs', '-i', 'a', '--monmap', monmap], tool);

  const daemons: Daemon[] = [];
  try {
    daemons.push(startDaemon('ceph-mon', 'ceph-mon', [...c, '-i', 'a', '-d'], env));
    // `osd new` allocates id 0 for this uuid (idempotent); the CLI waits for the mon to answer.
    const osdUuid = randomUUID();
    const osdId = (
      await whileRunning(daemons, runTool('ceph', [...c, '--connect-timeout', '15', 'osd', 'new', osdUuid], tool))
    ).trim();
    if (!/^\d+$/.test(osdId)) throw new Error(`ceph osd new: expected an OSD id, got ${JSON.stringify(osdId)}`);
    await runTool('ceph-osd', [...c, '--mkfs', '-i', osdId, '--osd-uuid', osdUuid], tool);
    daemons.push(startDaemon('ceph-osd', 'ceph-osd', [...c, '-i', osdId, '-d'], env));

    const accessKey = 'registry-gc-test';
    const secretKey = randomUUID();
    // Creates the zone's pools and waits for their PGs, hence for the OSD to be up.
    await whileRunning(
      daemons,
      runTool(
        'radosgw-admin',
        [...c, 'user', 'create', '--uid=registry-gc', '--display-name=registry-gc', `--access-key=${accessKey}`, `--secret=${secretKey}`],
        tool,
      ),
    );
    daemons.push(startDaemon('radosgw', 'radosgw', [...c, '-n', 'client.rgw', '-d'], env));
    const endpoint = `http://127.0.0.1:${rgwPort}`;
    await whileRunning(daemons, waitUntilServing(endpoint, tool, daemons));

    let stopping: Promise<void> | undefined;
    const stop = (): Promise<void> => (stopping ??= killAll(daemons));
    const s3: S3Credentials = { endpoint, region: REGION, accessKey, secretKey };
    return {
      ...s3,
      createBucket: async (name: string) => {
        const res = await signedS3Request(s3, 'PUT', `/${encodeURIComponent(name)}`);
        const text = await res.text();
        if (res.status !== 200) throw new Error(`PUT bucket ${name}: ${res.status} ${text}`);
      },
      stop,
      destroy: async () => {
        await stop();
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    abort.abort();
    await killAll(daemons);
    throw err;
  }
}

/** Resolves once anonymous GET / (ListBuckets) answers 200; stops polling when start-up is aborted. */
async function waitUntilServing(endpoint: string, { deadline, signal }: ToolContext, daemons: readonly Daemon[]): Promise<void> {
  for (;;) {
    if (signal.aborted) throw new Error('start-up aborted');
    try {
      const res = await fetch(`${endpoint}/`, { signal: AbortSignal.timeout(1_000) });
      await res.arrayBuffer();
      if (res.status === 200) return;
    } catch {
      // Not listening yet: keep polling until the deadline.
    }
    if (Date.now() > deadline) {
      throw new Error(
        `radosgw did not answer GET ${endpoint}/ within ${STARTUP_TIMEOUT_MS} ms:\n` +
          daemons.map((d) => `--- ${d.name}:\n${d.stderr()}`).join('\n'),
      );
    }
    await sleep(POLL_INTERVAL_MS);
  }
}

export async function startRadosgw(): Promise<RunningRadosgw> {
  let lastError: unknown;
  for (let attempt = 0; attempt < START_ATTEMPTS; attempt++) {
    // A fresh dir (new fsid, new ports) for each attempt: a failed mkfs leaves nothing to reuse.
    const dir = await mkdtemp(join(tmpdir(), 'registry-gc-radosgw-'));
    try {
      return await startOnce(dir);
    } catch (err) {
      lastError = err;
      await rm(dir, { recursive: true, force: true });
      // Only a lost port race is worth another try; anything else is a real failure.
      if (!(err instanceof Error && /address already in use/i.test(err.message))) break;
    }
  }
  throw lastError;
}
