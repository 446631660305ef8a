/**
 * A deterministic, medium-sized registry for the crash tests (issue 5): a few
 * dozen repositories with nested names, images sharing base layers, multi-arch
 * indexes with untagged children, referrers (a signature of an SBOM of an
 * image), untagged old images, orphan blobs, stale and fresh uploads, moved
 * tags and dead tag history, dangling layer links, and repositories that a
 * run with `-m --remove-empty-repositories` empties completely.
 *
 * Everything is written through TreeBuilder and recorded here as it is
 * written: `servedImages` (and `garbageFiles`, in generated-garbage.ts)
 * answer from that record alone, never by parsing the tree with src/. They
 * follow spec §3 under `-m`: roots are tag targets, index children are kept
 * recursively, referrers of kept manifests (same repository) to a fixpoint;
 * with `--prune-layer-links` a layer link stays only when a kept manifest of
 * its repository references it.
 */
import path from 'node:path';
import { computeDigest, type Digest } from '../../src/registry/digest.js';
import { TreeBuilder, type Descriptor } from '../../harness/tree.js';

/** A small seeded PRNG (mulberry32): the same seed writes the same bytes. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface ManifestFacts {
  readonly blobs: readonly Digest[];
  readonly children: readonly Digest[];
  readonly subject: Digest | undefined;
}

export interface RepositoryFacts {
  readonly revisions: Set<Digest>;
  readonly tags: Map<string, Digest>;
  /** Tag → every digest in its history folder. */
  readonly history: Map<string, Set<Digest>>;
  readonly layerLinks: Set<Digest>;
  readonly uploads: Map<string, { readonly stale: boolean }>;
}

export interface GeneratedRegistry {
  readonly root: string;
  readonly builder: TreeBuilder;
  readonly manifests: ReadonlyMap<Digest, ManifestFacts>;
  readonly repositories: ReadonlyMap<string, RepositoryFacts>;
  readonly blobs: ReadonlySet<Digest>;
}

export interface GenerateOptions {
  seed?: number;
  teams?: number;
  appsPerTeam?: number;
  /** Untagged old images per repository: the bulk of what a run deletes. */
  untaggedPerRepository?: number;
  orphanBlobs?: number;
  /** Stale uploads are years old, fresh ones two days before this. */
  now?: Date;
}

const OCI_SIGNATURE = 'application/vnd.dev.cosign.artifact.sig.v1+json';
const SBOM = 'application/spdx+json';

class Recorder {
  readonly manifests = new Map<Digest, ManifestFacts>();
  readonly repositories = new Map<string, RepositoryFacts>();
  readonly blobs = new Set<Digest>();
  private serial = 0;

  constructor(
    readonly t: TreeBuilder,
    readonly random: () => number,
    private readonly now: Date,
  ) {}

  int(min: number, max: number): number {
    return min + Math.floor(this.random() * (max - min + 1));
  }

  repo(name: string): RepositoryFacts {
    let facts = this.repositories.get(name);
    if (!facts) {
      facts = { revisions: new Set(), tags: new Map(), history: new Map(), layerLinks: new Set(), uploads: new Map() };
      this.repositories.set(name, facts);
    }
    return facts;
  }

  /** Layer bytes of a deterministic size, unique per call. */
  content(label: string): string {
    const head = `${label} #${this.serial++}\n`;
    return head + 'x'.repeat(this.int(64, 1500));
  }

  blob(label: string): Descriptor {
    const d = this.t.blob(this.content(label));
    this.blobs.add(d.digest);
    return d;
  }

  image(repo: string, options: { shared?: Descriptor[]; unique?: number; oci?: boolean; tag?: string; subject?: Descriptor; artifactType?: string } = {}): Descriptor {
    const layers = Array.from({ length: options.unique ?? this.int(1, 3) }, () => this.content(`layer of ${repo}`));
    const image = this.t.image(repo, {
      format: options.oci || options.subject ? 'oci' : 'docker',
      sharedLayers: options.shared ?? [],
      layers,
      config: JSON.stringify({ architecture: 'amd64', os: 'linux', repo, serial: this.serial++ }),
      ...(options.subject ? { subject: options.subject } : {}),
      ...(options.artifactType ? { artifactType: options.artifactType } : {}),
    });
    const facts = this.repo(repo);
    for (const d of [image.manifest, image.config, ...image.layers]) this.blobs.add(d.digest);
    for (const d of [image.config, ...image.layers]) facts.layerLinks.add(d.digest);
    facts.revisions.add(image.manifest.digest);
    this.manifests.set(image.manifest.digest, {
      blobs: [image.config, ...image.layers].map((d) => d.digest),
      children: [],
      subject: options.subject?.digest,
    });
    if (options.tag) this.tag(repo, options.tag, image.manifest.digest);
    return image.manifest;
  }

  index(repo: string, children: Descriptor[], tag?: string): Descriptor {
    const manifest = this.t.index(repo, children, { format: this.serial++ % 2 === 0 ? 'oci' : 'docker' });
    this.blobs.add(manifest.digest);
    this.repo(repo).revisions.add(manifest.digest);
    this.manifests.set(manifest.digest, { blobs: [], children: children.map((c) => c.digest), subject: undefined });
    if (tag) this.tag(repo, tag, manifest.digest);
    return manifest;
  }

  tag(repo: string, tag: string, digest: Digest): void {
    this.t.tag(repo, tag, digest);
    this.repo(repo).tags.set(tag, digest);
    this.history(repo, tag, digest);
  }

  history(repo: string, tag: string, digest: Digest): void {
    this.t.history(repo, tag, digest);
    const history = this.repo(repo).history;
    history.set(tag, (history.get(tag) ?? new Set()).add(digest));
  }

  upload(repo: string, stale: boolean): void {
    const hex = computeDigest(`upload ${this.serial++}`).slice(7);
    const id = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
    const started = stale ? new Date('2024-01-15T08:00:00Z') : new Date(this.now.getTime() - 48 * 3600_000);
    this.t.upload(repo, id, started.toISOString().replace(/\.\d{3}Z$/, 'Z'), this.content('upload data'));
    this.repo(repo).uploads.set(id, { stale });
  }

  danglingLayerLink(repo: string): void {
    const digest = computeDigest(`never pushed ${this.serial++}`);
    this.t.layerLink(repo, digest);
    this.repo(repo).layerLinks.add(digest);
  }
}

export function repositoryNames(teams: number, appsPerTeam: number): string[] {
  const names: string[] = ['library/alpine', 'org.example/tools_x/builder-ci'];
  for (let t = 0; t < teams; t++) {
    for (let a = 0; a < appsPerTeam; a++) names.push(`team${t}/app${a}`);
    names.push(`team${t}/app0/cache`); // nested inside a repository
  }
  return names;
}

/** Writes the registry below `root` (created if needed). */
export function generateRegistry(root: string, options: GenerateOptions = {}): GeneratedRegistry {
  const random = seededRandom(options.seed ?? 5);
  const r = new Recorder(new TreeBuilder(root), random, options.now ?? new Date());
  const untaggedPerRepository = options.untaggedPerRepository ?? 6;
  const base = Array.from({ length: 12 }, (_, i) => r.blob(`base layer ${i}`));
  const pickBase = () => Array.from({ length: r.int(1, 2) }, () => base[r.int(0, base.length - 1)]!).filter((d, i, all) => all.indexOf(d) === i);

  for (const [n, repo] of repositoryNames(options.teams ?? 8, options.appsPerTeam ?? 3).entries()) {
    // Tagged images; some tags moved, leaving their old image untagged in the history.
    const tags = r.int(2, 4);
    const images: Descriptor[] = [];
    for (let i = 1; i <= tags; i++) {
      if (r.random() < 0.4) r.history(repo, `v${i}`, r.image(repo, { shared: pickBase() }).digest);
      images.push(r.image(repo, { shared: pickBase(), oci: i % 2 === 0, tag: `v${i}` }));
    }
    r.history(repo, 'v1', computeDigest(`deleted through the API ${repo}`)); // dead history: no revision
    for (let i = 0; i < untaggedPerRepository; i++) r.image(repo, { shared: pickBase(), unique: r.int(1, 4) });
    // Referrers: a signature, an SBOM and a signature of the SBOM of a tagged image; a signature of an untagged one.
    if (n % 2 === 0) {
      const subject = images[0]!;
      r.image(repo, { subject, artifactType: OCI_SIGNATURE, unique: 1 });
      const sbom = r.image(repo, { subject, artifactType: SBOM, unique: 1 });
      r.image(repo, { subject: sbom, artifactType: OCI_SIGNATURE, unique: 1 });
      r.image(repo, { subject: r.image(repo, { shared: pickBase() }), artifactType: OCI_SIGNATURE, unique: 1 });
    }
    // Multi-arch: a tagged index of untagged children (one of them itself an index), and an old untagged index.
    if (n % 3 === 0) {
      const children = [r.image(repo, { shared: pickBase(), oci: true }), r.image(repo, { shared: pickBase(), oci: true })];
      const nested = r.index(repo, [r.image(repo, { oci: true }), r.image(repo, { oci: true })]);
      r.index(repo, [...children, nested], 'multi');
      r.index(repo, [r.image(repo, { oci: true }), r.image(repo, { oci: true })]);
    }
    for (let i = r.int(1, 2); i > 0; i--) r.upload(repo, true);
    if (n % 2 === 1) r.upload(repo, false);
    if (n % 4 === 1) r.danglingLayerLink(repo);
  }
  // Repositories that `-m --remove-empty-repositories` removes whole.
  r.image('orphanage/only-untagged', { shared: [base[0]!] });
  r.upload('scratch/uploads-only', true);
  for (let i = options.orphanBlobs ?? 60; i > 0; i--) r.blob('orphan blob');
  return { root, builder: r.t, manifests: r.manifests, repositories: r.repositories, blobs: r.blobs };
}

/** Per repository, every manifest a `-m` run keeps: tag targets, their children, and referrers to a fixpoint. */
export function keptManifests(g: GeneratedRegistry): Map<string, Set<Digest>> {
  const result = new Map<string, Set<Digest>>();
  for (const [name, repo] of g.repositories) {
    const kept = new Set<Digest>();
    const keep = (digest: Digest): void => {
      if (kept.has(digest)) return;
      kept.add(digest);
      for (const child of g.manifests.get(digest)?.children ?? []) keep(child);
    };
    for (const digest of repo.tags.values()) keep(digest);
    for (let changed = true; changed; ) {
      changed = false;
      for (const digest of repo.revisions) {
        const subject = g.manifests.get(digest)?.subject;
        if (!kept.has(digest) && subject !== undefined && kept.has(subject)) {
          keep(digest);
          changed = true;
        }
      }
    }
    result.set(name, kept);
  }
  return result;
}

export interface ServedImage {
  /** `repo:tag`, or `repo@digest` for a referrer. */
  readonly ref: string;
  /** Root-relative path → the exact content a link must hold (undefined for blob data). */
  readonly files: ReadonlyMap<string, string | undefined>;
}

/** What the registry must still serve after a `-m` run, killed or not: each tag and each referrer of a kept image. */
export function servedImages(g: GeneratedRegistry): ServedImage[] {
  const layout = g.builder.layout;
  const rel = (p: string) => path.relative(g.root, p);
  const kept = keptManifests(g);
  const images: ServedImage[] = [];
  for (const [name, repo] of g.repositories) {
    const closure = (digest: Digest, files: Map<string, string | undefined>): void => {
      files.set(rel(layout.revisionLink(name, digest)), digest);
      files.set(rel(layout.blobData(digest)), undefined);
      const facts = g.manifests.get(digest)!;
      for (const blob of facts.blobs) {
        files.set(rel(layout.blobData(blob)), undefined);
        files.set(rel(layout.layerLink(name, blob)), blob);
      }
      for (const child of facts.children) closure(child, files);
    };
    for (const [tag, digest] of repo.tags) {
      const files = new Map<string, string | undefined>([
        [rel(layout.tagCurrentLink(name, tag)), digest],
        [rel(path.join(layout.tagIndexEntryDir(name, tag, digest), 'link')), digest],
      ]);
      closure(digest, files);
      images.push({ ref: `${name}:${tag}`, files });
    }
    for (const digest of kept.get(name)!) {
      if (g.manifests.get(digest)?.subject === undefined) continue;
      const files = new Map<string, string | undefined>();
      closure(digest, files);
      images.push({ ref: `${name}@${digest}`, files });
    }
  }
  return images;
}
