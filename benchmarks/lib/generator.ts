/**
 * Builds a registry tree push by push, as clients would have written it
 * through the registry, and records the graph it wrote (lib/model.ts).
 *
 * Per repository, pushes happen in time order until its manifest budget is
 * spent: single-arch images (Docker or OCI; sometimes a copy of another
 * repository's image, sometimes a Windows image with a foreign layer),
 * multi-arch indexes (children and attestations pushed by digest first),
 * and referrers of earlier manifests (maybe listed by a tag-schema fallback
 * index). Tags are decided afterwards over the top-level manifests. Orphans,
 * deleted repositories and uploads are added last.
 */
import path from 'node:path';
import { digestOf, type Digest } from '../../src/registry/digest.js';
import type { GenerateParams } from '../presets.js';
import {
  ARTIFACTS,
  EMPTY_JSON,
  MediaType,
  PLATFORMS,
  artifactPayload,
  attestationConfig,
  imageConfig,
  imageManifest,
  indexManifest,
  type Descriptor,
  type Format,
  type Platform,
} from './manifests.js';
import type { ManifestKind, ManifestNode, RepositoryModel, TagModel } from './model.js';
import type { Prng } from './prng.js';
import type { TreeWriter } from './tree-writer.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const FLAVORS = ['slim', 'alpine', 'debian', 'distroless', 'ubi'];
const MOVING_TAGS = ['stable', 'edge'];

export interface Counters {
  images: number;
  indexes: number;
  indexChildren: number;
  attestations: number;
  referrers: number;
  referrersIndexes: number;
  crossRepositoryImages: number;
  windowsImages: number;
  layerBlobs: number;
  layerBytes: number;
  orphanBytes: number;
}

export interface Sample {
  repository: string;
  tag?: string;
  digest: Digest;
  mediaType: string;
  kind: ManifestKind;
}

interface PoolLayer {
  size: number;
  digest?: Digest;
}

interface RecentImage {
  repository: string;
  manifest: Descriptor;
  blobs: Digest[];
}

/** Per-repository push state. */
interface Pushes {
  readonly repo: RepositoryModel;
  readonly topLevel: Descriptor[];
  readonly referrable: Descriptor[];
  readonly fallback: Map<Digest, { tag: string; referrers: Descriptor[] } | null>;
  readonly previousIndex: Map<Format, Map<string, Descriptor>>;
  created: number;
  readonly step: number;
}

export class Generator {
  readonly repositories: RepositoryModel[] = [];
  readonly manifests = new Map<Digest, ManifestNode>();
  readonly intendedOrphans = new Set<Digest>();
  readonly counters: Counters = {
    images: 0,
    indexes: 0,
    indexChildren: 0,
    attestations: 0,
    referrers: 0,
    referrersIndexes: 0,
    crossRepositoryImages: 0,
    windowsImages: 0,
    layerBlobs: 0,
    layerBytes: 0,
    orphanBytes: 0,
  };
  readonly samples = new Map<string, Sample>();
  private readonly pool = new Map<string, PoolLayer[]>();
  private readonly recent: RecentImage[] = [];
  private readonly now: number;

  constructor(
    private readonly p: GenerateParams,
    private readonly rng: Prng,
    private readonly w: TreeWriter,
  ) {
    this.now = Date.parse(p.now);
    if (Number.isNaN(this.now)) throw new RangeError(`now is not a time: ${p.now}`);
    // amd64 gets most of the pool, every other platform at least one layer.
    const shares = PLATFORMS.map((pl, i) => ({ arch: pl.architecture, share: i === 0 ? 0.6 : i === 1 ? 0.2 : 0.2 / (PLATFORMS.length - 2) }));
    for (const { arch, share } of shares) {
      const count = Math.max(1, Math.round(p.baseLayerPool * share));
      this.pool.set(arch, Array.from({ length: count }, () => ({ size: rng.size(p.baseLayerSizes) })));
    }
  }

  // Repositories -------------------------------------------------------------

  newRepository(name: string): RepositoryModel {
    const repo: RepositoryModel = { name, revisions: [], revisionSet: new Set(), tags: new Map(), layerLinks: new Set(), uploads: [] };
    this.repositories.push(repo);
    return repo;
  }

  /** Names: `team<t>`, then `team<t>/<app>` in several spellings, sometimes nested below the previous one. */
  repositoryNames(): string[] {
    const names: string[] = [];
    const styles = [(j: number) => `app${j}`, (j: number) => `svc-${j}`, (j: number) => `api_${j}`, (j: number) => `web.${j}`, (j: number) => `worker--${j}`, (j: number) => `batch__${j}`];
    for (let i = 0; i < this.p.repositories; i++) {
      const team = Math.floor(i / this.p.teamSize);
      const j = i % this.p.teamSize;
      const previous = names[names.length - 1];
      if (j === 0) names.push(`team${team}`);
      else if (j >= 2 && previous !== undefined && this.rng.chance(this.p.nestedFraction)) names.push(`${previous}/cache${j}`);
      else names.push(`team${team}/${(styles[j % styles.length] ?? styles[0]!)(j)}`);
    }
    return names;
  }

  /** Per-repository manifest budgets: paired deviations, so the total is exactly repositories × mean. */
  budgets(): number[] {
    const mean = this.p.manifestsPerRepository;
    const out: number[] = [];
    for (let i = 0; i < this.p.repositories; i += 2) {
      const d = Math.round(this.p.manifestsSpread * (mean - 1) * this.rng.float());
      if (i + 1 < this.p.repositories) out.push(mean + d, mean - d);
      else out.push(mean);
    }
    return out;
  }

  private linkLayer(repo: RepositoryModel, d: Digest): void {
    if (repo.layerLinks.has(d)) return;
    repo.layerLinks.add(d);
    this.w.link(this.w.layout.layerLink(repo.name, d), d);
  }

  private addRevision(repo: RepositoryModel, d: Digest): void {
    if (repo.revisionSet.has(d)) return;
    repo.revisionSet.add(d);
    repo.revisions.push(d);
    this.w.link(this.w.layout.revisionLink(repo.name, d), d);
  }

  private time(ms: number): string {
    return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
  }

  // Blobs and manifests --------------------------------------------------------

  private layer(mediaType: string, size: number, orphan: boolean): Descriptor {
    const b = this.w.randomBlob(size);
    if (b.created) {
      this.counters.layerBlobs++;
      this.counters.layerBytes += b.size;
    }
    if (orphan) this.intendedOrphans.add(b.digest);
    return { mediaType, digest: b.digest, size: b.size };
  }

  private poolLayers(arch: string, mediaType: string): Descriptor[] {
    const pool = this.pool.get(arch) ?? [];
    const count = Math.min(this.rng.range(this.p.baseLayersPerImage), pool.length);
    const start = this.rng.int(0, pool.length - 1);
    const out: Descriptor[] = [];
    for (let k = 0; k < count; k++) {
      const entry = pool[(start + k) % pool.length];
      if (entry === undefined) continue;
      if (entry.digest === undefined) entry.digest = this.layer(mediaType, entry.size, false).digest;
      out.push({ mediaType, digest: entry.digest, size: entry.size });
    }
    return out;
  }

  private manifest(repo: RepositoryModel, text: string, node: Omit<ManifestNode, 'size'>, revision: boolean): Descriptor {
    const m = this.w.jsonBlob(text);
    if (!this.manifests.has(m.digest)) this.manifests.set(m.digest, { ...node, size: m.size });
    if (revision) this.addRevision(repo, m.digest);
    return { mediaType: node.mediaType, digest: m.digest, size: m.size };
  }

  /** An image: base layers from the pool, own layers, config, manifest; layer links; a revision unless orphaned. */
  private image(repo: RepositoryModel, format: Format, platform: Platform, created: number, kind: ManifestKind, orphan = false): Descriptor {
    const layerType = format === 'docker' ? MediaType.dockerLayer : MediaType.ociLayer;
    const layers: Descriptor[] = [];
    let os = platform;
    if (!orphan && format === 'docker' && platform.architecture === 'amd64' && this.rng.chance(this.p.foreignLayerFraction)) {
      const digest = digestOf('sha256', this.rng.hex(64));
      const url = `https://mcr.microsoft.com/v2/windows/servercore/blobs/${digest}`;
      layers.push({ mediaType: MediaType.dockerForeignLayer, digest, size: this.rng.int(100_000_000, 400_000_000), urls: [url] });
      os = { architecture: 'amd64', os: 'windows' };
      this.counters.windowsImages++;
    } else if (!orphan) {
      layers.push(...this.poolLayers(platform.architecture, layerType));
    }
    const own = this.rng.range(this.p.layersPerImage);
    for (let k = 0; k < own; k++) layers.push(this.layer(layerType, this.rng.size(this.p.layerSizes), orphan));
    const config = this.w.jsonBlob(
      imageConfig({
        platform: os,
        created: this.time(created),
        repository: repo.name,
        revision: this.rng.hex(40),
        diffIds: layers.map(() => `sha256:${this.rng.hex(64)}`),
      }),
    );
    const configDesc: Descriptor = { mediaType: format === 'docker' ? MediaType.dockerConfig : MediaType.ociConfig, ...config };
    const text = imageManifest(format, configDesc, layers, format === 'oci' ? { created: this.time(created) } : {});
    const stored = [configDesc, ...layers].filter((l) => l.urls === undefined);
    for (const b of stored) this.linkLayer(repo, b.digest);
    const mediaType = format === 'docker' ? MediaType.dockerManifest : MediaType.ociManifest;
    const desc = this.manifest(repo, text, { kind, mediaType, blobs: [configDesc, ...layers].map((l) => l.digest), children: [] }, !orphan);
    if (orphan) {
      this.intendedOrphans.add(config.digest);
      this.intendedOrphans.add(desc.digest);
    } else if (os.os === 'windows') {
      const key = `windows:${mediaType}`;
      if (!this.samples.has(key)) this.samples.set(key, { repository: repo.name, digest: desc.digest, mediaType, kind });
    } else if (kind === 'image') {
      this.recent.push({ repository: repo.name, manifest: desc, blobs: stored.map((b) => b.digest) });
      if (this.recent.length > 64) this.recent.shift();
    }
    return desc;
  }

  // Pushes -------------------------------------------------------------------

  /** All pushes of one repository, then its tags. */
  fillRepository(name: string, budget: number): void {
    const repo = this.newRepository(name);
    const step = (90 * DAY) / Math.max(1, budget);
    const s: Pushes = { repo, topLevel: [], referrable: [], fallback: new Map(), previousIndex: new Map(), created: this.now - 90 * DAY, step };
    // Budgets count revisions actually added: a push can repeat an existing manifest (an index whose children were all reused).
    for (let left = budget; left > 0; left = budget - repo.revisions.length) {
      s.created += s.step;
      const roll = this.rng.float();
      if (roll < this.p.referrerFraction && s.referrable.length > 0) this.pushReferrer(s, left);
      else if (roll < this.p.referrerFraction + this.p.multiArchFraction && left >= 3) this.pushIndex(s, left);
      else this.pushImage(s);
    }
    this.assignTags(s);
  }

  private pushImage(s: Pushes): void {
    const source = this.rng.chance(this.p.crossRepositoryFraction) ? this.recent.find((r) => r.repository !== s.repo.name && !s.repo.revisionSet.has(r.manifest.digest)) : undefined;
    let desc: Descriptor;
    if (source !== undefined) {
      for (const b of source.blobs) this.linkLayer(s.repo, b);
      this.addRevision(s.repo, source.manifest.digest);
      desc = source.manifest;
      this.counters.crossRepositoryImages++;
    } else {
      const format: Format = this.rng.chance(this.p.ociFraction) ? 'oci' : 'docker';
      desc = this.image(s.repo, format, PLATFORMS[0]!, s.created, 'image');
      this.counters.images++;
    }
    s.topLevel.push(desc);
    s.referrable.push(desc);
  }

  private pushIndex(s: Pushes, budget: number): void {
    const format: Format = this.rng.chance(this.p.ociFraction) ? 'oci' : 'docker';
    const platforms = PLATFORMS.slice(0, Math.min(this.rng.range(this.p.platformsPerIndex), PLATFORMS.length));
    const attest = format === 'oci' && this.rng.chance(this.p.attestationFraction);
    const previous = s.previousIndex.get(format);
    let used = 1;
    const children: Descriptor[] = [];
    const fresh: Descriptor[] = [];
    for (const platform of platforms) {
      const reused = previous?.get(platform.architecture);
      if (reused !== undefined && this.rng.chance(this.p.sharedChildFraction)) {
        children.push(reused);
      } else if (used < budget) {
        const child = { ...this.image(s.repo, format, platform, s.created, 'child'), platform };
        this.counters.indexChildren++;
        used++;
        children.push(child);
        fresh.push(child);
      }
    }
    const attestations: Descriptor[] = [];
    for (const child of attest ? fresh : []) {
      if (used >= budget) break;
      attestations.push(this.attestation(s, child));
      used++;
    }
    const all = [...children, ...attestations];
    const mediaType = format === 'docker' ? MediaType.dockerList : MediaType.ociIndex;
    const index = this.manifest(s.repo, indexManifest(format, all), { kind: 'index', mediaType, blobs: [], children: all.map((c) => c.digest) }, true);
    this.counters.indexes++;
    s.previousIndex.set(format, new Map(children.map((c) => [c.platform?.architecture ?? '', c])));
    s.topLevel.push(index);
    s.referrable.push(index);
  }

  private attestation(s: Pushes, child: Descriptor): Descriptor {
    const config = this.w.jsonBlob(attestationConfig(this.time(s.created)));
    const statement = this.w.jsonBlob(artifactPayload('https://slsa.dev/provenance/v0.2', child.digest, s.repo.name, this.rng.hex(32)));
    const configDesc: Descriptor = { mediaType: MediaType.ociConfig, ...config };
    const layer: Descriptor = { mediaType: MediaType.inToto, ...statement, annotations: { 'in-toto.io/predicate-type': 'https://slsa.dev/provenance/v0.2' } };
    this.linkLayer(s.repo, config.digest);
    this.linkLayer(s.repo, statement.digest);
    const text = imageManifest('oci', configDesc, [layer], { created: this.time(s.created) });
    const desc = this.manifest(s.repo, text, { kind: 'attestation', mediaType: MediaType.ociManifest, blobs: [config.digest, statement.digest], children: [] }, true);
    this.counters.attestations++;
    return {
      ...desc,
      annotations: { 'vnd.docker.reference.digest': child.digest, 'vnd.docker.reference.type': 'attestation-manifest' },
      platform: { architecture: 'unknown', os: 'unknown' },
    };
  }

  private pushReferrer(s: Pushes, budget: number): void {
    const tops = s.topLevel;
    const subject = this.rng.chance(0.75) && tops.length > 0 ? this.rng.pick(tops) : this.rng.pick(s.referrable);
    const artifact = this.rng.pick(ARTIFACTS);
    const empty = this.w.jsonBlob(EMPTY_JSON);
    const payload = this.w.jsonBlob(artifactPayload(artifact.artifactType, subject.digest, s.repo.name, this.rng.hex(32)));
    const emptyDesc: Descriptor = { mediaType: MediaType.ociEmpty, ...empty };
    const layer: Descriptor = { mediaType: artifact.layerType, ...payload };
    this.linkLayer(s.repo, empty.digest);
    this.linkLayer(s.repo, payload.digest);
    const created = this.time(s.created);
    const subjectDesc: Descriptor = { mediaType: subject.mediaType, digest: subject.digest, size: subject.size };
    const text = imageManifest('oci', emptyDesc, [layer], { artifactType: artifact.artifactType, subject: subjectDesc, created });
    const node = { kind: 'referrer' as const, mediaType: MediaType.ociManifest, blobs: [empty.digest, payload.digest], children: [], subject: subject.digest };
    const desc = this.manifest(s.repo, text, node, true);
    this.counters.referrers++;
    s.referrable.push(desc);

    let fallback = s.fallback.get(subject.digest);
    if (fallback === undefined) {
      fallback = this.rng.chance(this.p.referrerTagSchemaFraction) ? { tag: subject.digest.replace(':', '-'), referrers: [] } : null;
      s.fallback.set(subject.digest, fallback);
    }
    if (fallback === null || budget < 2) return;
    fallback.referrers.push({ ...desc, artifactType: artifact.artifactType, annotations: { 'org.opencontainers.image.created': created } });
    const index = this.manifest(
      s.repo,
      indexManifest('oci', fallback.referrers),
      { kind: 'referrersIndex', mediaType: MediaType.ociIndex, blobs: [], children: fallback.referrers.map((r) => r.digest) },
      true,
    );
    this.counters.referrersIndexes++;
    const tag = s.repo.tags.get(fallback.tag);
    if (tag === undefined) s.repo.tags.set(fallback.tag, { current: index.digest, history: [index.digest] });
    else {
      tag.current = index.digest;
      tag.history.push(index.digest);
    }
  }

  // Tags ---------------------------------------------------------------------

  private assignTags(s: Pushes): void {
    const tops = s.topLevel;
    const tags = s.repo.tags;
    const n = tops.length;
    const version = (i: number): string => `v${1 + Math.floor(i / 100)}.${Math.floor(i / 10) % 10}.${i % 10}`;
    const set = (name: string, history: Digest[]): void => {
      const last = history[history.length - 1];
      if (last !== undefined && !tags.has(name)) tags.set(name, { current: last, history });
    };
    const tagged = tops.map((_, i) => i === n - 1 || this.rng.chance(this.p.taggedFraction));
    tops.forEach((d, i) => {
      if (!tagged[i]) return;
      set(version(i), [d.digest]);
      const extras = this.rng.count(this.p.extraTagsPerManifest);
      for (let e = 0; e < extras; e++) {
        const name = e === 0 ? `sha-${d.digest.slice(7, 14)}` : e === 1 ? `build-${i}` : `${version(i)}-${FLAVORS[(e - 2) % FLAVORS.length] ?? 'x'}${e - 2 >= FLAVORS.length ? e : ''}`;
        set(name, [d.digest]);
      }
    });
    const latest: number[] = [];
    tops.forEach((d, i) => {
      if (i === n - 1) return;
      if (!tagged[i] && this.rng.chance(this.p.retaggedFraction)) {
        const j = tagged.indexOf(true, i + 1);
        const rebuilt = tags.get(version(j));
        if (this.rng.chance(0.5) && rebuilt !== undefined) rebuilt.history.unshift(d.digest);
        else latest.push(i);
      } else if (this.rng.chance(this.p.latestHistoryFraction)) latest.push(i);
    });
    if (n > 0) set('latest', [...latest, n - 1].map((i) => tops[i]!.digest));
    for (const name of MOVING_TAGS) {
      if (!this.rng.chance(this.p.movingTagFraction)) continue;
      const history = tops.filter((_, i) => tagged[i] && i < n - 1 && this.rng.chance(0.3)).map((d) => d.digest);
      set(name, history);
    }
    this.writeTags(s.repo);
  }

  private writeTags(repo: RepositoryModel): void {
    const layout = this.w.layout;
    for (const [tag, model] of repo.tags) {
      this.w.linkInto(layout.tagCurrentLink(repo.name, tag), model.current);
      for (const d of new Set(model.history)) this.w.link(path.join(layout.tagIndexEntryDir(repo.name, tag, d), 'link'), d);
      this.sample(repo, model, tag);
    }
  }

  private sample(repo: RepositoryModel, tag: TagModel, name: string): void {
    const node = this.manifests.get(tag.current);
    if (node === undefined) return;
    const key = `${node.kind}:${node.mediaType}${node.blobs.length > 0 && this.isWindows(node) ? ':windows' : ''}`;
    if (!this.samples.has(key)) this.samples.set(key, { repository: repo.name, tag: name, digest: tag.current, mediaType: node.mediaType, kind: node.kind });
    for (const c of node.children) {
      const child = this.manifests.get(c);
      const childKey = `untagged ${child?.kind}:${child?.mediaType}`;
      if (child !== undefined && !this.samples.has(childKey)) this.samples.set(childKey, { repository: repo.name, digest: c, mediaType: child.mediaType, kind: child.kind });
    }
  }

  private isWindows(node: ManifestNode): boolean {
    return node.mediaType === MediaType.dockerManifest && node.blobs.some((b) => !this.w.blobs.has(b));
  }

  // Orphans, deleted repositories, uploads ---------------------------------------

  /** Repositories whose images were all deleted through the API, then orphans spread over the others. */
  orphans(normal: readonly RepositoryModel[]): void {
    let left = this.p.orphanBlobs;
    // An image deleted through the API: manifest, config and own layers stay as blobs, and so do its layer links.
    const deletedImage = (repo: RepositoryModel): void => {
      const before = this.intendedOrphans.size;
      this.image(repo, 'docker', PLATFORMS[0]!, this.now - this.rng.int(1, 60) * DAY, 'image', true);
      left -= this.intendedOrphans.size - before;
    };
    for (let k = 0; k < this.p.deletedRepositories; k++) {
      const repo = this.newRepository(`team${this.rng.int(0, Math.max(0, Math.ceil(this.p.repositories / this.p.teamSize) - 1))}/legacy${k}`);
      this.w.emptyDir(path.join(this.w.layout.revisionsDir(repo.name), 'sha256'));
      this.w.emptyDir(this.w.layout.tagsDir(repo.name));
      const images = this.rng.int(1, 3);
      for (let i = 0; i < images && left >= 2 + this.p.layersPerImage[1]; i++) deletedImage(repo);
    }
    while (left > 0) {
      const roll = this.rng.float();
      const repo = this.rng.pick(normal);
      if (roll < 0.4 && left >= 2 + this.p.layersPerImage[1]) {
        deletedImage(repo);
      } else {
        const blob = this.layer(MediaType.dockerLayer, this.rng.size(this.p.layerSizes), true);
        if (roll < 0.8) this.linkLayer(repo, blob.digest);
        left--;
      }
    }
    for (const d of this.intendedOrphans) this.counters.orphanBytes += this.w.blobs.get(d) ?? 0;
  }

  uploads(normal: readonly RepositoryModel[]): void {
    // Stale and fresh interleaved, so that upload-only repositories (served first) get both kinds.
    const kinds: boolean[] = [];
    for (let k = 0; k < Math.max(this.p.staleUploads, this.p.freshUploads); k++) {
      if (k < this.p.staleUploads) kinds.push(true);
      if (k < this.p.freshUploads) kinds.push(false);
    }
    const onlyUploads: RepositoryModel[] = [];
    for (let k = 0; k < this.p.uploadOnlyRepositories; k++) {
      onlyUploads.push(this.newRepository(`team${this.rng.int(0, Math.max(0, Math.ceil(this.p.repositories / this.p.teamSize) - 1))}/incoming${k}`));
    }
    kinds.forEach((stale, i) => {
      const repo = onlyUploads[i] ?? this.rng.pick(normal);
      const age = (stale ? 169 * HOUR + this.rng.int(0, 60 * 24) * HOUR : this.rng.int(0, 71) * HOUR) + this.rng.int(0, 3599) * 1000;
      const startedAt = this.time(this.now - age);
      const size = this.rng.chance(0.3) ? 0 : this.rng.size(this.p.uploadSizes);
      const id = this.rng.uuid();
      this.w.upload(repo.name, id, startedAt, size);
      repo.uploads.push({ id, startedAt, size, stale });
    });
  }
}
