/**
 * Runs Debian's `docker-registry` (distribution 2.8.2, the reference
 * implementation) on a throw-away filesystem root, so that tests can let the
 * real registry write real trees instead of trusting hand-made fixtures; or,
 * with `storage.s3`, on an S3 bucket (e.g. harness/radosgw.ts's, on loopback).
 *
 * Invariants:
 * - It only ever listens on 127.0.0.1 (spec §1): nothing a test pushes is
 *   reachable from outside the machine. REGISTRY_* variables, which the
 *   registry reads as config overrides, and AWS_* ones, which its S3 driver
 *   reads, are kept out of its environment.
 * - Every process started here is killed when the test process exits, even
 *   when a test forgets `stop()` or throws before reaching it: a stray
 *   registry would keep a port and a temp directory alive across runs.
 * - Start-up is bounded (~10 s): a registry that never answers fails the
 *   test with its stderr, instead of hanging the suite.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export const REGISTRY_BINARY = 'docker-registry';

interface RegistryProcess {
  /** Base URL without a trailing slash, e.g. "http://127.0.0.1:40123". */
  readonly url: string;
  readonly configPath: string;
  /** Kills the registry and waits until it has exited; safe to call twice. */
  stop(): Promise<void>;
  /** stop(), then removes the config and, if startRegistry created it, the root. */
  destroy(): Promise<void>;
}

/** A registry on the filesystem driver. */
export interface RunningRegistry extends RegistryProcess {
  /** `storage.filesystem.rootdirectory`; the tree is under `<root>/docker/registry/v2`. */
  readonly root: string;
}

/** A registry on the s3 driver: its tree is in the bucket, there is no root on disk. */
export interface RunningS3Registry extends RegistryProcess {
  readonly root: undefined;
  readonly s3: S3StorageConfig;
}

/**
 * `storage.s3` of the registry's config (distribution 2.8.2's s3-aws driver).
 * With `regionendpoint` set the driver uses path-style URLs and accepts any
 * region name. Keys are `<rootdirectory>/docker/registry/v2/...`, without a
 * leading slash; with no rootdirectory, `docker/registry/v2/...`.
 */
export interface S3StorageConfig {
  bucket: string;
  region: string;
  /** e.g. "http://127.0.0.1:40124" */
  regionendpoint: string;
  accesskey: string;
  secretkey: string;
  rootdirectory?: string;
  /** false: plain http (loopback). */
  secure: false;
  v4auth: true;
}

export interface StartRegistryOptions {
  /** Use this root (e.g. to restart on an existing tree) instead of a fresh temp dir. */
  root?: string;
}

export interface StartS3RegistryOptions {
  storage: { s3: S3StorageConfig };
}

const STARTUP_TIMEOUT_MS = 10_000;
const POLL_INTERVAL_MS = 75;
const STOP_GRACE_MS = 3_000;
/** Picking a port and binding it later is racy; another process may take it in between. */
const START_ATTEMPTS = 3;

/** Locates the binary on PATH, so that the tests can skip visibly (not fail) where it is not installed. */
export function hasDockerRegistry(): boolean {
  return isOnPath(REGISTRY_BINARY);
}

/** Whether an executable `name` is in one of PATH's directories. */
export function isOnPath(name: string): boolean {
  const dirs = (process.env['PATH'] ?? '').split(delimiter).filter((d) => d !== '');
  return dirs.some((dir) => {
    try {
      accessSync(join(dir, name), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/**
 * The environment for every docker-registry process: ours without REGISTRY_*
 * and AWS_*. The registry reads each REGISTRY_<SECTION>_<KEY> variable as an
 * override of its config file (REGISTRY_HTTP_ADDR would move it off
 * 127.0.0.1, REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY onto another tree),
 * so nothing set in the caller's environment may reach it. Its s3 driver's
 * AWS SDK reads AWS_* (with AWS_CA_BUNDLE set, 2.8.2 panics at start-up;
 * AWS_PROFILE, AWS_REGION and the like would mix into the config's).
 */
export function registryEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(process.env).filter(([name]) => {
      const upper = name.toUpperCase();
      return !upper.startsWith('REGISTRY_') && !upper.startsWith('AWS_');
    }),
  );
}

// A set rather than one hook per child: 'exit' listeners must be synchronous,
// and adding one listener per registry would trip Node's leak warning.
const live = new Set<ChildProcess>();
let exitHookInstalled = false;

/** Kills `child` (SIGKILL) when this process exits, if it is still running then. */
export function trackForExit(child: ChildProcess): void {
  live.add(child);
  child.once('exit', () => live.delete(child));
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const c of live) {
      try {
        c.kill('SIGKILL');
      } catch {
        // Already gone: nothing left to clean up.
      }
    }
  });
}

/** A port that was free on 127.0.0.1 a moment ago (racy: bind it soon, retry on EADDRINUSE). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        server.close();
        reject(new Error(`unexpected listen address ${String(address)}`));
        return;
      }
      const { port } = address;
      server.close(() => resolve(port));
    });
  });
}

/**
 * A config for `docker-registry serve` or `garbage-collect` on `root` (a
 * filesystem root, or an s3 section), listening on 127.0.0.1 only (port 0
 * for garbage-collect, which listens on nothing). Shared with the
 * benchmarks, so both drive the same registry.
 */
export function registryConfigYaml(
  root: string | { s3: S3StorageConfig },
  { port = 0, readonly = false }: { port?: number; readonly?: boolean } = {},
): string {
  // uploadpurging is off so that abandoned uploads stay on disk for the
  // collector under test to find; delete is on so manifests can be deleted.
  // No blobdescriptor cache: with one, the registry would answer HEAD/GET for
  // blobs that an offline collection has since removed (spec §6).
  return [
    'version: 0.1',
    'log:',
    '  level: error',
    '  accesslog:',
    '    disabled: true',
    'storage:',
    ...(typeof root === 'string' ? ['  filesystem:', `    rootdirectory: ${JSON.stringify(root)}`] : s3Yaml(root.s3)),
    '  delete:',
    '    enabled: true',
    '  maintenance:',
    '    uploadpurging:',
    '      enabled: false',
    ...(readonly ? ['    readonly:', '      enabled: true'] : []),
    'http:',
    `  addr: 127.0.0.1:${port}`,
    // A fixed secret silences the "No HTTP secret provided" warning; upload
    // state is HMAC-signed with it, which needs no secrecy on loopback.
    '  secret: registry-gc-test-secret',
    '',
  ].join('\n');
}

function s3Yaml(s3: S3StorageConfig): string[] {
  const { rootdirectory, ...rest } = s3;
  const fields = { ...rest, ...(rootdirectory === undefined ? {} : { rootdirectory }) };
  return [
    '  s3:',
    // JSON strings and booleans are YAML scalars.
    ...Object.entries(fields).map(([key, value]) => `    ${key}: ${JSON.stringify(value)}`),
    // The registry serves blob bytes itself instead of redirecting clients
    // to a presigned bucket URL: a pull then goes through the registry only.
    '  redirect:',
    '    disable: true',
  ];
}

/** Resolves true once `child` has exited, false if it is still running after `ms`. */
export function waitForExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.off('exit', onExit);
      resolve(false);
    }, ms);
    const onExit = (): void => {
      clearTimeout(timer);
      resolve(true);
    };
    child.once('exit', onExit);
  });
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  if (await waitForExit(child, STOP_GRACE_MS)) return;
  child.kill('SIGKILL');
  await waitForExit(child, STOP_GRACE_MS);
}

/** Resolves once GET /v2/ answers 200; rejects if the process dies or time runs out. */
async function waitUntilServing(child: ChildProcess, url: string, stderr: () => string): Promise<void> {
  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`docker-registry exited (${child.exitCode ?? child.signalCode}) before serving:\n${stderr()}`);
    }
    try {
      const res = await fetch(`${url}/v2/`, { signal: AbortSignal.timeout(1_000) });
      await res.arrayBuffer();
      if (res.status === 200) return;
    } catch {
      // Not listening yet: keep polling until the deadline.
    }
    if (Date.now() > deadline) {
      throw new Error(`docker-registry did not answer GET ${url}/v2/ within ${STARTUP_TIMEOUT_MS} ms:\n${stderr()}`);
    }
    await sleep(POLL_INTERVAL_MS);
  }
}

async function startOnce(
  storage: string | { s3: S3StorageConfig },
  configPath: string,
  owned: readonly string[],
): Promise<RegistryProcess> {
  const port = await freePort();
  await writeFile(configPath, registryConfigYaml(storage, { port }));
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(REGISTRY_BINARY, ['serve', configPath], { stdio: ['ignore', 'ignore', 'pipe'], env: registryEnv() });
  trackForExit(child);
  // Keep only the tail: a chatty registry must not grow memory for the whole run.
  let errText = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    errText = (errText + chunk).slice(-8_192);
  });
  const spawnError = new Promise<never>((_, reject) => child.once('error', reject));
  // An 'error' after start-up (e.g. a failed kill) must not become an unhandled rejection.
  spawnError.catch(() => undefined);
  try {
    await Promise.race([waitUntilServing(child, url, () => errText), spawnError]);
  } catch (err) {
    await stopChild(child);
    throw err;
  }
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => (stopping ??= stopChild(child));
  return {
    url,
    configPath,
    stop,
    destroy: async () => {
      await stop();
      await Promise.all(owned.map((dir) => rm(dir, { recursive: true, force: true })));
    },
  };
}

export function startRegistry(options?: StartRegistryOptions): Promise<RunningRegistry>;
/** On the s3 driver: the bucket must exist; destroy() leaves its keys alone. */
export function startRegistry(options: StartS3RegistryOptions): Promise<RunningS3Registry>;
export async function startRegistry(options: StartRegistryOptions | StartS3RegistryOptions = {}): Promise<RunningRegistry | RunningS3Registry> {
  if ('storage' in options) {
    const s3 = { ...options.storage.s3 };
    const configDir = await mkdtemp(join(tmpdir(), 'registry-gc-config-'));
    return { ...(await startWithRetries({ s3 }, join(configDir, 'config.yml'), [configDir])), root: undefined, s3 };
  }
  const root = options.root ?? (await mkdtemp(join(tmpdir(), 'registry-gc-root-')));
  // The config lives outside the root, so that the tree the collector sees
  // holds nothing but what the registry wrote.
  const configDir = await mkdtemp(join(tmpdir(), 'registry-gc-config-'));
  // A root the caller passed in is theirs: destroy() must never remove it.
  const owned = options.root === undefined ? [configDir, root] : [configDir];
  return { ...(await startWithRetries(root, join(configDir, 'config.yml'), owned)), root };
}

/** startOnce, again on a lost port race; on failure removes `owned`. */
async function startWithRetries(
  storage: string | { s3: S3StorageConfig },
  configPath: string,
  owned: readonly string[],
): Promise<RegistryProcess> {
  let lastError: unknown;
  for (let attempt = 0; attempt < START_ATTEMPTS; attempt++) {
    try {
      return await startOnce(storage, configPath, owned);
    } catch (err) {
      lastError = err;
      // Only a lost port race is worth another try; anything else is a real failure.
      if (!(err instanceof Error && /address already in use/.test(err.message))) break;
    }
  }
  await Promise.all(owned.map((dir) => rm(dir, { recursive: true, force: true })));
  throw lastError;
}
