/**
 * Apply's re-check, first half (docs/recheck.md): which repositories a
 * running registry wrote into since the plan, and which planned items were
 * written themselves. Only versions are read here: the folders that a write
 * into a repository changes, and the link or folder of every planned item.
 */
import { discoverFolders } from '../scan/discover.js';
import type { RunContext } from '../collect/run.js';
import type { Digest } from '../registry/digest.js';
import { IdentitySet } from '../report/identity-set.js';
import type { Category, ItemFields } from '../report/kinds.js';
import { isRepositoryName, isTagName } from '../registry/names.js';
import type { Plan, PlanObservation } from './types.js';
import { observationSha256 } from './observe.js';
import { tagLinkStates } from './planned-tags.js';
import { ABSENT, repositoryVersions, sameFolders, UNKNOWN, unchanged, versionsOf, writtenAfter } from './versions.js';

export interface Changes {
  /** Every repository there now. */
  readonly repositories: readonly string[];
  /** Every stray there now (scan/discover.ts): always scanned and marked again, never swept. */
  readonly strays: readonly string[];
  /** Repositories that are new, or that a write changed since the plan. */
  readonly changed: ReadonlySet<string>;
  /** Planned items whose own entry was written since the plan. */
  readonly rewritten: IdentitySet;
  /** Planned items whose own entry is not there any more. */
  readonly gone: readonly GoneItem[];
  /**
   * Planned links (tags' current links, layer links, tag-history entries)
   * found unchanged: each holds its item's digest, as the plan's dry run read.
   */
  readonly knownLinks: IdentitySet;
  /** The versions of every repository's folders now: compared again right before the first move. */
  readonly folders: ReadonlyMap<string, Record<string, string>>;
}

export interface GoneItem {
  readonly category: Category;
  readonly item: ItemFields;
}

/** The plan's observation, when it is whole and matches its sha256; else undefined (apply re-checks in full). */
export function trustedObservation(plan: Plan): PlanObservation | undefined {
  const o = plan.observed as PlanObservation | undefined;
  if (typeof o !== 'object' || o === null || typeof o.since !== 'string' || typeof o.sha256 !== 'string') return undefined;
  const { items } = plan;
  const lengths: Array<[unknown, number]> = [
    [o.manifests, items.manifests.length],
    [o.layerLinks, items.layerLinks.length],
    [o.tagHistory, items.tagHistory.length],
    [o.uploads, items.uploads.length],
  ];
  if (items.tags.length > 0) lengths.push([o.plannedTags, items.tags.length]);
  if (!lengths.every(([list, n]) => Array.isArray(list) && list.length === n)) return undefined;
  if (typeof o.repositories !== 'object' || o.repositories === null || typeof o.tags !== 'object' || o.tags === null) return undefined;
  // Names it makes paths of must be names, as the plan's items are: else it is no observation of a registry.
  const tagMaps = Object.entries(o.tags as Record<string, unknown>);
  if (!tagMaps.every(([repository, tags]) => isRepositoryName(repository) && typeof tags === 'object' && tags !== null && Object.keys(tags).every(isTagName))) return undefined;
  if (!o.manifests.every((m) => typeof m === 'object' && m !== null && Array.isArray(m.tags) && m.tags.every((t) => typeof t === 'string' && isTagName(t)))) return undefined;
  try {
    return observationSha256(o) === o.sha256 ? o : undefined;
  } catch {
    return undefined;
  }
}

/** Compares the tree now with what the plan observed (see the module comment). */
export async function findChanges(ctx: RunContext, plan: Plan, observed: PlanObservation): Promise<Changes> {
  const { layout, opts } = ctx;
  const { storage } = opts;
  const { items } = plan;
  const { repositories, strays } = discoverFolders(ctx);
  const changed = new Set<string>();
  const folders = new Map<string, Record<string, string>>();
  for (const name of repositories) {
    const now = await repositoryVersions(storage, layout, name);
    folders.set(name, now);
    if (!sameFolders(observed.repositories[name], now)) changed.add(name);
  }

  const rewritten = new IdentitySet();
  const gone: GoneItem[] = [];
  const knownLinks = new IdentitySet();
  const compare = async <T extends { repository: string; digest: Digest }>(category: 'manifests' | 'layerLinks' | 'tagHistory', list: readonly T[], recorded: readonly string[], file: (item: T) => string) => {
    const files = list.map(file);
    const now = await versionsOf(storage, files);
    list.forEach((item, i) => {
      if (unchanged(recorded[i], now[i]!)) {
        if (category !== 'manifests' && now[i] !== ABSENT) knownLinks.add(category, item);
        return;
      }
      changed.add(item.repository);
      if (now[i] === ABSENT) gone.push({ category, item });
      else if (writtenAfter(recorded[i], now[i]!)) rewritten.add(category, item);
    });
  };
  await compare('manifests', items.manifests, observed.manifests.map((m) => m.link), (m) => layout.revisionLink(m.repository, m.digest));
  await compare('layerLinks', items.layerLinks, observed.layerLinks, (l) => layout.layerLink(l.repository, l.digest));
  await compare('tagHistory', items.tagHistory, observed.tagHistory, (e) => layout.tagIndexEntryLink(e.repository, e.tag, e.digest));

  // A planned tag goes only while its current link is the file the plan saw (planned-tags.ts): a push rewrites it.
  const tagStates = await tagLinkStates(storage, layout, items.tags, observed.plannedTags);
  items.tags.forEach((tag, i) => {
    if (tagStates[i] === 'unchanged') {
      knownLinks.add('tags', tag);
      return;
    }
    changed.add(tag.repository);
    if (tagStates[i] === 'gone') gone.push({ category: 'tags', item: tag });
    else rewritten.add('tags', tag);
  });

  const uploadFolders = await versionsOf(storage, items.uploads.map((u) => layout.uploadDir(u.repository, u.id)));
  const uploadData = await versionsOf(storage, items.uploads.map((u) => layout.uploadData(u.repository, u.id)));
  items.uploads.forEach((upload, i) => {
    const [folder, data] = observed.uploads[i] ?? [];
    if (unchanged(folder, uploadFolders[i]!) && unchanged(data, uploadData[i]!)) return;
    changed.add(upload.repository);
    if (uploadFolders[i] === ABSENT) gone.push({ category: 'uploads', item: upload });
    // Its data gone, its folder still there: only a deletion of ours does that (startedat goes last), killed
    // half-way; the registry finishes an upload by removing the folder. The sweep finishes it (its startedat is checked).
    else if (uploadData[i] === ABSENT && data !== undefined && data !== ABSENT && data !== UNKNOWN) return;
    else if (writtenAfter(folder, uploadFolders[i]!) || writtenAfter(data, uploadData[i]!)) rewritten.add('uploads', upload);
  });

  // A tag moved writes its current link (and, through the registry, the revision's link too).
  for (const [repository, tags] of Object.entries(observed.tags)) {
    if (changed.has(repository)) continue;
    const names = Object.keys(tags);
    const now = await versionsOf(storage, names.map((tag) => layout.tagCurrentLink(repository, tag)));
    if (names.some((tag, i) => !unchanged(tags[tag], now[i]!))) changed.add(repository);
  }
  return { repositories, strays, changed, rewritten, gone, knownLinks, folders };
}

/** Repositories whose folders changed while apply was re-checking: signs of a registry that still runs. */
export async function writtenSince(ctx: RunContext, changes: Changes): Promise<string[]> {
  const written: string[] = [];
  for (const [name, before] of changes.folders) {
    const now = await repositoryVersions(ctx.opts.storage, ctx.layout, name);
    if (!sameFolders(before, now)) written.push(ctx.layout.repositoryDir(name));
  }
  return written;
}

