/**
 * The scan of one repository: its revisions (each link read once), tags
 * (each tag's current link read once, its history listed once), layer links
 * and uploads. It reads no manifest: the scan chunk (chunk.ts) does, right
 * after. Symbolic links are problems; unexpected names are warnings, left alone.
 */
import { isValidHex, type Digest } from '../registry/digest.js';
import { MANIFEST_PARTS, REGISTRY_ALGORITHM, REPOSITORY_MARKERS } from '../registry/layout.js';
import { readLink } from '../registry/links.js';
import { isTagName } from '../registry/names.js';
import { byName } from '../report/order.js';
import { directories, listDigestFolders, listOrReport, type ScanContext } from './listing.js';

const [MANIFESTS, LAYERS, UPLOADS] = REPOSITORY_MARKERS;
const [REVISIONS, TAGS] = MANIFEST_PARTS;

/** One tag of a scanned repository: where it points now, and its history. */
export interface TagScan {
  readonly name: string;
  /** The manifest the tag points at now; undefined when its link is missing or bad. */
  readonly current: Digest | undefined;
  /** Every digest in the tag's history (`index/<alg>/<hex>`). */
  readonly history: readonly Digest[];
}

/**
 * What the scan found in one repository: revisions, tags, layer links and
 * uploads. A run holds its layer links as ids of its DigestIds (`Layers` =
 * DigestIdList: a million of them on a large registry).
 */
export interface RepositoryScan<Layers = readonly Digest[]> {
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
  /** Layer links: folders under `_layers/<alg>`. */
  readonly layers: Layers;
  readonly uploads: readonly string[];
  /**
   * A stray (scan/discover.ts): a folder of repository data under a name the
   * collector does not accept. Marking keeps everything it names; the sweep
   * is never given one.
   */
  readonly leftAlone?: true;
}

/**
 * Per tag: its current link (read once, O_NOFOLLOW) and its sha256 history,
 * one listing. The tag folder itself and `index/` are not listed: that would
 * triple the listings of a run, and the registry writes manifests' history
 * under sha256 only. So a symbolic link as `current` or `index` is not seen
 * here; nothing is ever deleted below a tag without checking those folders
 * first (sweep/context.ts: realFolders).
 */
function scanTags(ctx: ScanContext, name: string): { tags: TagScan[]; uncertain: boolean } {
  const tagsDir = ctx.layout.tagsDir(name);
  const tags: TagScan[] = [];
  let uncertain = false;
  for (const entry of directories(ctx, tagsDir, listOrReport(ctx, tagsDir), true)) {
    const tag = entry.name;
    if (!isTagName(tag)) ctx.findings.warn('tag_name_invalid', ctx.layout.tagDir(name, tag), `"${tag}" is not a valid tag name`);
    const linkFile = ctx.layout.tagCurrentLink(name, tag);
    const link = readLink(ctx.reader, linkFile);
    let current: Digest | undefined;
    if (link.state === 'ok') current = ctx.digests.intern(link.digest);
    else if (link.state === 'symlink') ctx.findings.fail('symlink', linkFile, 'tag link is a symbolic link');
    else if (link.state === 'unreadable') ctx.findings.fail('unreadable', linkFile, `cannot read tag link: ${link.message}`);
    else if (link.state === 'invalid') ctx.findings.warn('bad_link', linkFile, `tag link does not hold a digest: ${JSON.stringify(link.content.slice(0, 80))}`);
    else ctx.findings.warn('tag_link_missing', linkFile, 'tag has no current link');
    if (link.state !== 'ok' && link.state !== 'missing') uncertain = true;
    const historyDir = ctx.layout.tagHistoryDir(name, tag);
    const history: Digest[] = [];
    for (const e of directories(ctx, historyDir, listOrReport(ctx, historyDir))) {
      if (isValidHex(REGISTRY_ALGORITHM, e.name)) history.push(ctx.digests.intern(`${REGISTRY_ALGORITHM}:${e.name}` as Digest));
      else ctx.findings.warn('bad_digest_name', `${historyDir}/${e.name}`, `not a ${REGISTRY_ALGORITHM} digest, left alone`);
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
  const odd: string[] = [];
  const listed = listDigestFolders(ctx, ctx.layout.revisionsDir(name), { strict: true, odd });
  // A revision folder left alone for its name keeps what its link names: a root, like a bad link.
  for (const folder of odd) {
    const linkFile = ctx.layout.linkIn(folder);
    const link = readLink(ctx.reader, linkFile);
    if (link.state === 'ok') {
      pinned.push(ctx.digests.intern(link.digest));
      ctx.findings.warn('odd_revision_kept', folder, `its link names ${link.digest}: that manifest and what it references are kept`);
    } else if (link.state === 'symlink') ctx.findings.fail('symlink', linkFile, 'revision link is a symbolic link');
    else if (link.state === 'unreadable') ctx.findings.fail('unreadable', linkFile, `cannot read revision link: ${link.message}`);
  }
  for (const digest of listed) {
    const linkFile = ctx.layout.revisionLink(name, digest);
    const link = readLink(ctx.reader, linkFile);
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
  if (markers.has(MANIFESTS)) {
    const manifestsDir = ctx.layout.manifestsDir(name);
    const parts = listOrReport(ctx, manifestsDir).filter((e) => (MANIFEST_PARTS as readonly string[]).includes(e.name));
    for (const part of directories(ctx, manifestsDir, parts, true)) manifestParts.add(part.name);
  }
  // Nothing is listed through a link: a linked folder is a problem already, and stays unread.
  const { revisions, pinned, unlinked } = manifestParts.has(REVISIONS) ? scanRevisions(ctx, name) : { revisions: [], pinned: [], unlinked: [] };
  const { tags, uncertain } = manifestParts.has(TAGS) ? scanTags(ctx, name) : { tags: [], uncertain: false };
  const layers = markers.has(LAYERS) ? listDigestFolders(ctx, ctx.layout.layersDir(name), { shared: false }) : [];
  const uploads = markers.has(UPLOADS) ? scanUploads(ctx, name) : [];
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
