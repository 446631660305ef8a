/**
 * Content digests as the registry writes them: "<algorithm>:<hex>".
 *
 * Every digest that reaches a path goes through `parseDigest` first, so a
 * link file holding "../../etc/passwd" or a manifest naming "sha256:ZZ" can
 * never become a file name. Only the algorithms the registry itself supports
 * are accepted, with lower-case hex of exactly their length.
 */
import { createHash } from 'node:crypto';

/** A digest algorithm the registry supports. */
export type Algorithm = 'sha256' | 'sha384' | 'sha512';

/** A validated digest string, e.g. "sha256:<64 lower-case hex>". */
export type Digest = string & { readonly __digest: unique symbol };

/** A validated digest, and its algorithm and hex apart. */
export interface ParsedDigest {
  readonly algorithm: Algorithm;
  readonly hex: string;
  readonly digest: Digest;
}

/** Hex length of each supported algorithm. */
export const HEX_LENGTH: Readonly<Record<Algorithm, number>> = {
  sha256: 64,
  sha384: 96,
  sha512: 128,
};

export const ALGORITHMS: readonly Algorithm[] = ['sha256', 'sha384', 'sha512'];

const LOWER_HEX = /^[0-9a-f]+$/;

export function isAlgorithm(value: string): value is Algorithm {
  return Object.prototype.hasOwnProperty.call(HEX_LENGTH, value);
}

/** True when `hex` is valid lower-case hex of the right length for `algorithm`. */
export function isValidHex(algorithm: Algorithm, hex: string): boolean {
  return hex.length === HEX_LENGTH[algorithm] && LOWER_HEX.test(hex);
}

/** Every valid digest, in one pass: the hot path of manifest parsing. */
const DIGEST = /^(?:sha256:[0-9a-f]{64}|sha384:[0-9a-f]{96}|sha512:[0-9a-f]{128})$/;

/** True when `value` is exactly a digest of a supported algorithm. */
export function isDigest(value: unknown): value is Digest {
  return typeof value === 'string' && DIGEST.test(value);
}

/** Parses "<alg>:<hex>"; returns undefined for anything else (never throws). */
export function parseDigest(value: unknown): ParsedDigest | undefined {
  if (typeof value !== 'string') return undefined;
  const colon = value.indexOf(':');
  if (colon <= 0) return undefined;
  const algorithm = value.slice(0, colon);
  const hex = value.slice(colon + 1);
  if (!isAlgorithm(algorithm) || !isValidHex(algorithm, hex)) return undefined;
  return { algorithm, hex, digest: value as Digest };
}

/** Builds a digest from parts that were already validated (directory names). */
export function digestOf(algorithm: Algorithm, hex: string): Digest {
  if (!isValidHex(algorithm, hex)) {
    throw new TypeError(`not a valid ${algorithm} hex: ${JSON.stringify(hex)}`);
  }
  return `${algorithm}:${hex}` as Digest;
}

/** Splits a validated digest into its parts. */
export function splitDigest(digest: Digest): ParsedDigest {
  const parsed = parseDigest(digest);
  if (!parsed) throw new TypeError(`not a digest: ${JSON.stringify(digest)}`);
  return parsed;
}

/** Computes the digest of bytes (used by fixtures, tests and verification). */
export function computeDigest(data: Uint8Array | string, algorithm: Algorithm = 'sha256'): Digest {
  return digestOf(algorithm, createHash(algorithm).update(data).digest('hex'));
}
