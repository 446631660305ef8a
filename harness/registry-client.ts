/**
 * A minimal Registry v2 HTTP client for differential tests, on Node's fetch.
 *
 * It is deliberately independent of src/: the tests use it to make the real
 * registry write trees and to prove, by pulling, that an image is still whole
 * after a collection. Sharing code with the collector would let one bug hide
 * on both sides of the comparison.
 *
 * Every digest that crosses the wire is recomputed here (sha256 of the bytes)
 * and compared, so a pull that "succeeds" with wrong bytes still fails.
 */
import { createHash } from 'node:crypto';

export const MediaTypes = {
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayer: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociArtifact: 'application/vnd.oci.artifact.manifest.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar+gzip',
} as const;

// Without every manifest type in Accept, 2.8.2 answers 404 for OCI content
// or, for Docker schema2, silently down-converts to schema1 (new digest).
const ACCEPT_MANIFESTS = [
  MediaTypes.dockerManifest,
  MediaTypes.dockerList,
  MediaTypes.ociManifest,
  MediaTypes.ociIndex,
  MediaTypes.ociArtifact,
].join(', ');

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  urls?: string[];
  platform?: { architecture: string; os: string };
  artifactType?: string;
}

/** A manifest ready to push: its exact bytes are what gets digested. */
export interface BuiltManifest {
  readonly bytes: Uint8Array;
  readonly mediaType: string;
  readonly digest: string;
  readonly descriptor: Descriptor;
}

export class RegistryHttpError extends Error {
  constructor(
    readonly method: string,
    readonly url: string,
    readonly status: number,
    readonly body: string,
  ) {
    super(`${method} ${url}: unexpected status ${status}: ${body}`);
    this.name = 'RegistryHttpError';
  }
}

export function sha256(bytes: Uint8Array): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/** Deterministic pseudo-random bytes (sha256 in counter mode): the same seed always gives the same blob. */
export function randomLayer(seed: string | number, size: number): Uint8Array {
  const out = new Uint8Array(size);
  for (let offset = 0, counter = 0; offset < size; counter++) {
    const block = createHash('sha256').update(`${seed}\0${counter}`).digest();
    out.set(block.subarray(0, Math.min(block.length, size - offset)), offset);
    offset += block.length;
  }
  return out;
}

/** A small but well-formed image config, distinct per seed. */
export function imageConfig(seed: string | number): Uint8Array {
  const config = { architecture: 'amd64', os: 'linux', config: { Labels: { seed: String(seed) } }, rootfs: { type: 'layers', diff_ids: [] } };
  return new TextEncoder().encode(JSON.stringify(config));
}

export function descriptorOf(bytes: Uint8Array, mediaType: string): Descriptor {
  return { mediaType, digest: sha256(bytes), size: bytes.length };
}

function built(manifest: object, mediaType: string): BuiltManifest {
  const bytes = new TextEncoder().encode(JSON.stringify(manifest, null, 3));
  const digest = sha256(bytes);
  return { bytes, mediaType, digest, descriptor: { mediaType, digest, size: bytes.length } };
}

export interface ImageManifestInput {
  config: Uint8Array;
  layers: readonly Uint8Array[];
  /** @default 'docker' */
  mediaType?: 'docker' | 'oci';
  /** OCI only: makes this manifest a referrer of `subject`. */
  subject?: BuiltManifest | Descriptor;
  /** OCI only: e.g. 'application/vnd.example.sbom'. */
  artifactType?: string;
  configMediaType?: string;
}

export function imageManifest(input: ImageManifestInput): BuiltManifest {
  const oci = input.mediaType === 'oci';
  if (!oci && (input.subject !== undefined || input.artifactType !== undefined)) {
    throw new TypeError('subject and artifactType exist only in OCI manifests');
  }
  const mediaType = oci ? MediaTypes.ociManifest : MediaTypes.dockerManifest;
  const configType = input.configMediaType ?? (oci ? MediaTypes.ociConfig : MediaTypes.dockerConfig);
  const layerType = oci ? MediaTypes.ociLayer : MediaTypes.dockerLayer;
  const manifest: Record<string, unknown> = {
    schemaVersion: 2,
    mediaType,
    ...(input.artifactType === undefined ? {} : { artifactType: input.artifactType }),
    config: descriptorOf(input.config, configType),
    layers: input.layers.map((layer) => descriptorOf(layer, layerType)),
  };
  if (input.subject !== undefined) {
    const s = 'descriptor' in input.subject ? input.subject.descriptor : input.subject;
    manifest['subject'] = { mediaType: s.mediaType, digest: s.digest, size: s.size };
  }
  return built(manifest, mediaType);
}

export function indexManifest(children: readonly BuiltManifest[], kind: 'docker' | 'oci'): BuiltManifest {
  const mediaType = kind === 'oci' ? MediaTypes.ociIndex : MediaTypes.dockerList;
  const arches = ['amd64', 'arm64', 's390x', 'ppc64le', 'riscv64', '386'];
  const manifests = children.map((child, i) => ({
    ...child.descriptor,
    platform: { architecture: arches[i % arches.length] ?? 'amd64', os: 'linux' },
  }));
  return built({ schemaVersion: 2, mediaType, manifests }, mediaType);
}

export interface FetchedManifest {
  bytes: Uint8Array;
  mediaType: string;
  digest: string;
}

export interface UploadHandle {
  /** Absolute URL to send the next chunk to. */
  location: string;
  /** The upload's UUID: also the name of its `_uploads/<uuid>` directory. */
  id: string;
}

export class RegistryClient {
  constructor(readonly baseUrl: string) {}

  private async request(method: string, pathOrUrl: string, expected: readonly number[], init: RequestInit = {}): Promise<Response> {
    const url = new URL(pathOrUrl, this.baseUrl).toString();
    const res = await fetch(url, { ...init, method, redirect: 'follow', signal: AbortSignal.timeout(10_000) });
    if (!expected.includes(res.status)) {
      throw new RegistryHttpError(method, url, res.status, await res.text());
    }
    return res;
  }

  /** The registry may answer with a relative or absolute Location; either is resolved against the base. */
  private location(res: Response): string {
    const loc = res.headers.get('location');
    if (loc === null) throw new Error(`${res.url}: ${res.status} without a Location header`);
    return new URL(loc, this.baseUrl).toString();
  }

  private uploadHandle(res: Response): UploadHandle {
    const location = this.location(res);
    const id = res.headers.get('docker-upload-uuid') ?? /\/blobs\/uploads\/([^/?]+)/.exec(new URL(location).pathname)?.[1];
    if (id === undefined) throw new Error(`no upload id in ${location}`);
    return { location, id };
  }

  async startUpload(repo: string): Promise<UploadHandle> {
    const res = await this.request('POST', `/v2/${repo}/blobs/uploads/`, [202], { body: new Uint8Array(0) });
    await res.arrayBuffer();
    return this.uploadHandle(res);
  }

  /** Sends one chunk and leaves the upload open: what a client that died mid-push leaves behind. */
  async patchUpload(location: string, bytes: Uint8Array): Promise<UploadHandle> {
    const res = await this.request('PATCH', location, [202], {
      body: bytes,
      headers: { 'content-type': 'application/octet-stream' },
    });
    await res.arrayBuffer();
    return this.uploadHandle(res);
  }

  /** Monolithic upload (POST, then a single PUT with the bytes); returns the digest. */
  async pushBlob(repo: string, bytes: Uint8Array): Promise<string> {
    const digest = sha256(bytes);
    const { location } = await this.startUpload(repo);
    // The Location carries the upload state (`_state=…`) as a query: keep it.
    const put = new URL(location);
    put.searchParams.set('digest', digest);
    const res = await this.request('PUT', put.toString(), [201], {
      body: bytes,
      headers: { 'content-type': 'application/octet-stream' },
    });
    await res.arrayBuffer();
    expectDigestHeader(res, digest);
    return digest;
  }

  /** Cross-repository mount: links an existing blob into `repo` without sending bytes. */
  async mountBlob(repo: string, digest: string, from: string): Promise<void> {
    const query = new URLSearchParams({ mount: digest, from });
    // 202 would mean the mount failed and a fresh upload was started instead.
    const res = await this.request('POST', `/v2/${repo}/blobs/uploads/?${query.toString()}`, [201], { body: new Uint8Array(0) });
    await res.arrayBuffer();
    expectDigestHeader(res, digest);
  }

  async pushManifest(repo: string, reference: string, body: Uint8Array, mediaType: string): Promise<string> {
    const res = await this.request('PUT', `/v2/${repo}/manifests/${reference}`, [201], {
      body,
      headers: { 'content-type': mediaType },
    });
    await res.arrayBuffer();
    const digest = sha256(body);
    expectDigestHeader(res, digest);
    return digest;
  }

  async deleteManifest(repo: string, digest: string): Promise<void> {
    const res = await this.request('DELETE', `/v2/${repo}/manifests/${digest}`, [202]);
    await res.arrayBuffer();
  }

  async getManifest(repo: string, reference: string): Promise<FetchedManifest> {
    const res = await this.request('GET', `/v2/${repo}/manifests/${reference}`, [200], {
      headers: { accept: ACCEPT_MANIFESTS },
    });
    const bytes = new Uint8Array(await res.arrayBuffer());
    const digest = sha256(bytes);
    expectDigestHeader(res, digest);
    const mediaType = (res.headers.get('content-type') ?? '').split(';')[0]?.trim() ?? '';
    return { bytes, mediaType, digest };
  }

  async getBlob(repo: string, digest: string): Promise<Uint8Array> {
    const res = await this.request('GET', `/v2/${repo}/blobs/${digest}`, [200]);
    const bytes = new Uint8Array(await res.arrayBuffer());
    const actual = sha256(bytes);
    if (actual !== digest) throw new Error(`blob ${repo}@${digest}: served bytes hash to ${actual}`);
    return bytes;
  }

  /**
   * Pulls everything a client would need to run the image: the manifest, then
   * each child manifest (by digest, recursively) or config and layers. Subjects
   * are not followed: a client pulling an image never needs its referrers'
   * subjects. Returns every digest fetched, in fetch order, without repeats.
   */
  async pullImage(repo: string, reference: string): Promise<string[]> {
    const fetched: string[] = [];
    const seen = new Set<string>();
    const pullManifest = async (ref: string): Promise<void> => {
      const m = await this.getManifest(repo, ref);
      if (ref.includes(':') && m.digest !== ref) {
        throw new Error(`manifest ${repo}@${ref}: served bytes hash to ${m.digest}`);
      }
      if (seen.has(m.digest)) return;
      seen.add(m.digest);
      fetched.push(m.digest);
      const doc = JSON.parse(new TextDecoder().decode(m.bytes)) as ManifestShape;
      for (const child of doc.manifests ?? []) await pullManifest(child.digest);
      const blobs = [...(doc.config ? [doc.config] : []), ...(doc.layers ?? []), ...(doc.blobs ?? [])];
      for (const blob of blobs) {
        // Foreign layers live elsewhere (their `urls`); the registry need not have them.
        if (blob.urls !== undefined && blob.urls.length > 0) continue;
        if (seen.has(blob.digest)) continue;
        seen.add(blob.digest);
        await this.getBlob(repo, blob.digest);
        fetched.push(blob.digest);
      }
    };
    await pullManifest(reference);
    return fetched;
  }

  /** Sorted tags of `repo`; a repository without tags gives []. */
  async listTags(repo: string): Promise<string[]> {
    const res = await this.request('GET', `/v2/${repo}/tags/list`, [200]);
    const body = (await res.json()) as { tags?: string[] | null };
    return [...(body.tags ?? [])].sort();
  }
}

interface ManifestShape {
  manifests?: Descriptor[];
  config?: Descriptor;
  layers?: Descriptor[];
  blobs?: Descriptor[];
}

function expectDigestHeader(res: Response, digest: string): void {
  const header = res.headers.get('docker-content-digest');
  if (header !== null && header !== digest) {
    throw new Error(`${res.url}: Docker-Content-Digest ${header}, expected ${digest}`);
  }
}
