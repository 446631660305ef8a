/**
 * Parameters of the tree generator and its named presets.
 *
 * A "manifest" below is a revision: each image, index, index child,
 * attestation and referrer pushed into a repository counts once, so
 * `repositories × manifestsPerRepository` is the exact number of revision
 * links (cross-repository copies are revisions of both repositories).
 */
import type { Range, SizeClass } from './lib/prng.js';

export type { Range, SizeClass };

export interface GenerateParams {
  /** PRNG seed: the same seed and parameters give a byte-identical tree. */
  seed: number;
  /** Reference time (RFC 3339 UTC) for `created` stamps and upload ages: stale uploads started > 168 h before it, fresh ones < 72 h. */
  now: string;

  /** Repositories holding images (deleted and upload-only repositories come on top). */
  repositories: number;
  /** Repositories per namespace: `team<t>` itself, then `team<t>/app<j>`, `team<t>/svc-<j>`, … */
  teamSize: number;
  /** Chance that a repository nests below the previous one (`team<t>/app<j>/cache`). */
  nestedFraction: number;
  /** Mean revisions per repository; the total is exact. */
  manifestsPerRepository: number;
  /** Per-repository counts vary by ± this fraction of the mean (paired, so the total stays exact). */
  manifestsSpread: number;

  /** Chance that a top-level manifest (image or index) has a tag now; the newest always has `latest`. */
  taggedFraction: number;
  /** Mean number of additional tags (`sha-<hex7>`, `build-<n>`, `<version>-<flavor>`) per tagged manifest. */
  extraTagsPerManifest: number;
  /** Chance that an untagged top-level manifest was tagged before (it stays in a tag's index/ history). */
  retaggedFraction: number;
  /** Chance that an older top-level manifest was `latest` once (in `latest`'s history). */
  latestHistoryFraction: number;
  /** Chance, per repository, of each moving tag (`stable`, `edge`) over older tagged manifests. */
  movingTagFraction: number;

  /** Own (unique) layers per image. */
  layersPerImage: Range;
  /** Layers per image taken from the shared base-layer pool (reused across repositories). */
  baseLayersPerImage: Range;
  /** Size of the shared base-layer pool (split over architectures, amd64 the most). */
  baseLayerPool: number;
  layerSizes: readonly SizeClass[];
  baseLayerSizes: readonly SizeClass[];

  /** Chance that an image or index is OCI rather than Docker. */
  ociFraction: number;
  /** Chance that a push is multi-arch: an index (Docker manifest list or OCI index) whose children are pushed by digest. */
  multiArchFraction: number;
  platformsPerIndex: Range;
  /** Chance that an index reuses the previous index's child for a platform (a partial rebuild). */
  sharedChildFraction: number;
  /** Chance that an OCI index carries BuildKit attestation manifests (one per new platform child). */
  attestationFraction: number;
  /** Chance that a push is a referrer (OCI manifest with `subject` and `artifactType`: signature, SBOM, …). */
  referrerFraction: number;
  /** Chance that a subject's referrers are also listed by a tag-schema fallback index, tag `sha256-<hex>`. */
  referrerTagSchemaFraction: number;
  /** Chance that an image is a copy of one in another repository (same manifest, cross-repository mount). */
  crossRepositoryFraction: number;
  /** Chance that a Docker amd64 image is a Windows image with a foreign layer (`urls`, no blob). */
  foreignLayerFraction: number;

  /**
   * Blobs no manifest revision references (all deleted by a default-mode
   * collection): images deleted through the API (manifest, config and own
   * layers; their layer links remain, as the registry leaves them), layers
   * of interrupted pushes (with a layer link) and loose blobs (no link).
   */
  orphanBlobs: number;
  /** Repositories whose every image was deleted through the API: layer links, empty `revisions/sha256` and `tags`. */
  deletedRepositories: number;
  staleUploads: number;
  freshUploads: number;
  /** Repositories holding only `_uploads` (a first push in progress); their uploads count in stale/fresh. */
  uploadOnlyRepositories: number;
  /** Size of an upload's `data` (0 bytes for about a third of uploads). */
  uploadSizes: readonly SizeClass[];
}

const KiB = 1024;
const MiB = 1024 * KiB;

const common = {
  seed: 1,
  now: '2026-11-29T00:00:00Z',
  nestedFraction: 0.1,
  manifestsSpread: 0.5,
  retaggedFraction: 0.4,
  latestHistoryFraction: 0.3,
  movingTagFraction: 0.3,
  ociFraction: 0.4,
  platformsPerIndex: [2, 4] as Range,
  sharedChildFraction: 0.3,
  attestationFraction: 0.4,
  referrerTagSchemaFraction: 0.3,
  uploadSizes: [{ weight: 1, min: 1 * KiB, max: 4 * MiB }],
} satisfies Partial<GenerateParams>;

/** `large`'s and `mid`'s kind of registry: many small images, few tags, small uploads. */
const manyTinyImages = {
  taggedFraction: 0.25,
  extraTagsPerManifest: 0.3,
  layersPerImage: [1, 5] as Range,
  baseLayersPerImage: [1, 2] as Range,
  baseLayerPool: 200,
  layerSizes: [
    { weight: 0.95, min: 128, max: 2 * KiB },
    { weight: 0.05, min: 2 * KiB, max: 32 * KiB },
  ],
  baseLayerSizes: [{ weight: 1, min: 256 * KiB, max: 4 * MiB }],
  multiArchFraction: 0.04,
  referrerFraction: 0.04,
  crossRepositoryFraction: 0.02,
  foreignLayerFraction: 0.002,
  uploadSizes: [{ weight: 1, min: 1 * KiB, max: 64 * KiB }],
} satisfies Partial<GenerateParams>;

/** CI-sized: 20 repositories, 200 manifests, ~40 MB; a couple of seconds. */
const small = {
  ...common,
  repositories: 20,
  teamSize: 5,
  manifestsPerRepository: 10,
  taggedFraction: 0.4,
  extraTagsPerManifest: 0.5,
  layersPerImage: [1, 3],
  baseLayersPerImage: [1, 2],
  baseLayerPool: 12,
  layerSizes: [
    { weight: 0.6, min: 256, max: 8 * KiB },
    { weight: 0.3, min: 8 * KiB, max: 64 * KiB },
    { weight: 0.1, min: 64 * KiB, max: 512 * KiB },
  ],
  baseLayerSizes: [{ weight: 1, min: 256 * KiB, max: 4 * MiB }],
  multiArchFraction: 0.12,
  attestationFraction: 0.5,
  referrerFraction: 0.1,
  referrerTagSchemaFraction: 0.5,
  crossRepositoryFraction: 0.05,
  foreignLayerFraction: 0.05,
  orphanBlobs: 40,
  deletedRepositories: 1,
  staleUploads: 4,
  freshUploads: 3,
  uploadOnlyRepositories: 1,
  uploadSizes: [{ weight: 1, min: 1 * KiB, max: 256 * KiB }],
} satisfies Partial<GenerateParams>;

export const PRESETS = {
  /** CI-sized: 20 repositories, 200 manifests, ~40 MB; a couple of seconds. */
  small,
  /** The design tree of spec §7: 1,000 repositories, 20,000 manifests, ~100,000 blobs, ~3 GB. */
  standard: {
    ...common,
    repositories: 1000,
    teamSize: 10,
    manifestsPerRepository: 20,
    taggedFraction: 0.25,
    extraTagsPerManifest: 0.2,
    movingTagFraction: 0.15,
    layersPerImage: [1, 6],
    baseLayersPerImage: [1, 3],
    baseLayerPool: 200,
    layerSizes: [
      { weight: 0.62, min: 256, max: 8 * KiB },
      { weight: 0.3, min: 8 * KiB, max: 64 * KiB },
      { weight: 0.075, min: 64 * KiB, max: 512 * KiB },
      { weight: 0.005, min: 512 * KiB, max: 4 * MiB },
    ],
    baseLayerSizes: [
      { weight: 0.5, min: 512 * KiB, max: 4 * MiB },
      { weight: 0.5, min: 4 * MiB, max: 16 * MiB },
    ],
    multiArchFraction: 0.05,
    referrerFraction: 0.06,
    crossRepositoryFraction: 0.02,
    foreignLayerFraction: 0.003,
    orphanBlobs: 3000,
    deletedRepositories: 10,
    staleUploads: 60,
    freshUploads: 40,
    uploadOnlyRepositories: 5,
  },
  /**
   * `standard` at half scale, for the scaling row of issue 6 (time for N and 2N
   * blobs): half the repositories, orphans, deleted repositories and uploads;
   * same seed, same shapes, same shared base-layer pool. ~51,000 blobs, ~1.6 GB.
   */
  'standard-half': {
    ...common,
    repositories: 500,
    teamSize: 10,
    manifestsPerRepository: 20,
    taggedFraction: 0.25,
    extraTagsPerManifest: 0.2,
    movingTagFraction: 0.15,
    layersPerImage: [1, 6],
    baseLayersPerImage: [1, 3],
    baseLayerPool: 200,
    layerSizes: [
      { weight: 0.62, min: 256, max: 8 * KiB },
      { weight: 0.3, min: 8 * KiB, max: 64 * KiB },
      { weight: 0.075, min: 64 * KiB, max: 512 * KiB },
      { weight: 0.005, min: 512 * KiB, max: 4 * MiB },
    ],
    baseLayerSizes: [
      { weight: 0.5, min: 512 * KiB, max: 4 * MiB },
      { weight: 0.5, min: 4 * MiB, max: 16 * MiB },
    ],
    multiArchFraction: 0.05,
    referrerFraction: 0.06,
    crossRepositoryFraction: 0.02,
    foreignLayerFraction: 0.003,
    orphanBlobs: 1500,
    deletedRepositories: 5,
    staleUploads: 30,
    freshUploads: 20,
    uploadOnlyRepositories: 3,
  },
  /**
   * Issue 16's S3 row: `small`'s kinds of images on 300 repositories, ~29,000
   * keys, layer bytes kept small (~15 MB): radosgw's memstore holds every object
   * in RAM, once per bucket the benchmark uploads (benchmarks/s3.ts).
   */
  s3: {
    ...small,
    repositories: 300,
    teamSize: 10,
    layerSizes: [
      { weight: 0.9, min: 128, max: 2 * KiB },
      { weight: 0.1, min: 2 * KiB, max: 16 * KiB },
    ],
    baseLayerSizes: [{ weight: 1, min: 16 * KiB, max: 256 * KiB }],
    orphanBlobs: 600,
    deletedRepositories: 15,
    staleUploads: 60,
    freshUploads: 38,
    uploadOnlyRepositories: 12,
    uploadSizes: [{ weight: 1, min: 256, max: 4 * KiB }],
  },
  /** Spec §6's tag-heavy case: 2 repositories × 2,000 manifests with ~1,000 tags each. */
  tags: {
    ...common,
    repositories: 2,
    teamSize: 2,
    nestedFraction: 0,
    manifestsPerRepository: 2000,
    manifestsSpread: 0,
    taggedFraction: 0.5,
    extraTagsPerManifest: 0,
    movingTagFraction: 0,
    layersPerImage: [1, 2],
    baseLayersPerImage: [1, 1],
    baseLayerPool: 4,
    layerSizes: [{ weight: 1, min: 256, max: 4 * KiB }],
    baseLayerSizes: [{ weight: 1, min: 64 * KiB, max: 256 * KiB }],
    multiArchFraction: 0,
    referrerFraction: 0,
    crossRepositoryFraction: 0,
    foreignLayerFraction: 0,
    orphanBlobs: 100,
    deletedRepositories: 0,
    staleUploads: 2,
    freshUploads: 2,
    uploadOnlyRepositories: 0,
  },
  /** ~1,000,000 blobs, mostly tiny: 4,000 repositories × 50 manifests, ~1.5 GB. */
  large: {
    ...common,
    repositories: 4000,
    teamSize: 20,
    manifestsPerRepository: 50,
    ...manyTinyImages,
    orphanBlobs: 50000,
    deletedRepositories: 40,
    staleUploads: 200,
    freshUploads: 100,
    uploadOnlyRepositories: 20,
  },
  /**
   * Issue 15's middle row: `large`'s kind of images on 3,000 repositories × 26
   * manifests, ~380,000 blobs (the issue measured a 384k-blob tree).
   */
  mid: {
    ...common,
    repositories: 3000,
    teamSize: 20,
    manifestsPerRepository: 26,
    ...manyTinyImages,
    orphanBlobs: 20000,
    deletedRepositories: 30,
    staleUploads: 150,
    freshUploads: 75,
    uploadOnlyRepositories: 15,
  },
} satisfies Record<string, GenerateParams>;

export type PresetName = keyof typeof PRESETS;

export function isPresetName(name: string): name is PresetName {
  return Object.prototype.hasOwnProperty.call(PRESETS, name);
}
