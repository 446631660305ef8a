/**
 * Where a registry's S3 storage is and how to sign for it: the registry's own
 * `storage.s3` settings (docs/s3.md), with credentials found as the AWS tools
 * find them when the config holds none.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { codedError } from '../errno.js';

/** The registry's `storage.s3` section, as far as collecting needs it. */
export interface S3Settings {
  readonly bucket: string;
  /** The signing region (`region`). */
  readonly region: string;
  /** `regionendpoint`: an S3-compatible server (`http://127.0.0.1:7480`, or a host the `secure` flag completes). Requests then use path-style URLs, as the registry's driver does. */
  readonly regionEndpoint?: string;
  /** `rootdirectory`: the prefix every key of the registry starts with (`/registry`); none by default. */
  readonly rootDirectory?: string;
  /** `accesskey` / `secretkey`; when absent, `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY`, then the shared credentials file. */
  readonly accessKey?: string;
  readonly secretKey?: string;
  /** `AWS_SESSION_TOKEN` of temporary credentials. */
  readonly sessionToken?: string;
  /** `secure`: HTTPS to an endpoint given without a scheme. @default true */
  readonly secure?: boolean;
  /** `v4auth`: only Signature Version 4 is supported (`false` is refused). @default true */
  readonly v4Auth?: boolean;
  /** Requests in flight at once. @default 64 */
  readonly requests?: number;
}

export interface Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

/** The credentials of `settings`, else of the environment, else of the shared credentials file; undefined when none is found. */
export function findCredentials(settings: S3Settings, env: Readonly<Record<string, string | undefined>> = process.env): Credentials | undefined {
  if (settings.accessKey && settings.secretKey) {
    return { accessKeyId: settings.accessKey, secretAccessKey: settings.secretKey, ...(settings.sessionToken ? { sessionToken: settings.sessionToken } : {}) };
  }
  const id = env['AWS_ACCESS_KEY_ID'];
  const secret = env['AWS_SECRET_ACCESS_KEY'];
  if (id && secret) return { accessKeyId: id, secretAccessKey: secret, ...(env['AWS_SESSION_TOKEN'] ? { sessionToken: env['AWS_SESSION_TOKEN'] } : {}) };
  return sharedCredentials(env);
}

/** `[profile]` of `~/.aws/credentials` (or AWS_SHARED_CREDENTIALS_FILE), profile AWS_PROFILE or `default`. */
function sharedCredentials(env: Readonly<Record<string, string | undefined>>): Credentials | undefined {
  const file = env['AWS_SHARED_CREDENTIALS_FILE'] ?? path.join(env['HOME'] ?? os.homedir(), '.aws', 'credentials');
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  const wanted = env['AWS_PROFILE'] ?? 'default';
  let profile: string | undefined;
  const values = new Map<string, string>();
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) {
      profile = header[1]!.trim();
      continue;
    }
    const eq = line.indexOf('=');
    if (profile === wanted && eq > 0) values.set(line.slice(0, eq).trim().toLowerCase(), line.slice(eq + 1).trim());
  }
  const id = values.get('aws_access_key_id');
  const secret = values.get('aws_secret_access_key');
  if (!id || !secret) return undefined;
  const token = values.get('aws_session_token');
  return { accessKeyId: id, secretAccessKey: secret, ...(token ? { sessionToken: token } : {}) };
}

/**
 * The layout's root for these settings: the rootdirectory as an absolute
 * POSIX path (`/` when none). The registry's driver puts the rootdirectory in
 * front of its keys as written, so one that a path would normalise (a `.` or
 * `..` part, a doubled `/`) names keys this collector would not find: refused.
 */
export function rootOf(settings: S3Settings): string {
  const written = (settings.rootDirectory ?? '').replace(/^\/+/, '').replace(/\/+$/, '');
  if (written !== '' && written.split('/').some((part) => part === '' || part === '.' || part === '..')) {
    throw codedError('EINVAL', `rootdirectory ${JSON.stringify(settings.rootDirectory)} has an empty, "." or ".." part`);
  }
  return `/${written}`;
}

/** How a bucket is addressed: the origin and the path every key's URL starts with. */
export function endpointOf(settings: S3Settings): { origin: string; bucketPath: string } {
  if (settings.regionEndpoint) {
    const scheme = settings.secure === false ? 'http' : 'https';
    const url = new URL(/^[a-z]+:\/\//i.test(settings.regionEndpoint) ? settings.regionEndpoint : `${scheme}://${settings.regionEndpoint}`);
    return { origin: url.origin, bucketPath: `/${settings.bucket}` };
  }
  const scheme = settings.secure === false ? 'http' : 'https';
  return { origin: `${scheme}://${settings.bucket}.s3.${settings.region}.amazonaws.com`, bucketPath: '' };
}
