/**
 * Builds registry trees on disk in the registry's own layout, through the
 * same layout module the collector uses, with true digests. Used by the unit
 * and property tests and by the script that writes fixtures/sample.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { computeDigest, type Digest } from '../src/registry/digest.js';
import { RegistryLayout } from '../src/registry/layout.js';
import { MediaType } from '../src/registry/manifest.js';

export interface Descriptor {
  mediaType: string;
  digest: Digest;
  size: number;
  urls?: string[];
  platform?: { architecture: string; os: string };
  artifactType?: string;
}

export interface ImageOptions {
  /** Layer contents; each becomes a blob. */
  layers?: (string | Uint8Array)[];
  /** Existing layer digests to reuse (shared layers). */
  sharedLayers?: Descriptor[];
  format?: 'docker' | 'oci';
  subject?: Descriptor;
  artifactType?: string;
  config?: string;
  tag?: string;
}

export interface Image {
  manifest: Descriptor;
  config: Descriptor;
  layers: Descriptor[];
}

function write(file: string, data: string | Uint8Array): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, data);
}

export class TreeBuilder {
  readonly layout: RegistryLayout;
  /** Makes default layer contents unique and deterministic. */
  private counter = 0;

  constructor(readonly root: string) {
    this.layout = new RegistryLayout(root);
    fs.mkdirSync(this.layout.blobsDir, { recursive: true });
    fs.mkdirSync(this.layout.repositoriesDir, { recursive: true });
  }

  /** Writes a blob; returns its descriptor. */
  blob(data: string | Uint8Array, mediaType = 'application/octet-stream'): Descriptor {
    const digest = computeDigest(data);
    write(this.layout.blobData(digest), data);
    return { mediaType, digest, size: Buffer.byteLength(data) };
  }

  /** Writes a manifest blob (any JSON value, or raw text). */
  manifestBlob(content: unknown, mediaType: string): Descriptor {
    const text = typeof content === 'string' ? content : JSON.stringify(content, null, 3);
    return this.blob(text, mediaType);
  }

  layerLink(repo: string, digest: Digest): void {
    write(this.layout.layerLink(repo, digest), digest);
  }

  revision(repo: string, digest: Digest): void {
    write(this.layout.revisionLink(repo, digest), digest);
  }

  /** Points a tag at a digest: current link plus a history entry, as the registry does. */
  tag(repo: string, tag: string, digest: Digest): void {
    write(this.layout.tagCurrentLink(repo, tag), digest);
    this.history(repo, tag, digest);
  }

  /** Sets when a tag was pushed, as the registry leaves it: the mtime of its current link. */
  pushedAt(repo: string, tag: string, when: Date): void {
    fs.utimesSync(this.layout.tagCurrentLink(repo, tag), when, when);
  }

  history(repo: string, tag: string, digest: Digest): void {
    write(path.join(this.layout.tagIndexEntryDir(repo, tag, digest), 'link'), digest);
  }

  upload(repo: string, id: string, startedAt: string | undefined, data: string | Uint8Array = 'partial'): void {
    const dir = this.layout.uploadDir(repo, id);
    write(path.join(dir, 'data'), data);
    write(path.join(dir, 'hashstates', 'sha256', '0'), 'state');
    if (startedAt !== undefined) write(this.layout.uploadStartedAt(repo, id), startedAt);
  }

  /** Pushes an image: layers, config, manifest, layer links, revision, optional tag. */
  image(repo: string, options: ImageOptions = {}): Image {
    const oci = options.format === 'oci';
    const layerType = oci ? 'application/vnd.oci.image.layer.v1.tar+gzip' : 'application/vnd.docker.image.rootfs.diff.tar.gzip';
    const configType = oci ? 'application/vnd.oci.image.config.v1+json' : 'application/vnd.docker.container.image.v1+json';
    const layers = [
      ...(options.sharedLayers ?? []),
      ...(options.layers ?? [`layer ${this.counter++} of ${repo}`]).map((data) => this.blob(data, layerType)),
    ];
    const config = this.blob(options.config ?? JSON.stringify({ architecture: 'amd64', os: 'linux', repo, layers: layers.map((l) => l.digest) }), configType);
    const body: Record<string, unknown> = {
      schemaVersion: 2,
      mediaType: oci ? MediaType.ociManifest : MediaType.dockerSchema2,
      config,
      layers,
    };
    if (options.artifactType) body['artifactType'] = options.artifactType;
    if (options.subject) body['subject'] = options.subject;
    const manifest = this.manifestBlob(body, body['mediaType'] as string);
    for (const d of [config, ...layers]) if (!d.urls) this.layerLink(repo, d.digest);
    this.revision(repo, manifest.digest);
    if (options.tag) this.tag(repo, options.tag, manifest.digest);
    return { manifest, config, layers };
  }

  /** Pushes a manifest list or index naming `children` (already pushed by digest). */
  index(repo: string, children: Descriptor[], options: { format?: 'docker' | 'oci'; tag?: string; subject?: Descriptor } = {}): Descriptor {
    const oci = options.format !== 'docker';
    const body: Record<string, unknown> = {
      schemaVersion: 2,
      mediaType: oci ? MediaType.ociIndex : MediaType.dockerList,
      manifests: children.map((c, i) => ({ ...c, platform: c.platform ?? { architecture: `arch${i}`, os: 'linux' } })),
    };
    if (options.subject) body['subject'] = options.subject;
    const manifest = this.manifestBlob(body, body['mediaType'] as string);
    this.revision(repo, manifest.digest);
    if (options.tag) this.tag(repo, options.tag, manifest.digest);
    return manifest;
  }

  /** Pushes an arbitrary manifest document as a revision of `repo`. */
  rawManifest(repo: string, content: unknown, options: { tag?: string } = {}): Descriptor {
    const manifest = this.manifestBlob(content, 'application/json');
    this.revision(repo, manifest.digest);
    if (options.tag) this.tag(repo, options.tag, manifest.digest);
    return manifest;
  }
}

export function tempDir(prefix = 'registry-gc-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** Every file below `dir` (relative path → size), links included as links. */
export function snapshot(dir: string): Map<string, number> {
  const files = new Map<string, number>();
  const walk = (current: string): void => {
    for (const entry of fs.readdirSync(current, { withFileTypes: true })) {
      const full = path.join(current, entry.name);
      if (entry.isDirectory()) walk(full);
      else files.set(path.relative(dir, full), entry.isSymbolicLink() ? -1 : fs.lstatSync(full).size);
    }
  };
  walk(dir);
  return files;
}

export function copyTree(from: string): string {
  const to = tempDir();
  fs.cpSync(from, to, { recursive: true, verbatimSymlinks: true });
  return to;
}

export function blobExists(root: string, digest: Digest): boolean {
  return fs.existsSync(new RegistryLayout(root).blobData(digest));
}
