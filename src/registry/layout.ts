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
 */
import path from 'node:path';
import { splitDigest, type Algorithm, type Digest } from './digest.js';
import { RegistryGcError } from '../report/errors.js';
import { isRepositoryName } from './names.js';

/**
 * Joins path parts that are already clean (an absolute, resolved root and
 * validated names): plain concatenation, because path.join's normalisation
 * showed up in profiles at a few hundred thousand paths a run.
 */
function join(...parts: string[]): string {
  return parts.join(path.sep);
}

/** What a clean absolute POSIX path never holds: a `.` or `..` component, an empty one, a NUL. */
const NOT_CLEAN = /\/\.\.?(?:\/|$)|\/\/|\/$|\0/;

/** Folder names inside a repository that make it a repository. */
export const REPOSITORY_MARKERS = ['_manifests', '_layers', '_uploads'] as const;

export class RegistryLayout {
  /** The registry's `rootdirectory`, absolute. */
  readonly root: string;
  /** `<root>/docker/registry/v2`: nothing outside it is ever deleted. */
  readonly v2: string;
  readonly blobsDir: string;
  readonly repositoriesDir: string;

  constructor(root: string) {
    this.root = path.resolve(root);
    this.v2 = path.join(this.root, 'docker', 'registry', 'v2');
    this.blobsDir = join(this.v2, 'blobs');
    this.repositoriesDir = join(this.v2, 'repositories');
    this.v2Prefix = this.v2 + path.sep;
  }

  private readonly v2Prefix: string;
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

  blobAlgorithmDir(algorithm: Algorithm): string {
    return join(this.blobsDir, algorithm);
  }

  blobPrefixDir(algorithm: Algorithm, prefix: string): string {
    return join(this.blobsDir, algorithm, prefix);
  }

  blobDir(digest: Digest): string {
    const { algorithm, hex } = splitDigest(digest);
    return join(this.blobsDir, algorithm, hex.slice(0, 2), hex);
  }

  blobData(digest: Digest): string {
    return join(this.blobDir(digest), 'data');
  }

  // Repositories -------------------------------------------------------------

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

  revisionsDir(name: string): string {
    return join(this.repositoryDir(name), '_manifests', 'revisions');
  }

  revisionDir(name: string, digest: Digest): string {
    const { algorithm, hex } = splitDigest(digest);
    return join(this.revisionsDir(name), algorithm, hex);
  }

  revisionLink(name: string, digest: Digest): string {
    return join(this.revisionDir(name, digest), 'link');
  }

  tagsDir(name: string): string {
    return join(this.repositoryDir(name), '_manifests', 'tags');
  }

  /** Tag folder names come from a directory listing; they are still checked for separators. */
  tagDir(name: string, tag: string): string {
    assertPlainComponent(tag);
    return join(this.tagsDir(name), tag);
  }

  tagCurrentLink(name: string, tag: string): string {
    return join(this.tagDir(name, tag), 'current', 'link');
  }

  tagIndexDir(name: string, tag: string): string {
    return join(this.tagDir(name, tag), 'index');
  }

  /** `index/<alg>`: the history of a tag, one folder per digest. */
  tagHistoryDir(name: string, tag: string, algorithm: Algorithm): string {
    return join(this.tagIndexDir(name, tag), algorithm);
  }

  tagIndexEntryDir(name: string, tag: string, digest: Digest): string {
    const { algorithm, hex } = splitDigest(digest);
    return join(this.tagIndexDir(name, tag), algorithm, hex);
  }

  tagIndexEntryLink(name: string, tag: string, digest: Digest): string {
    return join(this.tagIndexEntryDir(name, tag, digest), 'link');
  }

  layersDir(name: string): string {
    return join(this.repositoryDir(name), '_layers');
  }

  layerLinkDir(name: string, digest: Digest): string {
    const { algorithm, hex } = splitDigest(digest);
    return join(this.layersDir(name), algorithm, hex);
  }

  layerLink(name: string, digest: Digest): string {
    return join(this.layerLinkDir(name, digest), 'link');
  }

  uploadsDir(name: string): string {
    return join(this.repositoryDir(name), '_uploads');
  }

  uploadDir(name: string, id: string): string {
    assertPlainComponent(id);
    return join(this.uploadsDir(name), id);
  }

  uploadStartedAt(name: string, id: string): string {
    return join(this.uploadDir(name, id), 'startedat');
  }

  // Containment ----------------------------------------------------------------

  /** Path relative to the registry root, with forward slashes, for reports. */
  relative(target: string): string {
    return path.relative(this.root, target).split(path.sep).join('/');
  }

  /** True when `target` lies strictly inside `<root>/docker/registry/v2`. */
  contains(target: string): boolean {
    // Paths this class built are already clean: a prefix test answers for them without
    // resolving (path.resolve and path.relative were a fifth of a -m dry run's profile).
    if (path.sep === '/' && target.startsWith(this.v2Prefix) && target.length > this.v2Prefix.length && !NOT_CLEAN.test(target)) return true;
    const resolved = path.resolve(target);
    const rel = path.relative(this.v2, resolved);
    return rel !== '' && rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel) && !resolved.includes('\0');
  }

  /** Throws unless `target` may be deleted: strictly inside v2. Called right before every deletion. */
  assertDeletable(target: string): void {
    if (!this.contains(target)) {
      throw new RegistryGcError('E_OUTSIDE_ROOT', `refusing to delete ${target}: it is not inside ${this.v2}`);
    }
  }
}

/** A single path component from a listing: no separators, no dot names, no NUL. */
function assertPlainComponent(value: string): void {
  if (value === '' || value === '.' || value === '..' || /[/\\\0]/.test(value)) {
    throw new TypeError(`not a plain path component: ${JSON.stringify(value)}`);
  }
}
