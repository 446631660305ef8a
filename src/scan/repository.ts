/**
 * Repository discovery and the per-repository scan.
 *
 * Discovery walks `repositories/` with plain directory listings (the layout is
 * fixed, so no glob is needed): a folder is a repository when it holds
 * `_manifests`, `_layers` or `_uploads`; folders starting with `_` are never
 * name components. Repositories nest, so the walk goes on below a repository.
 *
 * The scan of one repository lists its revisions, tags (each tag's current
 * link read once, and its history listed once), layer links and uploads. It
 * reads no manifest: that is the mark phase's job. Symbolic links anywhere in
 * the walk are problems (the run must not decide through them); unexpected
 * names are warnings and are left alone.
 */
import path from 'node:path';
import { isAlgorithm, isValidHex, type Algorithm, type Digest } from '../registry/digest.js';
import { errorCode } from '../report/errors.js';
import type { DigestInterner } from '../registry/digest-interner.js';
import type { DirEntry, FileSystem } from '../storage/file-system.js';
import type { Findings } from '../report/findings.js';
import { REPOSITORY_MARKERS, type RegistryLayout } from '../registry/layout.js';
import { byName } from '../report/report.js';
import { readLink } from '../registry/links.js';
import { isRepositoryComponent, isRepositoryName, isTagName, MAX_REPOSITORY_NAME_LENGTH } from '../registry/names.js';

export interface TagScan {
  readonly name: string;
  /** The manifest the tag points at now; undefined when its link is missing or bad. */
  readonly current: Digest | undefined;
  /** Every digest in the tag's history (`index/<alg>/<hex>`). */
  readonly history: readonly Digest[];
}

export interface RepositoryScan {
  readonly name: string;
  /** Manifest revisions: folders under `_manifests/revisions` whose link exists. */
  readonly revisions: readonly Digest[];
  /**
   * Revisions whose link is bad (not a digest, or another digest than its
   * folder): never collected, always roots, since what the registry would
   * make of them is unknown.
   */
  readonly pinned: readonly Digest[];
  /** Revision folders without a link: what the registry's DELETE leaves. Not revisions. */
  readonly unlinkedRevisions: readonly Digest[];
  readonly tags: readonly TagScan[];
  /** True when some tag's target is unknown (bad or unreadable link). */
  readonly tagTargetsUncertain: boolean;
  readonly layers: readonly Digest[];
  readonly uploads: readonly string[];
}

export interface ScanContext {
  readonly layout: RegistryLayout;
  readonly fs: FileSystem;
  readonly findings: Findings;
  /** Every digest the scan keeps goes through it: one string per digest. */
  readonly digests: DigestInterner;
}

/** Lists a directory; a missing one is empty, any other error is a problem (and empty). */
export function listOrReport(ctx: ScanContext, dir: string): DirEntry[] {
  try {
    return ctx.fs.list(dir);
  } catch (error) {
    const code = errorCode(error);
    if (code === 'ENOENT') return [];
    if (code === 'ENOTDIR') {
      ctx.findings.fail('not_a_directory', dir, 'expected a directory, found a file');
    } else {
      ctx.findings.fail('unreadable', dir, `cannot list: ${(error as Error).message}`);
    }
    return [];
  }
}

/**
 * Keeps the entries that are real directories; reports links (problems) and
 * strays. `strict` where a stray hides what marking needs (revisions, tags):
 * there a file in place of a folder is a problem too, since the collector
 * cannot know what it stands for.
 */
function directories(ctx: ScanContext, dir: string, entries: DirEntry[], strict = false): DirEntry[] {
  const result: DirEntry[] = [];
  for (const entry of entries) {
    if (entry.type === 'dir') result.push(entry);
    else if (entry.type === 'symlink') ctx.findings.fail('symlink', `${dir}/${entry.name}`, 'symbolic link in the registry tree; the collector does not follow links');
    else if (strict) ctx.findings.fail('not_a_directory', `${dir}/${entry.name}`, `a ${entry.type} where marking expects a folder`);
    else ctx.findings.warn('unexpected_entry', `${dir}/${entry.name}`, `unexpected ${entry.type}, left alone`);
  }
  return result;
}

/** Lists `<dir>/<alg>/<hex>` folders (revisions, layer links, tag history). */
export function listDigestDirs(ctx: ScanContext, dir: string, strict = false): Digest[] {
  const digests: Digest[] = [];
  for (const alg of directories(ctx, dir, listOrReport(ctx, dir), strict)) {
    const algDir = `${dir}/${alg.name}`;
    if (!isAlgorithm(alg.name)) {
      ctx.findings.warn('unknown_algorithm', algDir, `unknown digest algorithm "${alg.name}", left alone`);
      continue;
    }
    const algorithm: Algorithm = alg.name;
    for (const entry of directories(ctx, algDir, listOrReport(ctx, algDir), strict)) {
      if (isValidHex(algorithm, entry.name)) digests.push(ctx.digests.intern(`${algorithm}:${entry.name}` as Digest));
      else ctx.findings.warn('bad_digest_name', `${algDir}/${entry.name}`, `not a ${algorithm} digest, left alone`);
    }
  }
  return digests;
}

/** Finds every repository below `repositories/`, nested ones included. */
export function discoverRepositories(ctx: ScanContext): string[] {
  const found: string[] = [];
  const walk = (dir: string, components: string[]): void => {
    const entries = listOrReport(ctx, dir);
    if (components.length > 0 && entries.some((e) => (REPOSITORY_MARKERS as readonly string[]).includes(e.name))) {
      const name = components.join('/');
      if (isRepositoryName(name)) found.push(name);
      else ctx.findings.warn('repository_name_invalid', dir, `"${name}" is not a valid repository name; left alone`);
    }
    for (const entry of entries) {
      const full = `${dir}/${entry.name}`;
      if (entry.name.startsWith('_')) {
        // The markers belong to the repository above; any other `_name` is no repository component.
        if (components.length === 0 || !(REPOSITORY_MARKERS as readonly string[]).includes(entry.name)) {
          ctx.findings.warn('repository_name_invalid', full, `"${entry.name}" cannot be a repository name component; left alone`);
        }
        continue;
      }
      if (entry.type === 'symlink') {
        ctx.findings.fail('symlink', full, 'symbolic link in the registry tree; the collector does not follow links');
      } else if (entry.type !== 'dir') {
        ctx.findings.warn('unexpected_entry', full, `unexpected ${entry.type} among repositories, left alone`);
      } else if (!isRepositoryComponent(entry.name)) {
        ctx.findings.warn('repository_name_invalid', full, `"${entry.name}" is not a valid repository name component; left alone`);
      } else if (components.join('/').length + entry.name.length + 1 <= MAX_REPOSITORY_NAME_LENGTH + 1) {
        walk(full, [...components, entry.name]);
      } else {
        ctx.findings.warn('repository_name_invalid', full, 'repository name longer than 255 characters; left alone');
      }
    }
  };
  walk(ctx.layout.repositoriesDir, []);
  return found.sort();
}

/**
 * Per tag: its current link (read once, O_NOFOLLOW) and its sha256 history,
 * one listing. The tag folder itself and `index/` are not listed: that would
 * triple the listings of a run, and the registry writes manifests' history
 * under sha256 only. So a symbolic link as `current` or `index` is not seen
 * here; nothing is ever deleted below a tag without checking those folders
 * first (sweep.ts: assertRealFolders).
 */
function scanTags(ctx: ScanContext, name: string): { tags: TagScan[]; uncertain: boolean } {
  const tagsDir = ctx.layout.tagsDir(name);
  const tags: TagScan[] = [];
  let uncertain = false;
  for (const entry of directories(ctx, tagsDir, listOrReport(ctx, tagsDir), true)) {
    const tag = entry.name;
    if (!isTagName(tag)) ctx.findings.warn('tag_name_invalid', ctx.layout.tagDir(name, tag), `"${tag}" is not a valid tag name`);
    const linkFile = ctx.layout.tagCurrentLink(name, tag);
    const link = readLink(ctx.fs, linkFile);
    let current: Digest | undefined;
    if (link.state === 'ok') current = ctx.digests.intern(link.digest);
    else if (link.state === 'symlink') ctx.findings.fail('symlink', linkFile, 'tag link is a symbolic link');
    else if (link.state === 'unreadable') ctx.findings.fail('unreadable', linkFile, `cannot read tag link: ${link.message}`);
    else if (link.state === 'invalid') ctx.findings.warn('bad_link', linkFile, `tag link does not hold a digest: ${JSON.stringify(link.content.slice(0, 80))}`);
    else ctx.findings.warn('tag_link_missing', linkFile, 'tag has no current link');
    if (link.state !== 'ok' && link.state !== 'missing') uncertain = true;
    const historyDir = ctx.layout.tagHistoryDir(name, tag, 'sha256');
    const history: Digest[] = [];
    for (const e of directories(ctx, historyDir, listOrReport(ctx, historyDir))) {
      if (isValidHex('sha256', e.name)) history.push(ctx.digests.intern(`sha256:${e.name}` as Digest));
      else ctx.findings.warn('bad_digest_name', `${historyDir}/${e.name}`, 'not a sha256 digest, left alone');
    }
    tags.push({ name: tag, current, history });
  }
  return { tags, uncertain };
}

/**
 * Reads each revision's link once: the registry's DELETE removes only the
 * link, so a folder without one is no revision, and a link that disagrees
 * with its folder is bad input to keep and report, never to follow.
 */
function scanRevisions(ctx: ScanContext, name: string): { revisions: Digest[]; pinned: Digest[]; unlinked: Digest[] } {
  const revisions: Digest[] = [];
  const pinned: Digest[] = [];
  const unlinked: Digest[] = [];
  for (const digest of listDigestDirs(ctx, ctx.layout.revisionsDir(name), true)) {
    const linkFile = ctx.layout.revisionLink(name, digest);
    const link = readLink(ctx.fs, linkFile);
    if (link.state === 'missing') {
      unlinked.push(digest);
      continue;
    }
    revisions.push(digest);
    if (link.state === 'ok' && link.digest === digest) continue;
    pinned.push(digest);
    if (link.state === 'ok') ctx.findings.warn('link_mismatch', linkFile, `revision link names ${link.digest}, not its folder's digest; kept`);
    else if (link.state === 'invalid') ctx.findings.warn('bad_link', linkFile, `revision link does not hold a digest: ${JSON.stringify(link.content.slice(0, 80))}; kept`);
    else if (link.state === 'symlink') ctx.findings.fail('symlink', linkFile, 'revision link is a symbolic link');
    else ctx.findings.fail('unreadable', linkFile, `cannot read revision link: ${link.message}`);
  }
  return { revisions, pinned, unlinked };
}

function scanUploads(ctx: ScanContext, name: string): string[] {
  const dir = ctx.layout.uploadsDir(name);
  return directories(ctx, dir, listOrReport(ctx, dir)).map((e) => e.name);
}

/** Scans one repository: listings and tag links only, no manifest reads. */
export function scanRepository(ctx: ScanContext, name: string): RepositoryScan {
  const repoDir = ctx.layout.repositoryDir(name);
  // The folders between the repository and the listings must be real folders
  // too: listing through a link would follow it.
  const markers = new Set(
    directories(ctx, repoDir, listOrReport(ctx, repoDir).filter((e) => (REPOSITORY_MARKERS as readonly string[]).includes(e.name)), true).map((e) => e.name),
  );
  const manifestParts = new Set<string>();
  if (markers.has('_manifests')) {
    const manifestsDir = path.dirname(ctx.layout.revisionsDir(name));
    const parts = listOrReport(ctx, manifestsDir).filter((e) => e.name === 'revisions' || e.name === 'tags');
    for (const part of directories(ctx, manifestsDir, parts, true)) manifestParts.add(part.name);
  }
  // Nothing is listed through a link: a linked folder is a problem already, and stays unread.
  const { revisions, pinned, unlinked } = manifestParts.has('revisions') ? scanRevisions(ctx, name) : { revisions: [], pinned: [], unlinked: [] };
  const { tags, uncertain } = manifestParts.has('tags') ? scanTags(ctx, name) : { tags: [], uncertain: false };
  const layers = markers.has('_layers') ? listDigestDirs(ctx, ctx.layout.layersDir(name)) : [];
  const uploads = markers.has('_uploads') ? scanUploads(ctx, name) : [];
  // Listings come in file-system order; sort so every run reports the same way.
  return {
    name,
    revisions: revisions.sort(),
    pinned: pinned.sort(),
    unlinkedRevisions: unlinked.sort(),
    tags: tags.sort(byName),
    tagTargetsUncertain: uncertain,
    layers: layers.sort(),
    uploads: uploads.sort(),
  };
}
