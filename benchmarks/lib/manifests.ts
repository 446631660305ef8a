/**
 * The JSON documents of a registry tree, shaped as the real clients write
 * them: Docker (3-space indentation, `mediaType, size, digest` order) for
 * schema 2 manifests and manifest lists; compact JSON as BuildKit, ORAS and
 * cosign push for OCI manifests, indexes and referrers.
 */
import type { Digest } from '../../src/registry/digest.js';

export const MediaType = {
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayer: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  dockerForeignLayer: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar+gzip',
  ociEmpty: 'application/vnd.oci.empty.v1+json',
  inToto: 'application/vnd.in-toto+json',
} as const;

export type Format = 'docker' | 'oci';

export interface Descriptor {
  mediaType: string;
  digest: Digest;
  size: number;
  urls?: string[];
  artifactType?: string;
  annotations?: Record<string, string>;
  platform?: Platform;
}

export interface Platform {
  architecture: string;
  os: string;
  variant?: string;
}

export const PLATFORMS: readonly Platform[] = [
  { architecture: 'amd64', os: 'linux' },
  { architecture: 'arm64', os: 'linux', variant: 'v8' },
  { architecture: 'arm', os: 'linux', variant: 'v7' },
  { architecture: 'ppc64le', os: 'linux' },
  { architecture: 's390x', os: 'linux' },
  { architecture: '386', os: 'linux' },
];

/** The OCI empty descriptor's blob, `{}` (used as config by artifacts). */
export const EMPTY_JSON = '{}';

/** Artifact kinds that are pushed as referrers (OCI manifests with `subject`). */
export const ARTIFACTS = [
  { artifactType: 'application/vnd.dev.cosign.artifact.sig.v1+json', layerType: 'application/vnd.dev.cosign.simplesigning.v1+json' },
  { artifactType: 'application/spdx+json', layerType: 'application/spdx+json' },
  { artifactType: 'application/vnd.cncf.notary.signature', layerType: 'application/jose+json' },
  { artifactType: 'application/vnd.in-toto+json', layerType: 'application/vnd.in-toto+json' },
] as const;

/** Docker writes descriptors as mediaType, size, digest (then urls). */
function dockerDescriptor(d: Descriptor): Record<string, unknown> {
  const out: Record<string, unknown> = { mediaType: d.mediaType, size: d.size, digest: d.digest };
  if (d.urls) out['urls'] = d.urls;
  if (d.platform) out['platform'] = d.platform;
  return out;
}

/** OCI tools write mediaType, (artifactType,) digest, size, then the rest. */
function ociDescriptor(d: Descriptor): Record<string, unknown> {
  const out: Record<string, unknown> = { mediaType: d.mediaType };
  if (d.artifactType) out['artifactType'] = d.artifactType;
  out['digest'] = d.digest;
  out['size'] = d.size;
  if (d.urls) out['urls'] = d.urls;
  if (d.annotations) out['annotations'] = d.annotations;
  if (d.platform) out['platform'] = d.platform;
  return out;
}

export function imageManifest(
  format: Format,
  config: Descriptor,
  layers: readonly Descriptor[],
  extra: { created?: string; artifactType?: string; subject?: Descriptor } = {},
): string {
  if (format === 'docker') {
    return JSON.stringify(
      {
        schemaVersion: 2,
        mediaType: MediaType.dockerManifest,
        config: dockerDescriptor(config),
        layers: layers.map(dockerDescriptor),
      },
      null,
      3,
    );
  }
  const doc: Record<string, unknown> = { schemaVersion: 2, mediaType: MediaType.ociManifest };
  if (extra.artifactType) doc['artifactType'] = extra.artifactType;
  doc['config'] = ociDescriptor(config);
  doc['layers'] = layers.map(ociDescriptor);
  if (extra.subject) doc['subject'] = ociDescriptor(extra.subject);
  if (extra.created) doc['annotations'] = { 'org.opencontainers.image.created': extra.created };
  return JSON.stringify(doc);
}

export function indexManifest(format: Format, manifests: readonly Descriptor[]): string {
  if (format === 'docker') {
    return JSON.stringify(
      { schemaVersion: 2, mediaType: MediaType.dockerList, manifests: manifests.map(dockerDescriptor) },
      null,
      3,
    );
  }
  return JSON.stringify({ schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: manifests.map(ociDescriptor) });
}

export interface ConfigInput {
  platform: Platform;
  created: string;
  repository: string;
  revision: string;
  diffIds: readonly string[];
}

/** A small, real-looking image configuration (diff_ids are random: layer bodies are not tar files). */
export function imageConfig(c: ConfigInput): string {
  const app = c.repository.split('/').pop() ?? 'app';
  const platform: Record<string, string> = { architecture: c.platform.architecture, os: c.platform.os };
  if (c.platform.variant) platform['variant'] = c.platform.variant;
  return JSON.stringify({
    ...platform,
    config: {
      Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', `APP_NAME=${app}`],
      Entrypoint: [`/usr/local/bin/${app}`],
      WorkingDir: '/srv',
      Labels: {
        'org.opencontainers.image.source': `https://git.example.com/${c.repository}`,
        'org.opencontainers.image.revision': c.revision,
      },
    },
    created: c.created,
    history: c.diffIds.map((_, i) => ({
      created: c.created,
      created_by: i === 0 ? '/bin/sh -c #(nop) ADD file:rootfs.tar in / ' : `RUN /bin/sh -c build-step-${i} # buildkit`,
      comment: 'buildkit.dockerfile.v0',
    })),
    os: c.platform.os,
    rootfs: { type: 'layers', diff_ids: c.diffIds },
  });
}

/** What an artifact layer holds: a signature payload, an SBOM, a provenance statement. */
export function artifactPayload(artifactType: string, subject: Digest, repository: string, nonce: string): string {
  return JSON.stringify({
    _type: artifactType,
    critical: { identity: { 'docker-reference': `registry.example.com/${repository}` }, image: { 'docker-manifest-digest': subject } },
    optional: { nonce },
  });
}

/** A BuildKit provenance attestation's config. */
export function attestationConfig(created: string): string {
  return JSON.stringify({ architecture: 'unknown', os: 'unknown', config: {}, created, rootfs: { type: 'layers', diff_ids: [] } });
}
