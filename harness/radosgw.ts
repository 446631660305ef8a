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
import { cephConf, cephEnv } from './ceph-conf.js';
import { freePort, isOnPath, trackForExit, waitForExit } from './registry-server.js';

import { signedS3Request, type S3Credentials } from './s3-requests.js';

export { listBucketKeys, signedS3Request, type S3Credentials } from './s3-requests.js';

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
