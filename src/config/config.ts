/**
 * The ROOT argument: a registry root folder, or the registry's own config
 * file (like `registry garbage-collect CONFIG`). Which one is decided by
 * stat: a file is a config, anything else is handed to the collector as a
 * root (which says clearly when it holds no registry).
 *
 * From a config it reads, after the registry's environment overrides
 * (registry-env.ts), only what the collector needs:
 * - `storage.filesystem.rootdirectory` (default `/var/lib/registry`). A
 *   relative one is resolved against the current directory, as the registry
 *   does with its own working directory: run registry-gc from there.
 * - `storage.maintenance.uploadpurging.age`: the default upload age.
 * - `storage.cache.blobdescriptor` and `redis`: whether to advise flushing Redis.
 * - `storage.s3` (bucket, region, regionendpoint, rootdirectory, accesskey,
 *   secretkey, secure, v4auth): a registry in a bucket (docs/s3.md).
 * Any other storage driver is refused.
 */
import fs from 'node:fs';
import path from 'node:path';
import { RegistryGcError } from '../report/errors.js';
import { rootOf, type S3Settings } from '../storage/s3/settings.js';
import { applyEnvironment, isMapping, parseYaml, variableFor, type ConfigNode } from './registry-env.js';

export const DEFAULT_ROOT_DIRECTORY = '/var/lib/registry';

/** Keys of `storage` that configure the registry rather than name a driver (the registry's Storage.Type()). */
const STORAGE_SETTINGS = new Set(['maintenance', 'cache', 'delete', 'redirect', 'tag']);

/** The registry's `redis` section, as far as advising a flush of its blob-descriptor cache needs it. */
export interface RedisSettings {
  /** `host:port` (`redis.addr`, or the first of `redis.addrs`). */
  readonly addr: string | undefined;
  readonly db: number | undefined;
}

/** What registry-gc read from a registry config file, after the environment overrides. */
export interface RegistryConfig {
  /** Absolute path of the config file. */
  readonly file: string;
  /** Absolute registry root. */
  readonly root: string;
  /** The rootdirectory as written, before resolving (e.g. `data`). */
  readonly rootDirectory: string;
  /** Where it came from: `storage.filesystem.rootdirectory`, an environment variable, or `default`. */
  readonly rootSource: string;
  /** `storage.maintenance.uploadpurging.age` (a Go duration), when set. */
  readonly uploadAge: string | undefined;
  /** `storage.cache.blobdescriptor` (`inmemory`, `redis`), when set. */
  readonly blobDescriptorCache: string | undefined;
  readonly redis: RedisSettings | undefined;
  /** Environment variables that were applied, in order. */
  readonly environment: readonly string[];
  /** `storage.s3`, when the registry keeps its data in a bucket (docs/s3.md); `root` is then its rootdirectory as a path. */
  readonly s3?: S3Settings;
}

/** The registry root a ROOT argument names, and the config file it came from, if any. */
export interface Target {
  readonly root: string;
  /** Set when ROOT was a config file. */
  readonly config: RegistryConfig | undefined;
  /**
   * What the config decides of a run, ready to spread into collectGarbage's
   * options (`{ ...target.options, dryRun: true }`): the upload age of
   * `storage.maintenance.uploadpurging.age`, as the CLI takes it.
   */
  readonly options: { readonly uploadAge?: string; readonly s3?: S3Settings };
}

/** The process state ROOT is resolved in: the environment (for the registry's `REGISTRY_*` overrides) and the directory relative paths start from. */
export interface ResolveContext {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
}

function refuse(file: string, message: string, cause?: unknown): RegistryGcError {
  return new RegistryGcError('E_INVALID_OPTION', `registry config ${file}: ${message}`, [], { cause });
}

const CONFIG_FILE = /\.ya?ml$/i;

/**
 * Decides whether ROOT is a config file or a root folder, as the CLI does:
 * one call takes a tool from what an operator types to a collection,
 * `collectGarbage(target.root, { ...target.options, dryRun: true })`.
 * `context` defaults to this process's environment and directory.
 */
export function resolveTarget(argument: string, context: ResolveContext = { env: process.env, cwd: process.cwd() }): Target {
  const absolute = path.resolve(context.cwd, argument);
  let isFile = false;
  try {
    // stat, not lstat: a config file is often a link (/etc/docker/registry/config.yml).
    isFile = fs.statSync(absolute).isFile();
  } catch {
    // Missing or unreadable: the collector's own check names what is wrong with a root.
  }
  // A config file named but not there is that, not a root without docker/ below it.
  if (!isFile && CONFIG_FILE.test(argument) && !fs.existsSync(absolute)) throw refuse(absolute, 'no such file');
  if (!isFile) return { root: argument, config: undefined, options: {} };
  const config = readRegistryConfig(argument, context);
  const options = { ...(config.uploadAge === undefined ? {} : { uploadAge: config.uploadAge }), ...(config.s3 === undefined ? {} : { s3: config.s3 }) };
  return { root: config.root, config, options };
}

/** Reads a registry config file, applying the registry's environment overrides. Throws E_INVALID_OPTION when it is unreadable, not YAML, or uses a driver other than `filesystem`. */
export function readRegistryConfig(file: string, context: ResolveContext = { env: process.env, cwd: process.cwd() }): RegistryConfig {
  const absolute = path.resolve(context.cwd, file);
  let text: string;
  try {
    text = fs.readFileSync(absolute, 'utf8');
  } catch (error) {
    throw refuse(absolute, `cannot read it: ${(error as Error).message}`, error);
  }
  let parsed: unknown;
  try {
    parsed = parseYaml(text);
  } catch (error) {
    throw refuse(absolute, `not valid YAML: ${(error as Error).message}`, error);
  }
  if (parsed !== null && parsed !== undefined && !isMapping(parsed)) {
    throw refuse(absolute, 'not a registry configuration (expected a YAML mapping with a storage section)');
  }
  const doc: ConfigNode = isMapping(parsed) ? parsed : {};
  let environment: string[];
  try {
    environment = applyEnvironment(doc, context.env);
  } catch (error) {
    throw refuse(absolute, (error as Error).message, error);
  }
  return interpret(doc, absolute, environment, context.cwd);
}

function section(node: unknown, key: string): ConfigNode | undefined {
  if (!isMapping(node)) return undefined;
  const value = node[key];
  return isMapping(value) ? value : undefined;
}

function storageDriver(file: string, storage: unknown, environment: readonly string[]): string {
  if (storage === undefined || storage === null) {
    throw refuse(file, 'no storage section: is this the registry\'s config.yml? (or pass the root folder itself)');
  }
  if (typeof storage === 'string') return storage;
  if (!isMapping(storage)) throw refuse(file, 'storage must be a mapping naming one driver');
  const drivers = Object.keys(storage).filter((key) => !STORAGE_SETTINGS.has(key)).sort();
  const via = environment.length > 0 ? ` (after the environment overrides ${environment.join(', ')})` : '';
  if (drivers.length === 0) throw refuse(file, `storage names no driver${via}; registry-gc supports the filesystem driver`);
  if (drivers.length > 1) throw refuse(file, `storage names more than one driver (${drivers.join(', ')})${via}; the registry refuses that too`);
  return drivers[0]!;
}

function rootDirectoryOf(file: string, filesystem: unknown): string {
  if (filesystem === undefined || filesystem === null) return DEFAULT_ROOT_DIRECTORY;
  if (!isMapping(filesystem)) throw refuse(file, 'storage.filesystem must be a mapping');
  if (!('rootdirectory' in filesystem)) return DEFAULT_ROOT_DIRECTORY;
  const value = filesystem['rootdirectory'];
  // The registry prints a null as "<nil>" and uses that as a path: refuse rather than guess.
  if (typeof value === 'number') return String(value);
  if (typeof value !== 'string' || value === '') throw refuse(file, 'storage.filesystem.rootdirectory is empty or not a path');
  return value;
}

function uploadAgeOf(file: string, storage: unknown): string | undefined {
  const purging = section(section(storage, 'maintenance'), 'uploadpurging');
  const age = purging?.['age'];
  if (age === undefined || age === null) return undefined;
  // The registry itself accepts only a duration string here; a bare number would be misread.
  if (typeof age !== 'string') throw refuse(file, `storage.maintenance.uploadpurging.age must be a duration like "168h", got ${JSON.stringify(age)}`);
  return age;
}

function blobDescriptorCacheOf(storage: unknown): string | undefined {
  const cache = section(storage, 'cache')?.['blobdescriptor'];
  return typeof cache === 'string' ? cache : undefined;
}

function redisOf(doc: ConfigNode): RedisSettings | undefined {
  const redis = section(doc, 'redis');
  if (!redis) return undefined;
  const addrs = redis['addrs'];
  const first: unknown = Array.isArray(addrs) ? addrs[0] : undefined;
  const addr = typeof redis['addr'] === 'string' ? redis['addr'] : typeof first === 'string' ? first : undefined;
  const db = typeof redis['db'] === 'number' ? redis['db'] : undefined;
  return { addr, db };
}

function interpret(doc: ConfigNode, file: string, environment: string[], cwd: string): RegistryConfig {
  const storage = doc['storage'];
  const driver = storageDriver(file, storage, environment);
  if (driver === 's3') return interpretS3(doc, file, environment);
  if (driver !== 'filesystem') {
    throw refuse(
      file,
      `it uses the "${driver}" storage driver; registry-gc collects the "filesystem" and "s3" drivers. ` +
        `For "${driver}", use the registry's own "registry garbage-collect".`,
    );
  }
  const filesystem = isMapping(storage) ? storage['filesystem'] : undefined;
  const rootDirectory = rootDirectoryOf(file, filesystem);
  const rootPath = ['storage', 'filesystem', 'rootdirectory'];
  const variable = variableFor(environment, rootPath);
  const written = isMapping(filesystem) && 'rootdirectory' in filesystem;
  return {
    file,
    root: path.resolve(cwd, rootDirectory),
    rootDirectory,
    // A less specific variable (REGISTRY_STORAGE) that left rootdirectory unset still means the default.
    rootSource: written ? (variable ?? rootPath.join('.')) : 'default',
    uploadAge: uploadAgeOf(file, storage),
    blobDescriptorCache: blobDescriptorCacheOf(storage),
    redis: redisOf(doc),
    environment,
  };
}

function interpretS3(doc: ConfigNode, file: string, environment: string[]): RegistryConfig {
  const s3 = section(doc['storage'], 's3') ?? {};
  const text = (key: string, required: boolean): string | undefined => {
    const value = s3[key];
    if (value === undefined || value === null || value === '') {
      if (required) throw refuse(file, `storage.s3.${key} is not set`);
      return undefined;
    }
    if (typeof value !== 'string' && typeof value !== 'number') throw refuse(file, `storage.s3.${key} must be a string`);
    return String(value);
  };
  const flag = (key: string): boolean | undefined => {
    const value = s3[key];
    if (value === undefined || value === null || value === '') return undefined;
    if (typeof value === 'boolean') return value;
    if (value === 'true' || value === 'false') return value === 'true';
    throw refuse(file, `storage.s3.${key} must be true or false`);
  };
  const rootDirectory = text('rootdirectory', false) ?? '';
  const settings: S3Settings = {
    bucket: text('bucket', true)!,
    region: text('region', true)!,
    ...optional('regionEndpoint', text('regionendpoint', false)),
    ...optional('rootDirectory', rootDirectory || undefined),
    ...optional('accessKey', text('accesskey', false)),
    ...optional('secretKey', text('secretkey', false)),
    ...optional('secure', flag('secure')),
    ...optional('v4Auth', flag('v4auth')),
  };
  if (settings.v4Auth === false) throw refuse(file, 'storage.s3.v4auth is false: registry-gc signs with Signature Version 4 only');
  const variable = variableFor(environment, ['storage', 's3', 'rootdirectory']);
  return {
    file,
    root: s3RootOf(file, settings),
    rootDirectory,
    rootSource: rootDirectory === '' ? 'default' : (variable ?? 'storage.s3.rootdirectory'),
    uploadAge: uploadAgeOf(file, doc['storage']),
    blobDescriptorCache: blobDescriptorCacheOf(doc['storage']),
    redis: redisOf(doc),
    environment,
    s3: settings,
  };
}

function s3RootOf(file: string, settings: S3Settings): string {
  try {
    return rootOf(settings);
  } catch (error) {
    throw refuse(file, `storage.s3.${(error as Error).message.replace(/^EINVAL: /, '')}`);
  }
}

const optional = <K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } => (value === undefined ? {} : ({ [key]: value } as { [P in K]?: V }));
