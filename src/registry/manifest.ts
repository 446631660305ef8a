/**
 * Manifest kinds (spec §2) and what each one references.
 *
 * Dispatch is on the top-level `mediaType`; when it is absent, on the shape.
 * Any other media type is unknown and rejected: a collector must never guess
 * that a manifest references nothing. Within a known kind every reference
 * field that is present is read, even one the kind does not define, because
 * marking more is always safe.
 */
import { isDigest, type Digest } from './digest.js';

/** The manifest media types the collector understands; a manifest of any other is rejected. */
export const MediaType = {
  dockerSchema2: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerSchema1: 'application/vnd.docker.distribution.manifest.v1+json',
  dockerSchema1Signed: 'application/vnd.docker.distribution.manifest.v1+prettyjws',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociArtifact: 'application/vnd.oci.artifact.manifest.v1+json',
} as const;

/** The kind of a manifest, which decides the fields it must have. */
export type ManifestKind = 'docker-schema2' | 'docker-list' | 'oci-manifest' | 'oci-index' | 'oci-artifact' | 'schema1';

const KIND_BY_MEDIA_TYPE: Readonly<Record<string, ManifestKind>> = {
  [MediaType.dockerSchema2]: 'docker-schema2',
  [MediaType.dockerList]: 'docker-list',
  [MediaType.dockerSchema1]: 'schema1',
  [MediaType.dockerSchema1Signed]: 'schema1',
  [MediaType.ociManifest]: 'oci-manifest',
  [MediaType.ociIndex]: 'oci-index',
  [MediaType.ociArtifact]: 'oci-artifact',
};

/** What a parsed manifest references: what marking follows from it. */
export interface ManifestReferences {
  readonly kind: ManifestKind;
  /** The declared media type, or undefined when the kind came from the shape. */
  readonly mediaType: string | undefined;
  /** Non-manifest blobs this manifest needs: config, layers, artifact blobs, schema1 layers. */
  readonly blobs: readonly Digest[];
  /** Child manifests (lists and indexes): each is itself a manifest to mark. */
  readonly children: readonly Digest[];
  /** The manifest this one refers to (OCI `subject`): a weak reference. */
  readonly subject: Digest | undefined;
}

/** Why a manifest could not be parsed: `bad_descriptor` is a reference that is no valid descriptor, `missing_field` a field its kind requires. */
export type ManifestErrorReason = 'not_json' | 'not_object' | 'unknown_media_type' | 'bad_descriptor' | 'missing_field';

/** What a manifest that could not be parsed says about its subject, as far as can be told. */
export type LooseSubject = Digest | 'unknown' | undefined;

/** Thrown by parseManifest for bytes that are not a manifest it understands completely. */
export class ManifestError extends Error {
  readonly reason: ManifestErrorReason;
  /**
   * The `subject` read without trusting the rest: undefined when the bytes
   * have no subject field (not JSON, or no such field), 'unknown' when the
   * field is there but is no valid descriptor. The referrer rule needs this
   * to decide whether a manifest it cannot parse could still be a referrer.
   */
  subject: LooseSubject;
  constructor(reason: ManifestErrorReason, message: string, subject?: LooseSubject) {
    super(message);
    this.name = 'ManifestError';
    this.reason = reason;
    this.subject = subject;
  }
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Reads and validates the digest of one descriptor (`field` names it in errors). */
function descriptorDigest(descriptor: unknown, field: string, key = 'digest'): Digest {
  if (!isObject(descriptor)) throw new ManifestError('bad_descriptor', `${field} is not an object`);
  const digest = descriptor[key];
  if (!isDigest(digest)) throw new ManifestError('bad_descriptor', `${field}.${key} is not a valid digest: ${JSON.stringify(digest)}`);
  return digest;
}

function descriptorList(manifest: Json, field: string, key = 'digest'): Digest[] {
  const value = manifest[field];
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new ManifestError('bad_descriptor', `${field} is not an array`);
  return value.map((item, i) => descriptorDigest(item, `${field}[${i}]`, key));
}

function kindFromShape(manifest: Json): ManifestKind | undefined {
  if (Array.isArray(manifest['manifests'])) return 'oci-index';
  if (manifest['config'] !== undefined && Array.isArray(manifest['layers'])) return 'oci-manifest';
  if (manifest['schemaVersion'] === 1) return 'schema1';
  return undefined;
}

const REQUIRED_FIELDS: Readonly<Record<ManifestKind, readonly string[]>> = {
  'docker-schema2': ['config', 'layers'],
  'oci-manifest': ['config', 'layers'],
  'docker-list': ['manifests'],
  'oci-index': ['manifests'],
  'oci-artifact': [],
  schema1: ['fsLayers'],
};

/** The bytes as UTF-8 text, read in place: Buffer.from(bytes) would copy every manifest once more first. */
function textOf(data: Uint8Array): string {
  const bytes = Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return bytes.toString('utf8');
}

/**
 * Parses a manifest's bytes into its references. Throws ManifestError when
 * the bytes are not a manifest this collector understands completely.
 */
export function parseManifest(data: Uint8Array | string): ManifestReferences {
  let manifest: unknown;
  try {
    manifest = JSON.parse(typeof data === 'string' ? data : textOf(data));
  } catch (error) {
    throw new ManifestError('not_json', `not JSON: ${(error as Error).message}`);
  }
  if (!isObject(manifest)) throw new ManifestError('not_object', 'JSON is not an object');
  const loose = looseSubject(manifest);
  try {
    return references(manifest);
  } catch (error) {
    if (error instanceof ManifestError) error.subject = loose;
    throw error;
  }
}

function looseSubject(manifest: Json): LooseSubject {
  const subject = manifest['subject'];
  if (subject === undefined) return undefined;
  return isObject(subject) && isDigest(subject['digest']) ? subject['digest'] : 'unknown';
}

function references(manifest: Json): ManifestReferences {

  const declared = manifest['mediaType'];
  let kind: ManifestKind | undefined;
  if (declared === undefined) {
    kind = kindFromShape(manifest);
    if (!kind) throw new ManifestError('unknown_media_type', 'no mediaType and a shape that is no known manifest kind');
  } else {
    // Own properties only: "toString" is no media type.
    kind = typeof declared === 'string' && Object.hasOwn(KIND_BY_MEDIA_TYPE, declared) ? KIND_BY_MEDIA_TYPE[declared] : undefined;
    if (!kind) throw new ManifestError('unknown_media_type', `unknown media type ${JSON.stringify(declared)}`);
  }
  for (const field of REQUIRED_FIELDS[kind]) {
    if (manifest[field] === undefined) throw new ManifestError('missing_field', `${kind} manifest without "${field}"`);
  }

  const blobs: Digest[] = [];
  if (manifest['config'] !== undefined) blobs.push(descriptorDigest(manifest['config'], 'config'));
  blobs.push(...descriptorList(manifest, 'layers'));
  blobs.push(...descriptorList(manifest, 'blobs'));
  blobs.push(...descriptorList(manifest, 'fsLayers', 'blobSum'));
  const children = descriptorList(manifest, 'manifests');
  const subject = manifest['subject'] === undefined ? undefined : descriptorDigest(manifest['subject'], 'subject');

  return {
    kind,
    mediaType: typeof declared === 'string' ? declared : undefined,
    blobs: [...new Set(blobs)],
    children: [...new Set(children)],
    subject,
  };
}
