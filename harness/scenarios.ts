/**
 * The scenarios of issue 4, each a named async function that drives a running
 * registry through its HTTP API (RegistryClient) and returns what it expects
 * to survive: tagged refs, index children, referrers of kept images.
 *
 * Every action goes through a ScenarioRegistry, which records what the
 * registry must now hold (blobs, manifests and what they reference,
 * revisions, tags, layer links, uploads) without reading the tree. That
 * record is the scenario's own knowledge: gc-model.ts walks it to predict
 * what each collector deletes, independently of both collectors. It models
 * 2.8.2's API as observed:
 *   - PUT manifest (by tag or digest) makes a revision; by tag it also moves the tag;
 *   - DELETE manifest removes the revision and every tag whose current link names it;
 *   - an index can only be pushed when each child is a revision of the repository;
 *   - blobs are never deleted through the API (only the collectors delete blobs).
 *
 * The record is plain JSON (sorted arrays and records), so that
 * scripts/record-fixtures.ts can store it next to a recorded tree.
 */
import { existsSync } from 'node:fs';
import { readdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  RegistryClient,
  imageConfig,
  imageManifest,
  indexManifest,
  randomLayer,
  sha256,
  type BuiltManifest,
} from './registry-client.js';

export const V2 = 'docker/registry/v2';

/** What a manifest references, parsed here from the bytes pushed (never by src/). */
export interface ManifestFacts {
  readonly mediaType: string;
  /** Config, layers and artifact blobs. */
  readonly blobs: readonly string[];
  /** Child manifests of a list or index. */
  readonly children: readonly string[];
  readonly subject?: string;
}

export interface RepositoryState {
  /** Manifest revisions whose link exists. */
  readonly revisions: readonly string[];
  /** Tag → digest its current link names. */
  readonly tags: Readonly<Record<string, string>>;
  /** `_layers` links (pushed or mounted blobs). */
  readonly layers: readonly string[];
  /**
   * Whether `_manifests/tags` exists: a tag was pushed at some point (an
   * untag removes the tag's folder, not `tags/`). 2.8.2's `-m` aborts on a
   * repository with revisions and no such folder (see gc-model.ts).
   */
  readonly tagsDirectory: boolean;
}

export interface UploadState {
  readonly repository: string;
  readonly id: string;
  /** How old `startedat` is made after the registry stops (applyUploadAges). */
  readonly ageHours: number;
  readonly size: number;
}

/** The registry as a scenario left it, known from what was pushed and deleted. */
export interface ScenarioState {
  /** Every digest in `blobs/`: configs, layers and manifests; sorted. */
  readonly blobs: readonly string[];
  readonly manifests: Readonly<Record<string, ManifestFacts>>;
  readonly repositories: Readonly<Record<string, RepositoryState>>;
  readonly uploads: readonly UploadState[];
}

export interface TaggedRef {
  readonly repository: string;
  readonly tag: string;
  readonly digest: string;
}

export interface IndexChildren {
  readonly repository: string;
  readonly index: string;
  readonly children: readonly string[];
}

export interface ReferrerRef {
  readonly repository: string;
  readonly subject: string;
  readonly digest: string;
}

/** What a scenario says must still be pullable after `registry-gc -m`. */
export interface ScenarioExpectations {
  readonly tagged: readonly TaggedRef[];
  /** Every kept index or manifest list, with its children. */
  readonly indexChildren: readonly IndexChildren[];
  /** Every manifest kept only because its subject (transitively) is kept. */
  readonly referrers: readonly ReferrerRef[];
  /** Uploads that must be collected (older than the default 168 h). */
  readonly staleUploads: readonly string[];
}

export interface ScenarioOutcome {
  readonly state: ScenarioState;
  readonly expect: ScenarioExpectations;
}

export interface Scenario {
  readonly name: string;
  readonly description: string;
  run(registry: ScenarioRegistry): Promise<ScenarioExpectations>;
}

/** Ages given to abandoned uploads: well past and well within the default 168 h. */
export const STALE_UPLOAD_HOURS = 30 * 24;
export const FRESH_UPLOAD_HOURS = 1;

const EMPTY_CONFIG = new TextEncoder().encode('{}');
const EMPTY_CONFIG_TYPE = 'application/vnd.oci.empty.v1+json';

interface ManifestShape {
  mediaType?: string;
  config?: { digest: string };
  layers?: { digest: string }[];
  blobs?: { digest: string }[];
  manifests?: { digest: string }[];
  subject?: { digest: string };
}

export function manifestFacts(bytes: Uint8Array): ManifestFacts {
  const doc = JSON.parse(new TextDecoder().decode(bytes)) as ManifestShape;
  const blobs = [...(doc.config ? [doc.config] : []), ...(doc.layers ?? []), ...(doc.blobs ?? [])].map((d) => d.digest);
  return {
    mediaType: doc.mediaType ?? '',
    blobs: [...new Set(blobs)],
    children: [...new Set((doc.manifests ?? []).map((d) => d.digest))],
    ...(doc.subject ? { subject: doc.subject.digest } : {}),
  };
}

const sortedRecord = <T>(entries: Iterable<[string, T]>): Record<string, T> =>
  Object.fromEntries([...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

interface MutableRepository {
  revisions: Set<string>;
  tags: Map<string, string>;
  layers: Set<string>;
  tagsDirectory: boolean;
}

export interface ImageOptions {
  /** Makes the config (and so the manifest) unique. */
  seed: string;
  layers: readonly Uint8Array[];
  tag?: string;
  oci?: boolean;
  subject?: BuiltManifest;
  artifactType?: string;
}

/**
 * A registry under test plus the record of what it holds. Only actions the
 * registry accepted are recorded: each method records after its request
 * succeeded.
 */
export class ScenarioRegistry {
  private readonly blobs = new Set<string>();
  private readonly manifests = new Map<string, ManifestFacts>();
  /** Bytes of every manifest pushed, to push it again (retag, copy). */
  private readonly manifestBytes = new Map<string, BuiltManifest>();
  private readonly repos = new Map<string, MutableRepository>();
  private readonly uploads: UploadState[] = [];

  constructor(readonly client: RegistryClient) {}

  private repo(name: string): MutableRepository {
    let repo = this.repos.get(name);
    if (!repo) {
      repo = { revisions: new Set(), tags: new Map(), layers: new Set(), tagsDirectory: false };
      this.repos.set(name, repo);
    }
    return repo;
  }

  /** Pushes a blob unless the repository already links it; returns its digest. */
  async pushBlob(repo: string, bytes: Uint8Array): Promise<string> {
    const digest = sha256(bytes);
    if (this.repos.get(repo)?.layers.has(digest)) return digest;
    await this.client.pushBlob(repo, bytes);
    this.blobs.add(digest);
    this.repo(repo).layers.add(digest);
    return digest;
  }

  async mountBlob(repo: string, digest: string, from: string): Promise<void> {
    await this.client.mountBlob(repo, digest, from);
    this.repo(repo).layers.add(digest);
  }

  /** PUT by tag when `tag` is given, else by digest. */
  async pushManifest(repo: string, manifest: BuiltManifest, tag?: string): Promise<string> {
    await this.client.pushManifest(repo, tag ?? manifest.digest, manifest.bytes, manifest.mediaType);
    this.blobs.add(manifest.digest);
    this.manifests.set(manifest.digest, manifestFacts(manifest.bytes));
    this.manifestBytes.set(manifest.digest, manifest);
    const r = this.repo(repo);
    r.revisions.add(manifest.digest);
    if (tag !== undefined) {
      r.tags.set(tag, manifest.digest);
      r.tagsDirectory = true;
    }
    return manifest.digest;
  }

  /** Config and layers, then the manifest. */
  async pushImage(repo: string, options: ImageOptions): Promise<BuiltManifest> {
    const artifact = options.artifactType !== undefined;
    const config = artifact ? EMPTY_CONFIG : imageConfig(options.seed);
    for (const bytes of [config, ...options.layers]) await this.pushBlob(repo, bytes);
    const manifest = imageManifest({
      config,
      layers: options.layers,
      mediaType: options.oci || artifact || options.subject ? 'oci' : 'docker',
      ...(artifact ? { artifactType: options.artifactType, configMediaType: EMPTY_CONFIG_TYPE } : {}),
      ...(options.subject ? { subject: options.subject } : {}),
    });
    await this.pushManifest(repo, manifest, options.tag);
    return manifest;
  }

  /** A manifest list (docker) or index (oci) over children already pushed to `repo`. */
  async pushIndex(repo: string, children: readonly BuiltManifest[], kind: 'docker' | 'oci', tag?: string): Promise<BuiltManifest> {
    const index = indexManifest(children, kind);
    await this.pushManifest(repo, index, tag);
    return index;
  }

  /** DELETE by digest: the revision goes, and so does every tag whose current link names it. */
  async deleteManifest(repo: string, digest: string): Promise<void> {
    await this.client.deleteManifest(repo, digest);
    const r = this.repo(repo);
    r.revisions.delete(digest);
    for (const [tag, target] of [...r.tags]) if (target === digest) r.tags.delete(tag);
  }

  /** POST + PATCH, never finished: what a client that died mid-push leaves. */
  async abandonUpload(repo: string, ageHours: number, bytes: Uint8Array): Promise<string> {
    const upload = await this.client.startUpload(repo);
    await this.client.patchUpload(upload.location, bytes);
    this.uploads.push({ repository: repo, id: upload.id, ageHours, size: bytes.length });
    // The repository exists on disk now (`_uploads`), with nothing else.
    this.repo(repo);
    return upload.id;
  }

  /** The bytes pushed earlier for `digest` (to push them again under a tag or elsewhere). */
  builtManifest(digest: string): BuiltManifest | undefined {
    return this.manifestBytes.get(digest);
  }

  revisions(repo: string): string[] {
    return [...(this.repos.get(repo)?.revisions ?? [])].sort();
  }

  hasLayer(repo: string, digest: string): boolean {
    return this.repos.get(repo)?.layers.has(digest) ?? false;
  }

  manifestFacts(digest: string): ManifestFacts | undefined {
    return this.manifests.get(digest);
  }

  state(): ScenarioState {
    return {
      blobs: [...this.blobs].sort(),
      manifests: sortedRecord(this.manifests),
      repositories: sortedRecord(
        [...this.repos].map(([name, r]) => [
          name,
          { revisions: [...r.revisions].sort(), tags: sortedRecord(r.tags), layers: [...r.layers].sort(), tagsDirectory: r.tagsDirectory },
        ]),
      ),
      uploads: [...this.uploads].sort((a, b) => compare(a.repository, b.repository) || compare(a.id, b.id)),
    };
  }
}

const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

export function sortRefs<T extends { repository: string; digest: string; tag?: string }>(refs: T[]): T[] {
  return refs.sort((a, b) => compare(a.repository, b.repository) || compare(a.tag ?? '', b.tag ?? '') || compare(a.digest, b.digest));
}

export async function runScenario(scenario: Scenario, client: RegistryClient): Promise<ScenarioOutcome> {
  const registry = new ScenarioRegistry(client);
  const expect = await scenario.run(registry);
  return { state: registry.state(), expect };
}

/** RFC 3339, UTC, whole seconds: what 2.8.2 writes into `startedat`. */
export function rfc3339(time: number): string {
  return new Date(Math.floor(time / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/**
 * Rewrites each upload's `startedat` to `now - ageHours`. Run it on a stopped
 * registry's tree: the registry only writes `startedat` when an upload starts.
 */
export async function applyUploadAges(root: string, uploads: readonly UploadState[], now: number): Promise<void> {
  for (const u of uploads) {
    const file = join(root, V2, 'repositories', u.repository, '_uploads', u.id, 'startedat');
    if (!existsSync(file)) throw new Error(`upload ${u.repository}/${u.id} has no startedat at ${file}`);
    await writeFile(file, rfc3339(now - u.ageHours * 3_600_000));
  }
}

/**
 * Renames upload folders to fixed ids (for recorded fixtures: the registry
 * picks random UUIDs, which would make every recording differ). The id is
 * only a folder name: nothing inside an upload folder names it.
 */
export async function renameUploads(root: string, state: ScenarioState): Promise<ScenarioState> {
  const uploads: UploadState[] = [];
  // Numbered in an order that does not depend on the registry's random ids.
  const ordered = [...state.uploads].sort((a, b) => compare(a.repository, b.repository) || b.ageHours - a.ageHours || a.size - b.size);
  for (const [i, u] of ordered.entries()) {
    const id = `00000000-0000-4000-8000-${String(i + 1).padStart(12, '0')}`;
    const dir = join(root, V2, 'repositories', u.repository, '_uploads');
    if (!(await readdir(dir)).includes(u.id)) throw new Error(`upload ${u.id} not found in ${dir}`);
    await rename(join(dir, u.id), join(dir, id));
    uploads.push({ ...u, id });
  }
  return { ...state, uploads };
}

// ---------------------------------------------------------------------------
// The scenarios. Layers are small (a few hundred bytes to 2 KB) so that
// recorded trees stay a few KB; sizes differ so that sizes in reports differ.

const layer = (seed: string, size = 512): Uint8Array => randomLayer(seed, size);

const noExpectations = { indexChildren: [], referrers: [], staleUploads: [] } as const;

const tagged = (repository: string, tag: string, manifest: BuiltManifest): TaggedRef => ({ repository, tag, digest: manifest.digest });

/** `latest` and `v1` move from a first image to a second; `stable` moves twice and ends on a third. */
const retaggedImage: Scenario = {
  name: 'retagged-image',
  description: 'latest and v1 move from an old image to a new one sharing a base layer; the old image is left untagged',
  async run(r) {
    const repo = 'library/app';
    const base = layer('retag-base', 1500);
    const first = await r.pushImage(repo, { seed: 'retag-1', layers: [base, layer('retag-1')], tag: 'latest' });
    await r.pushManifest(repo, first, 'v1');
    const second = await r.pushImage(repo, { seed: 'retag-2', layers: [base, layer('retag-2')], tag: 'latest' });
    await r.pushManifest(repo, second, 'v1');
    // A tag that moved twice: its history names three manifests.
    const third = await r.pushImage(repo, { seed: 'retag-3', layers: [base, layer('retag-3', 700)], tag: 'stable' });
    await r.pushManifest(repo, second, 'stable');
    await r.pushManifest(repo, third, 'stable');
    return {
      ...noExpectations,
      tagged: [tagged(repo, 'latest', second), tagged(repo, 'stable', third), tagged(repo, 'v1', second)],
    };
  },
};

/**
 * Children pushed by digest only, one of them also tagged on its own; an
 * older list that `latest` named before, whose own child goes with it.
 */
function multiArch(kind: 'docker' | 'oci'): Scenario {
  const repo = kind === 'docker' ? 'multi/docker' : 'multi/oci';
  return {
    name: kind === 'docker' ? 'docker-manifest-list' : 'oci-index',
    description: `a ${kind === 'docker' ? 'Docker manifest list' : 'OCI image index'} whose children were pushed by digest only; an older one that the tag named before`,
    async run(r) {
      const oci = kind === 'oci';
      const base = layer(`${kind}-base`, 1200);
      const amd = await r.pushImage(repo, { seed: `${kind}-amd64`, layers: [base, layer(`${kind}-amd64`)], oci });
      const arm = await r.pushImage(repo, { seed: `${kind}-arm64`, layers: [base, layer(`${kind}-arm64`, 600)], oci });
      const s390 = await r.pushImage(repo, { seed: `${kind}-s390x`, layers: [layer(`${kind}-s390x`, 300)], oci });
      const amdOld = await r.pushImage(repo, { seed: `${kind}-amd64-old`, layers: [base, layer(`${kind}-amd64-old`, 400)], oci });
      await r.pushIndex(repo, [amdOld, arm], kind, 'latest');
      const current = await r.pushIndex(repo, [amd, arm, s390], kind, 'latest');
      // One child also has a tag of its own: the reference keeps that one whole.
      await r.pushManifest(repo, s390, 's390x');
      return {
        ...noExpectations,
        tagged: [tagged(repo, 'latest', current), tagged(repo, 's390x', s390)],
        indexChildren: [{ repository: repo, index: current.digest, children: [amd.digest, arm.digest, s390.digest] }],
      };
    },
  };
}

/** An SBOM of a tagged image and a signature of that SBOM, both pushed by digest. */
const referrerOfLiveImage: Scenario = {
  name: 'referrer-of-live-image',
  description: 'an SBOM (OCI image manifest with artifactType and subject) of a tagged image, and a signature of the SBOM',
  async run(r) {
    const repo = 'signed/app';
    const image = await r.pushImage(repo, { seed: 'signed-image', layers: [layer('signed-base', 900)], oci: true, tag: 'v1' });
    const sbom = await r.pushImage(repo, {
      seed: 'sbom',
      layers: [layer('sbom-doc', 300)],
      subject: image,
      artifactType: 'application/vnd.example.sbom.v1+json',
    });
    const signature = await r.pushImage(repo, {
      seed: 'signature',
      layers: [layer('sbom-signature', 128)],
      subject: sbom,
      artifactType: 'application/vnd.example.signature.v1+json',
    });
    // An untagged image's referrer is no referrer of a kept image: both go under -m.
    const stray = await r.pushImage(repo, { seed: 'signed-stray', layers: [layer('signed-stray', 200)], oci: true });
    await r.pushImage(repo, { seed: 'stray-sbom', layers: [layer('stray-sbom', 150)], subject: stray, artifactType: 'application/vnd.example.sbom.v1+json' });
    return {
      ...noExpectations,
      tagged: [tagged(repo, 'v1', image)],
      referrers: [
        { repository: repo, subject: image.digest, digest: sbom.digest },
        { repository: repo, subject: sbom.digest, digest: signature.digest },
      ],
    };
  },
};

/** A referrer whose subject was deleted through the API: nothing keeps it under -m. */
const referrerOfDeletedImage: Scenario = {
  name: 'referrer-of-deleted-image',
  description: 'a signature of an image that was then deleted through the API; another image stays tagged',
  async run(r) {
    const repo = 'signed/gone';
    const base = layer('gone-base', 800);
    const doomed = await r.pushImage(repo, { seed: 'gone-image', layers: [base, layer('gone-own', 300)], oci: true, tag: 'v1' });
    await r.pushImage(repo, {
      seed: 'gone-signature',
      layers: [layer('gone-signature', 128)],
      subject: doomed,
      artifactType: 'application/vnd.example.signature.v1+json',
    });
    const kept = await r.pushImage(repo, { seed: 'kept-image', layers: [base, layer('kept-own', 350)], oci: true, tag: 'v2' });
    await r.deleteManifest(repo, doomed.digest);
    return { ...noExpectations, tagged: [tagged(repo, 'v2', kept)] };
  },
};

/** `a`, `a/b`, `a/b/c`: nested names, a base layer pushed once and mounted twice. */
const nestedRepositories: Scenario = {
  name: 'nested-repositories',
  description: 'repositories a, a/b and a/b/c sharing a base layer by cross-repository mount; each has an untagged image',
  async run(r) {
    const base = layer('nested-base', 2000);
    const baseDigest = await r.pushBlob('a', base);
    await r.mountBlob('a/b', baseDigest, 'a');
    await r.mountBlob('a/b/c', baseDigest, 'a/b');
    const refs: TaggedRef[] = [];
    for (const repo of ['a', 'a/b', 'a/b/c']) {
      await r.pushImage(repo, { seed: `${repo}-old`, layers: [base, layer(`${repo}-old`, 256)], tag: 'latest' });
      const current = await r.pushImage(repo, { seed: `${repo}-new`, layers: [base, layer(`${repo}-new`, 384)], tag: 'latest' });
      refs.push(tagged(repo, 'latest', current));
    }
    return { ...noExpectations, tagged: refs };
  },
};

/** DELETE by digest of a tagged image; a second tag on it goes too. */
const manifestDeletedThroughApi: Scenario = {
  name: 'manifest-deleted-through-api',
  description: 'an image with two tags deleted by digest through the API, next to one that stays',
  async run(r) {
    const repo = 'team/api';
    const base = layer('api-base', 1000);
    const doomed = await r.pushImage(repo, { seed: 'api-doomed', layers: [base, layer('api-doomed', 450)], tag: 'v1' });
    await r.pushManifest(repo, doomed, 'candidate');
    const kept = await r.pushImage(repo, { seed: 'api-kept', layers: [base, layer('api-kept', 550)], tag: 'v2' });
    await r.deleteManifest(repo, doomed.digest);
    return { ...noExpectations, tagged: [tagged(repo, 'v2', kept)] };
  },
};

/** The only image of a repository deleted; a neighbour shares its base layer. */
const repositoryEmptied: Scenario = {
  name: 'repository-emptied',
  description: 'a repository whose only image was deleted through the API; a neighbour shares its base layer',
  async run(r) {
    const base = layer('lonely-base', 1100);
    const only = await r.pushImage('team/lonely', { seed: 'lonely', layers: [base, layer('lonely-own', 333)], tag: 'latest' });
    await r.mountBlob('team/neighbour', sha256(base), 'team/lonely');
    const neighbour = await r.pushImage('team/neighbour', { seed: 'neighbour', layers: [base, layer('neighbour-own', 444)], tag: 'latest' });
    await r.deleteManifest('team/lonely', only.digest);
    return { ...noExpectations, tagged: [tagged('team/neighbour', 'latest', neighbour)] };
  },
};

/** Abandoned uploads, aged after the registry stops; one repository has nothing but an upload. */
const staleAndFreshUploads: Scenario = {
  name: 'stale-and-fresh-uploads',
  description: 'abandoned uploads 30 days and 1 hour old (startedat rewritten after stopping), one in a repository that holds only uploads',
  async run(r) {
    const repo = 'uploads/app';
    const image = await r.pushImage(repo, { seed: 'uploads-image', layers: [layer('uploads-layer', 640)], tag: 'latest' });
    const stale = await r.abandonUpload(repo, STALE_UPLOAD_HOURS, layer('stale-upload', 777));
    await r.abandonUpload(repo, FRESH_UPLOAD_HOURS, layer('fresh-upload', 555));
    const staleOnly = await r.abandonUpload('uploads/only', STALE_UPLOAD_HOURS, layer('stale-only', 321));
    await r.abandonUpload('uploads/only', FRESH_UPLOAD_HOURS, layer('fresh-only', 123));
    return { ...noExpectations, tagged: [tagged(repo, 'latest', image)], staleUploads: [stale, staleOnly].sort() };
  },
};

/** One manifest with many tags, one tag moved away from it, and an image no tag names any more. */
const manyTags: Scenario = {
  name: 'many-tags',
  description: 'one manifest under 40 tags; an older image whose only tag moved to it',
  async run(r) {
    const repo = 'tags/app';
    await r.pushImage(repo, { seed: 'tags-old', layers: [layer('tags-old', 300)], tag: 'release-00' });
    const image = await r.pushImage(repo, { seed: 'tags-image', layers: [layer('tags-image', 700)], tag: 'latest' });
    const refs = [tagged(repo, 'latest', image)];
    for (let i = 0; i < 40; i++) {
      const tag = `release-${String(i).padStart(2, '0')}`;
      await r.pushManifest(repo, image, tag);
      refs.push(tagged(repo, tag, image));
    }
    return { ...noExpectations, tagged: refs };
  },
};

/** One base layer in ten repositories (pushed once, mounted nine times), and a second pushed again everywhere. */
const sharedLayers: Scenario = {
  name: 'shared-layers',
  description: 'layers shared across ten repositories, by mount and by pushing the same bytes again; some images deleted or untagged',
  async run(r) {
    const base = layer('shared-base', 1800);
    const runtime = layer('shared-runtime', 900);
    const repos = Array.from({ length: 10 }, (_, i) => `shared/r${i}`);
    const refs: TaggedRef[] = [];
    for (const [i, repo] of repos.entries()) {
      if (i > 0) await r.mountBlob(repo, sha256(base), repos[i - 1] ?? 'shared/r0');
      const image = await r.pushImage(repo, { seed: repo, layers: [base, runtime, layer(`${repo}-own`, 200 + i)], tag: 'latest' });
      if (i % 3 === 0) {
        await r.deleteManifest(repo, image.digest);
      } else if (i % 3 === 1) {
        const next = await r.pushImage(repo, { seed: `${repo}-next`, layers: [base, layer(`${repo}-next`, 250 + i)], tag: 'latest' });
        refs.push(tagged(repo, 'latest', next));
      } else {
        refs.push(tagged(repo, 'latest', image));
      }
    }
    return { ...noExpectations, tagged: refs };
  },
};

export const SCENARIOS: readonly Scenario[] = [
  retaggedImage,
  multiArch('docker'),
  multiArch('oci'),
  referrerOfLiveImage,
  referrerOfDeletedImage,
  nestedRepositories,
  manifestDeletedThroughApi,
  repositoryEmptied,
  staleAndFreshUploads,
  manyTags,
  sharedLayers,
];

export function scenarioNamed(name: string): Scenario {
  const scenario = SCENARIOS.find((s) => s.name === name);
  if (!scenario) throw new Error(`no scenario named ${name}; known: ${SCENARIOS.map((s) => s.name).join(', ')}`);
  return scenario;
}
