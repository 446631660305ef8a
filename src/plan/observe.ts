/**
 * What a plan records for apply's re-check (docs/recheck.md): after the dry
 * run, the version of every entry that a registry write which could make a
 * planned item needed again would change. An entry written after `since`
 * (minus RACY_MS) is recorded as unknown: the dry run may have read it
 * before or after that write.
 */
import { createHash } from 'node:crypto';
import type { Digest } from '../registry/digest.js';
import { DigestInterner } from '../registry/digest-interner.js';
import type { RegistryLayout } from '../registry/layout.js';
import { Findings } from '../report/findings.js';
import { discoverRepositories } from '../scan/discover.js';
import type { Storage } from '../storage/storage.js';
import type { PlanItems, PlanObservation } from './types.js';
import { addTo } from './group.js';
import { RACY_MS, repositoryVersions, versionsOf } from './versions.js';

/** The tags of a repository, and the digests each one's history names. */
export async function tagHistories(storage: Storage, layout: RegistryLayout, repository: string): Promise<Map<string, Set<Digest>>> {
  const histories = new Map<string, Set<Digest>>();
  let tags;
  try {
    tags = (await storage.list(layout.tagsDir(repository))).filter((e) => e.type === 'dir');
  } catch {
    return histories;
  }
  for (const { name } of tags) {
    let entries: string[] = [];
    try {
      entries = (await storage.list(layout.tagHistoryDir(repository, name))).map((e) => e.name);
    } catch {
      // No history (or an unreadable one): nothing of it goes with a manifest.
    }
    histories.set(name, new Set(entries.map((hex) => layout.tagHistoryDigest(hex))));
  }
  return histories;
}

/** The observation of a plan made from `items`, the dry run having begun at `sinceMs`; undefined where the storage gives no versions. */
export async function observe(storage: Storage, layout: RegistryLayout, items: PlanItems, sinceMs: number): Promise<PlanObservation | undefined> {
  if (storage.versions === undefined) return undefined;
  const racyFrom = sinceMs - RACY_MS;
  const scanContext = { layout, reader: storage.reader, findings: new Findings(layout), digests: new DigestInterner() };
  const repositories: Record<string, Record<string, string>> = {};
  for (const name of discoverRepositories(scanContext)) repositories[name] = await repositoryVersions(storage, layout, name, racyFrom);

  const tags: Record<string, Record<string, string>> = {};
  const manifestTags = new Map<string, string[]>();
  for (const repository of new Set(items.manifests.map((m) => m.repository))) {
    const histories = await tagHistories(storage, layout, repository);
    const names = [...histories.keys()];
    const current = await versionsOf(storage, names.map((tag) => layout.tagCurrentLink(repository, tag)), racyFrom);
    tags[repository] = Object.fromEntries(names.map((tag, i) => [tag, current[i]!]));
    for (const [tag, history] of histories) {
      for (const digest of history) {
        const key = `${repository}@${digest}`;
        addTo(manifestTags, key, tag);
      }
    }
  }
  const links = await versionsOf(storage, items.manifests.map((m) => layout.revisionLink(m.repository, m.digest)), racyFrom);
  const uploadFolders = await versionsOf(storage, items.uploads.map((u) => layout.uploadDir(u.repository, u.id)), racyFrom);
  const uploadData = await versionsOf(storage, items.uploads.map((u) => layout.uploadData(u.repository, u.id)), racyFrom);
  const body = {
    since: new Date(sinceMs).toISOString(),
    repositories,
    tags,
    manifests: items.manifests.map((m, i) => ({ link: links[i]!, tags: manifestTags.get(`${m.repository}@${m.digest}`) ?? [] })),
    layerLinks: await versionsOf(storage, items.layerLinks.map((l) => layout.layerLink(l.repository, l.digest)), racyFrom),
    tagHistory: await versionsOf(storage, items.tagHistory.map((e) => layout.tagIndexEntryLink(e.repository, e.tag, e.digest)), racyFrom),
    uploads: items.uploads.map((_, i) => [uploadFolders[i]!, uploadData[i]!] as const),
    // Only where there are planned tags: an observation without them hashes as in 0.1.0.
    ...(items.tags.length === 0 ? {} : { plannedTags: await versionsOf(storage, items.tags.map((t) => layout.tagCurrentLink(t.repository, t.tag)), racyFrom) }),
  };
  return { ...body, sha256: observationSha256(body) };
}

/** The sha256 of an observation's content (everything but the sha256 itself). */
export function observationSha256(observation: Omit<PlanObservation, 'sha256'>): string {
  const { since, repositories, tags, manifests, layerLinks, tagHistory, uploads, plannedTags } = observation;
  const body = { since, repositories, tags, manifests, layerLinks, tagHistory, uploads, ...(plannedTags === undefined ? {} : { plannedTags }) };
  return createHash('sha256').update(JSON.stringify(body)).digest('hex');
}
