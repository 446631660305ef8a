/**
 * The registry's on-disk layout (filesystem driver, storage v2). This is the
 * only module that knows where things live below `<root>/docker/registry/v2`;
 * everything else asks it for paths, and it only builds paths from digests and
 * names that were validated first.
 *
 *   blobs/<alg>/<hex[0:2]>/<hex>/data
 *   repositories/<name>/_layers/<alg>/<hex>/link
 *   repositories/<name>/_manifests/revisions/<alg>/<hex>/link
 *   repositories/<name>/_manifests/tags/<tag>/current/link
 *   repositories/<name>/_manifests/tags/<tag>/index/<alg>/<hex>/link
 *   repositories/<name>/_uploads/<id>/{data,startedat,hashstates/...}
 *   registry-gc.lock                          (this collector's lock)
 *
 * The collector's own trash, beside `docker/` in the root, is in trash-paths.ts.
 */
import path from 'node:path';
import { splitDigest, type Algorithm, type Digest } from './digest.js';
import { RegistryGcError } from '../report/errors.js';
import { isRepositoryName } from './names.js';
import { TrashPaths } from './trash-paths.js';

import { assertPlainComponent, join, NOT_CLEAN, REGISTRY_ALGORITHM, strictlyInside, UPLOAD_STARTED_AT, V2_FOLDERS, type RepositoryMarker } from './layout-parts.js';

export * from './layout-parts.js';

/** Every path of a registry's tree, built only from validated names and digests, and the checks that nothing outside `v2` (or the trash) is deleted. */
export class RegistryLayout extends TrashPaths {
  /** `<root>/docker/registry/v2`: nothing outside it is ever deleted. */
  readonly v2: string;
  readonly blobsDir: string;
  readonly repositoriesDir: string;

  constructor(root: string) {
    super(path.resolve(root));
    this.v2 = path.join(this.root, 'docker', 'registry', 'v2');
    this.blobsDir = join(this.v2, V2_FOLDERS[0]);
    this.repositoriesDir = join(this.v2, V2_FOLDERS[1]);
    this.v2Prefix = this.v2 + path.sep;
    this.rootPrefix = this.root.endsWith(path.sep) ? this.root : this.root + path.sep;
  }

  private readonly v2Prefix: string;
  private readonly rootPrefix: string;
  private readonly repositoryDirs = new Map<string, string>();

  /** The collector's lock file: one run at a time per registry. */
  get lockFile(): string {
    return join(this.v2, 'registry-gc.lock');
  }

  /** The folders between the root and `v2`, which must be real folders. */
  v2Ancestry(): string[] {
    return [path.join(this.root, 'docker'), path.join(this.root, 'docker', 'registry'), this.v2];
  }

  // Blobs -------------------------------------------------------------------

  /** `blobs/<alg>`: the blobs of one algorithm. */
  blobAlgorithmDir(algorithm: Algorithm): string {
    return join(this.blobsDir, algorithm);
  }

  /** The 256 prefix folders of an algorithm, `00` to `ff`, whether they exist or not. */
  blobPrefixDirs(algorithm: Algorithm): string[] {
    return Array.from({ length: 256 }, (_, i) => this.blobPrefixDir(algorithm, i.toString(16).padStart(2, '0')));
  }

  /** `blobs/<alg>/<prefix>`: the blobs whose hex starts with `prefix` (two hex digits). */
  blobPrefixDir(algorithm: Algorithm, prefix: string): string {
    return join(this.blobsDir, algorithm, prefix);
  }

  /** `blobs/<alg>/<hex[0:2]>/<hex>`: a blob's folder. */
  blobDir(digest: Digest): string {
    const { algorithm, hex } = splitDigest(digest);
    return join(this.blobsDir, algorithm, hex.slice(0, 2), hex);
  }

  /** `blobs/<alg>/<hex[0:2]>/<hex>/data`: a blob's content. */
  blobData(digest: Digest): string {
    return this.blobPaths(digest).data;
  }

  /** blobDir and blobData at once: the digest is checked once (a sweep makes both for each blob). */
  blobPaths(digest: Digest): { readonly dir: string; readonly data: string } {
    const dir = this.blobDir(digest);
    return { dir, data: join(dir, 'data') };
  }

  // Repositories -------------------------------------------------------------

  /**
   * Lets the repository paths below be built for a folder that holds
   * repository data under a name the collector does not accept (a stray:
   * scan/discover.ts), so that its manifests can be read and kept. Nothing is
   * ever deleted below one: the sweep is never given a stray.
   */
  admitStray(name: string, components: readonly string[]): void {
    this.repositoryDirs.set(name, join(this.repositoriesDir, ...components));
  }

  /** `repositories/<name>`: a repository's folder; throws for an invalid name that was not admitted as a stray. */
  repositoryDir(name: string): string {
    // Every path inside a repository starts here, a few hundred thousand times a run for
    // a few thousand names: each name is checked and joined once.
    let dir = this.repositoryDirs.get(name);
    if (dir === undefined) {
      if (!isRepositoryName(name)) throw new TypeError(`not a repository name: ${JSON.stringify(name)}`);
      dir = join(this.repositoriesDir, ...name.split('/'));
      this.repositoryDirs.set(name, dir);
    }
    return dir;
  }

  /** `_manifests`, `_layers` or `_uploads` of a repository. */
  repositoryPart(name: string, marker: RepositoryMarker): string {
    return join(this.repositoryDir(name), marker);
  }

  /** `<repository>/_manifests`: the repository's revisions and tags. */
  manifestsDir(name: string): string {
    return join(this.repositoryDir(name), '_manifests');
  }

  /** `<repository>/_manifests/revisions`: the repository's manifest revisions. */
  revisionsDir(name: string): string {
    return join(this.manifestsDir(name), 'revisions');
  }

  /** `<repository>/_manifests/revisions/<alg>`: the revisions of one algorithm. */
  revisionAlgorithmDir(name: string, algorithm: Algorithm): string {
    return join(this.revisionsDir(name), algorithm);
  }

  /** `<repository>/_manifests/revisions/<alg>/<hex>`: a revision's folder. */
  revisionDir(name: string, digest: Digest): string {
    const { algorithm, hex } = splitDigest(digest);
    return join(this.revisionsDir(name), algorithm, hex);
  }

  /** `<repository>/_manifests/revisions/<alg>/<hex>/link`: a revision's link; a folder without one is no revision. */
  revisionLink(name: string, digest: Digest): string {
    return join(this.revisionDir(name, digest), 'link');
  }

  /** The `link` file of any link folder (one the layout did not name, e.g. a revision folder with an odd name). */
  linkIn(folder: string): string {
    return join(folder, 'link');
  }

  /** `<repository>/_manifests/tags`: the repository's tags. */
  tagsDir(name: string): string {
    return join(this.manifestsDir(name), 'tags');
  }

  /** Tag folder names come from a directory listing; they are still checked for separators. */
  tagDir(name: string, tag: string): string {
    assertPlainComponent(tag);
    return join(this.tagsDir(name), tag);
  }

  /** `<repository>/_manifests/tags/<tag>/current/link`: the manifest a tag points at. */
  tagCurrentLink(name: string, tag: string): string {
    return join(this.tagDir(name, tag), 'current', 'link');
  }

  /** `<repository>/_manifests/tags/<tag>/index`: a tag's history. */
  tagIndexDir(name: string, tag: string): string {
    return join(this.tagDir(name, tag), 'index');
  }

  /** `index/sha256`: the history of a tag, one folder per digest (the registry writes no other algorithm there). */
  tagHistoryDir(name: string, tag: string): string {
    return join(this.tagIndexDir(name, tag), REGISTRY_ALGORITHM);
  }

  /** The digest a tag-history entry named `hex` stands for (not checked: only ever compared). */
  tagHistoryDigest(hex: string): Digest {
    return `${REGISTRY_ALGORITHM}:${hex}` as Digest;
  }

  /** The folders on the way from a tag to its history entries, which must be real folders before anything below goes. */
  tagHistoryFolders(name: string, tag: string): string[] {
    return [this.tagIndexDir(name, tag), this.tagHistoryDir(name, tag)];
  }

  /** The end of every tag-history entry path of `digest`, relative (`/index/<alg>/<hex>`), to match report paths. */
  tagHistoryEntrySuffix(digest: Digest): string {
    const { algorithm, hex } = splitDigest(digest);
    return `/index/${algorithm}/${hex}`;
  }

  /** `<repository>/_manifests/tags/<tag>/index/<alg>/<hex>`: one entry of a tag's history. */
  tagIndexEntryDir(name: string, tag: string, digest: Digest): string {
    const { algorithm, hex } = splitDigest(digest);
    return join(this.tagIndexDir(name, tag), algorithm, hex);
  }

  /** `<repository>/_manifests/tags/<tag>/index/<alg>/<hex>/link`: a tag-history entry's link. */
  tagIndexEntryLink(name: string, tag: string, digest: Digest): string {
    return join(this.tagIndexEntryDir(name, tag, digest), 'link');
  }

  /** `<repository>/_layers`: the repository's layer links. */
  layersDir(name: string): string {
    return join(this.repositoryDir(name), '_layers');
  }

  /** `<repository>/_layers/<alg>`: the layer links of one algorithm. */
  layerAlgorithmDir(name: string, algorithm: Algorithm): string {
    return join(this.layersDir(name), algorithm);
  }

  /** `<repository>/_layers/<alg>/<hex>`: a layer link's folder. */
  layerLinkDir(name: string, digest: Digest): string {
    const { algorithm, hex } = splitDigest(digest);
    return join(this.layersDir(name), algorithm, hex);
  }

  /** `<repository>/_layers/<alg>/<hex>/link`: a layer link, through which the repository serves that blob. */
  layerLink(name: string, digest: Digest): string {
    return join(this.layerLinkDir(name, digest), 'link');
  }

  /** `<repository>/_uploads`: the repository's uploads in progress. */
  uploadsDir(name: string): string {
    return join(this.repositoryDir(name), '_uploads');
  }

  /** `<repository>/_uploads/<id>`: an upload's folder; `id` must be a plain path component. */
  uploadDir(name: string, id: string): string {
    assertPlainComponent(id);
    return join(this.uploadsDir(name), id);
  }

  /** `<repository>/_uploads/<id>/startedat`: when the upload started, which is what ages it. */
  uploadStartedAt(name: string, id: string): string {
    return join(this.uploadDir(name, id), UPLOAD_STARTED_AT);
  }

  /** `<repository>/_uploads/<id>/data`: the bytes uploaded so far. */
  uploadData(name: string, id: string): string {
    return join(this.uploadDir(name, id), 'data');
  }

  // Containment ----------------------------------------------------------------

  /** Path relative to the registry root, with forward slashes, for reports. */
  relative(target: string): string {
    // A clean path below the root (every path this class builds) is its own tail: each trash
    // journal line names one, and path.relative was 4% of a 150,000-move run's profile.
    if (isCleanBelow(this.rootPrefix, target)) return target.slice(this.rootPrefix.length);
    return path.relative(this.root, target).split(path.sep).join('/');
  }

  /** True when `target` lies strictly inside `<root>/docker/registry/v2`. */
  contains(target: string): boolean {
    // Paths this class built are already clean: a prefix test answers for them without
    // resolving (path.resolve and path.relative were a fifth of a -m dry run's profile).
    if (isCleanBelow(this.v2Prefix, target)) return true;
    return strictlyInside(this.v2, target);
  }

  /** Throws unless `target` may be deleted: strictly inside v2. Called right before every deletion. */
  assertDeletable(target: string): void {
    if (!this.contains(target)) {
      throw new RegistryGcError('E_OUTSIDE_ROOT', `refusing to delete ${target}: it is not inside ${this.v2}`);
    }
  }
}

/**
 * True when `target` is a clean absolute POSIX path strictly below `prefix`
 * (a folder path ending in the separator): the answer of path.resolve and
 * path.relative for it, without their normalisation. Other paths (and every
 * path on Windows) need those.
 */
function isCleanBelow(prefix: string, target: string): boolean {
  return path.sep === '/' && target.startsWith(prefix) && target.length > prefix.length && !NOT_CLEAN.test(target);
}
