/**
 * Reading the registry's config.yml: the root (absolute, relative to the
 * current directory, default), the registry's REGISTRY_* overrides in their
 * lexical order, the upload age, the cache settings, and refusing every
 * driver but filesystem with a message that names it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readRegistryConfig, resolveTarget } from '../../src/config/config.js';
import { RegistryGcError } from '../../src/report/errors.js';
import { applyEnvironment, variableFor } from '../../src/config/registry-env.js';
import { tempDir } from '../../harness/tree.js';

function configFile(text: string): string {
  const file = path.join(tempDir(), 'config.yml');
  fs.writeFileSync(file, text);
  return file;
}

const read = (text: string, env: Record<string, string> = {}, cwd = '/srv/registry') => readRegistryConfig(configFile(text), { env, cwd });

function refusal(run: () => unknown): RegistryGcError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(RegistryGcError);
    expect((error as RegistryGcError).code).toBe('E_INVALID_OPTION');
    return error as RegistryGcError;
  }
  throw new Error('expected a refusal');
}

describe('readRegistryConfig', () => {
  it('reads an absolute rootdirectory as it is', () => {
    const config = read('version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: /data/registry\n');
    expect(config.root).toBe('/data/registry');
    expect(config.rootSource).toBe('storage.filesystem.rootdirectory');
  });

  it('resolves a relative rootdirectory against the current directory, like the registry', () => {
    const config = read('storage:\n  filesystem:\n    rootdirectory: data/reg\n', {}, '/srv/registry');
    expect(config.root).toBe('/srv/registry/data/reg');
    expect(config.rootDirectory).toBe('data/reg');
  });

  it('defaults to /var/lib/registry, also for the bare `storage: filesystem` form', () => {
    expect(read('storage:\n  filesystem: {}\n').root).toBe('/var/lib/registry');
    expect(read('storage:\n  filesystem:\n').root).toBe('/var/lib/registry');
    const bare = read('storage: filesystem\n');
    expect(bare.root).toBe('/var/lib/registry');
    expect(bare.rootSource).toBe('default');
  });

  it('honours REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY over the file, and says so', () => {
    const config = read('storage:\n  filesystem:\n    rootdirectory: /data/registry\n', { REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY: '/elsewhere', HOME: '/root' });
    expect(config.root).toBe('/elsewhere');
    expect(config.rootSource).toBe('REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY');
    expect(config.environment).toEqual(['REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY']);
  });

  it('applies REGISTRY_STORAGE before the more specific variables, as the registry sorts them', () => {
    const config = read('storage:\n  s3:\n    bucket: b\n', {
      REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY: '/from-env',
      REGISTRY_STORAGE: 'filesystem',
    });
    expect(config.root).toBe('/from-env');
  });

  it('takes the upload age from uploadpurging, and its environment override', () => {
    const text = 'storage:\n  filesystem: {}\n  maintenance:\n    uploadpurging:\n      enabled: true\n      age: 72h\n';
    expect(read(text).uploadAge).toBe('72h');
    expect(read(text, { REGISTRY_STORAGE_MAINTENANCE_UPLOADPURGING_AGE: '24h' }).uploadAge).toBe('24h');
    expect(read('storage:\n  filesystem: {}\n').uploadAge).toBeUndefined();
    expect(refusal(() => read('storage:\n  filesystem: {}\n  maintenance:\n    uploadpurging:\n      age: 3600\n')).message).toContain('"168h"');
  });

  it('reads the blob-descriptor cache and the Redis address', () => {
    const config = read('storage:\n  filesystem: {}\n  cache:\n    blobdescriptor: redis\nredis:\n  addr: redis.local:6380\n  db: 3\n');
    expect(config.blobDescriptorCache).toBe('redis');
    expect(config.redis).toEqual({ addr: 'redis.local:6380', db: 3 });
    const plain = read('storage:\n  filesystem: {}\n  cache:\n    blobdescriptor: inmemory\n');
    expect(plain.blobDescriptorCache).toBe('inmemory');
    expect(plain.redis).toBeUndefined();
  });

  it.each(['gcs', 'azure', 'swift', 'inmemory', 'oss'])('refuses the %s driver, naming it and what is supported', (driver) => {
    const error = refusal(() => read(`storage:\n  ${driver}:\n    region: x\n  cache:\n    blobdescriptor: inmemory\n`));
    expect(error.message).toContain(`"${driver}" storage driver`);
    expect(error.message).toContain('collects the "filesystem" and "s3" drivers');
  });

  it('reads the s3 driver: bucket, region, endpoint, rootdirectory, keys, secure; the root is the rootdirectory as a path', () => {
    const config = read('storage:\n  s3:\n    bucket: images\n    region: eu-west-1\n    regionendpoint: http://127.0.0.1:7480\n    rootdirectory: /registry\n    accesskey: AK\n    secretkey: SK\n    secure: false\n    chunksize: 5242880\n');
    expect(config.root).toBe('/registry');
    expect(config.s3).toEqual({ bucket: 'images', region: 'eu-west-1', regionEndpoint: 'http://127.0.0.1:7480', rootDirectory: '/registry', accessKey: 'AK', secretKey: 'SK', secure: false });
    // No rootdirectory: keys start at the bucket's top.
    expect(read('storage:\n  s3:\n    bucket: b\n    region: r\n').root).toBe('/');
  });

  it('takes the s3 settings from the REGISTRY_STORAGE_S3_* overrides, and refuses what the registry would not run with', () => {
    const config = read('storage:\n  s3:\n    bucket: a\n    region: r\n', { REGISTRY_STORAGE_S3_BUCKET: 'b', REGISTRY_STORAGE_S3_ROOTDIRECTORY: '/x', REGISTRY_STORAGE_S3_SECURE: 'false' });
    expect(config.s3).toMatchObject({ bucket: 'b', rootDirectory: '/x', secure: false });
    expect(config.rootSource).toBe('REGISTRY_STORAGE_S3_ROOTDIRECTORY');
    expect(read('storage:\n  filesystem: {}\n', { REGISTRY_STORAGE: 's3', REGISTRY_STORAGE_S3_BUCKET: 'b', REGISTRY_STORAGE_S3_REGION: 'r' }).s3?.bucket).toBe('b');
    expect(refusal(() => read('storage:\n  s3:\n    region: r\n')).message).toContain('storage.s3.bucket is not set');
    expect(refusal(() => read('storage:\n  s3:\n    bucket: b\n')).message).toContain('storage.s3.region is not set');
    expect(refusal(() => read('storage:\n  s3:\n    bucket: b\n    region: r\n    v4auth: false\n')).message).toContain('Signature Version 4 only');
    expect(refusal(() => read('storage:\n  s3:\n    bucket: b\n    region: r\n    secure: maybe\n')).message).toContain('storage.s3.secure must be true or false');
    // The registry puts the rootdirectory before its keys as written: a path that normalises names other keys.
    for (const root of ['/a/../b', '/a//b', './a']) {
      expect(refusal(() => read(`storage:\n  s3:\n    bucket: b\n    region: r\n    rootdirectory: ${root}\n`)).message).toContain('has an empty, "." or ".." part');
    }
    expect(read('storage:\n  s3:\n    bucket: b\n    region: r\n    rootdirectory: /a/b/\n').root).toBe('/a/b');
  });

  it('refuses a driver that only the environment names', () => {
    const error = refusal(() => read('storage:\n  filesystem: {}\n', { REGISTRY_STORAGE: 'gcs' }));
    expect(error.message).toContain('"gcs"');
  });

  it('refuses two drivers, no storage section, bad YAML and an empty rootdirectory', () => {
    expect(refusal(() => read('storage:\n  filesystem: {}\n  s3: {}\n')).message).toContain('more than one driver (filesystem, s3)');
    expect(refusal(() => read('version: 0.1\nhttp:\n  addr: :5000\n')).message).toContain('no storage section');
    expect(refusal(() => read('storage: [\n')).message).toContain('not valid YAML');
    expect(refusal(() => read('- a\n- b\n')).message).toContain('not a registry configuration');
    expect(refusal(() => read("storage:\n  filesystem:\n    rootdirectory: ''\n")).message).toContain('rootdirectory is empty');
  });
});

describe('resolveTarget', () => {
  it('takes a folder as the root and a file as a config', () => {
    const dir = tempDir();
    expect(resolveTarget(dir, { env: {}, cwd: '/' })).toEqual({ root: dir, config: undefined, options: {} });
    const file = configFile('storage:\n  filesystem:\n    rootdirectory: reg\n');
    const target = resolveTarget(file, { env: {}, cwd: dir });
    expect(target.root).toBe(path.join(dir, 'reg'));
    expect(target.config?.file).toBe(file);
  });

  it('gives a tool what the CLI takes from a config in one call: the root and the options to pass', async () => {
    const dir = tempDir();
    const file = configFile(`storage:\n  filesystem:\n    rootdirectory: ${dir}\n  maintenance:\n    uploadpurging:\n      age: 72h\n`);
    const target = resolveTarget(file);
    expect(target).toMatchObject({ root: dir, options: { uploadAge: '72h' } });
    // A missing config file is said as such.
    expect(() => resolveTarget(path.join(dir, 'nothere.yml'))).toThrow(/no such file/);
  });

  it('leaves a missing path to the collector, which names what is wrong', () => {
    expect(resolveTarget('/no/such/place', { env: {}, cwd: '/' })).toEqual({ root: '/no/such/place', config: undefined, options: {} });
  });
});

describe('applyEnvironment', () => {
  it('matches existing keys case-insensitively, creates missing ones, parses values as YAML', () => {
    const config: Record<string, unknown> = { storage: { delete: { enabled: false } } };
    const applied = applyEnvironment(config, { REGISTRY_STORAGE_DELETE_ENABLED: 'true', REGISTRY_HTTP_ADDR: ':5000', OTHER: 'x' });
    expect(config).toEqual({ storage: { delete: { enabled: true } }, http: { addr: ':5000' } });
    expect(applied).toEqual(['REGISTRY_HTTP_ADDR', 'REGISTRY_STORAGE_DELETE_ENABLED']);
  });

  it('names the variable that decided a setting', () => {
    const applied = ['REGISTRY_STORAGE', 'REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY'];
    expect(variableFor(applied, ['storage', 'filesystem', 'rootdirectory'])).toBe('REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY');
    expect(variableFor(['REGISTRY_STORAGE'], ['storage', 'filesystem', 'rootdirectory'])).toBe('REGISTRY_STORAGE');
    expect(variableFor(['REGISTRY_HTTP_ADDR'], ['storage', 'filesystem', 'rootdirectory'])).toBeUndefined();
  });
});
