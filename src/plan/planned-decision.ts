/**
 * Apply's re-check, second half (docs/recheck.md): from the plan and the
 * changes since (recheck.ts), what may go now, what is spared and why, and
 * the sweep's input. Unchanged repositories keep the plan's decisions;
 * changed ones are scanned and marked again, with every revision that the
 * plan does not list (or that was written since) as a root.
 *
 * The sweep is given only planned items to delete, and the `allow` gate
 * (`approved`) admits only planned items that were not spared: the gate is
 * the permission, the scans below only list candidates.
 */
import type { Decision, RunContext } from '../collect/run.js';
import { failOnProblems } from '../collect/run.js';
import { mark, type MarkResult } from '../mark/mark.js';
import type { Digest } from '../registry/digest.js';
import { CATEGORIES, CATEGORY_OF_CANDIDATE, KINDS, type Category, type ItemFields } from '../report/kinds.js';
import { IdentityMap, IdentitySet } from '../report/identity-set.js';
import type { BlobPrefix } from '../scan/blobs.js';
import { ManifestStore } from '../scan/manifest-store.js';
import { scanRepositories } from '../scan/pool.js';
import { scanStrays } from '../scan/strays.js';
import type { TagScan } from '../scan/repository.js';
import type { ScannedRepository } from '../scan/pool.js';
import { DigestBits, idList, type DigestId, type DigestIds } from '../registry/digest-ids.js';
import { goneCandidates, inspectBlobCandidates } from '../sweep/blobs.js';
import type { Changes } from './recheck.js';
import type { SkipReason } from './apply.js';
import type { Plan, PlanObservation, PlannedLayerLink } from './types.js';
import { addTo } from './group.js';
import { TAG_PUSHED_AGAIN } from './planned-tags.js';
import type { InspectData } from './early-inspection.js';

export interface Spared {
  readonly reason: SkipReason;
  readonly message: string;
}

export interface PlannedDecision {
  readonly decision: Decision;
  /** The planned items that may go. */
  readonly approved: IdentitySet;
  /** The planned items kept, with why. */
  readonly spared: IdentityMap<Spared>;
}

const WRITTEN = 'written since the plan (a push into the repository)';

const tagKey = (repository: string, tag: string) => `${repository}:${tag}`;

/** Scans and marks the changed repositories again; fails closed as a run does. */
async function remark(ctx: RunContext, plan: Plan, changes: Changes, approvedManifests: IdentitySet, goingTags: ReadonlySet<string>) {
  const { layout, opts, findings } = ctx;
  const names = changes.repositories.filter((name) => changes.changed.has(name));
  if (names.length === 0 && changes.strays.length === 0) {
    const marking = mark([], new ManifestStore(layout, opts.maxManifestBytes, ctx.ids), findings, layout, { deleteUntagged: false, isYoungRevision: () => false });
    return { scans: new Map<string, ScannedRepository>(), marking };
  }
  const store = new ManifestStore(layout, opts.maxManifestBytes, ctx.ids);
  const input = { root: layout.root, names, storage: opts.storage, concurrency: opts.concurrency, maxConcurrency: opts.maxConcurrency, maxManifestBytes: opts.maxManifestBytes, signal: opts.signal, onProgress: opts.onProgress };
  const { scans: found } = await scanRepositories(input, { store, findings, digests: ctx.digests }, () => undefined);
  // A planned tag that goes is no root (as in the plan's own run), and its history goes with its folder.
  const scans = found.map((scan) => (scan.tags.some((t) => goingTags.has(tagKey(scan.name, t.name))) ? { ...scan, tags: scan.tags.filter((t) => !goingTags.has(tagKey(scan.name, t.name))) } : scan));
  // What a stray names is kept, whether or not it was there at plan time.
  const leftAlone = scanStrays(ctx, store, changes.strays);
  failOnProblems(findings, 'a repository written since the plan could not be read safely');
  await store.readReachable(opts.storage, opts.signal);
  const marking: MarkResult = mark([...scans, ...leftAlone], store, findings, layout, {
    deleteUntagged: plan.options.deleteUntagged,
    isYoungRevision: (repository, digest) => ctx.age.isYoung(layout.revisionLink(repository, digest)),
    allow: (candidate) => approvedManifests.has(CATEGORY_OF_CANDIDATE[candidate.kind], candidate),
    trackReferences: plan.options.pruneLayerLinks,
  });
  failOnProblems(findings, 'marking a repository written since the plan could not be sure which blobs are needed');
  store.clear();
  return { scans: new Map(scans.map((scan) => [scan.name, scan])), marking };
}

/** Decides what goes now (see the module comment). */
export async function decidePlanned(ctx: RunContext, plan: Plan, observed: PlanObservation, changes: Changes, inspectData?: InspectData): Promise<PlannedDecision> {
  const { layout } = ctx;
  const { items } = plan;
  const { changed, rewritten, gone } = changes;
  const spared = new IdentityMap<Spared>();
  const spare = (category: Category, item: ItemFields, reason: SkipReason, message: string) => {
    if (!spared.has(category, item)) spared.set(category, item, { reason, message });
  };

  for (const { category, item } of gone) spared.set(category, item, { reason: 'gone', message: 'already gone (deleted meanwhile)' });
  // Manifests written since the plan are roots of the new mark, with what they need.
  for (const m of items.manifests) if (rewritten.has('manifests', m)) spare('manifests', m, 'changed', `its revision link was ${WRITTEN}`);
  // A racy link (written while the plan was made) cannot prove the plan saw its last push: it stays too (recheck.ts).
  for (const t of items.tags) if (rewritten.has('tags', t)) spare('tags', t, 'changed', TAG_PUSHED_AGAIN);
  const approvedManifests = IdentitySet.of('manifests', items.manifests.filter((m) => !spared.has('manifests', m)));
  const goingTags = new Set(items.tags.filter((t) => !spared.has('tags', t)).map((t) => tagKey(t.repository, t.tag)));
  const { scans: rescanned, marking } = await remark(ctx, plan, changes, approvedManifests, goingTags);

  const keptForAge = [...marking.keptForAge];
  const young = IdentitySet.of('manifests', marking.keptForAge);
  const untagged = new IdentitySet();
  for (const [repository, digests] of marking.untagged) for (const digest of digests) untagged.add('manifests', { repository, digest });
  const doomedManifests = new Map<string, Digest[]>();
  for (const m of items.manifests) {
    if (spared.has('manifests', m)) continue;
    if (changed.has(m.repository)) {
      if (young.has('manifests', m)) continue;
      if (!untagged.has('manifests', m)) {
        spare('manifests', m, 'no-longer-unreferenced', KINDS.manifests.keptBecause);
        continue;
      }
    } else if (ctx.age.isYoung(layout.revisionLink(m.repository, m.digest))) {
      keptForAge.push({ repository: m.repository, digest: m.digest });
      continue;
    }
    addTo(doomedManifests, m.repository, m.digest);
  }

  // Blobs: spared when a changed repository's mark reaches them, or a push wrote a link to them since.
  const plannedBlobs = new Set(items.blobs.map((b) => b.digest));
  const plannedLinks = IdentitySet.of('layerLinks', items.layerLinks);
  const pushedAgain = new Map<Digest, string>();
  for (const l of items.layerLinks) if (rewritten.has('layerLinks', l)) pushedAgain.set(l.digest, l.repository);
  for (const scan of rescanned.values()) {
    for (const id of scan.layers) {
      const digest = ctx.ids.digest(id);
      const link = { repository: scan.name, digest };
      if (plannedBlobs.has(digest) && !(plannedLinks.has('layerLinks', link) && !rewritten.has('layerLinks', link))) pushedAgain.set(digest, scan.name);
    }
  }
  for (const b of items.blobs) {
    if (pushedAgain.has(b.digest)) spare('blobs', b, 'changed', `a link to it in ${pushedAgain.get(b.digest)} was ${WRITTEN}`);
    else if (marking.marked.has(ctx.ids.find(b.digest))) spare('blobs', b, 'no-longer-unreferenced', KINDS.blobs.keptBecause);
  }
  const sparedBlobs = new Set(items.blobs.filter((b) => spared.has('blobs', b)).map((b) => b.digest));

  // Layer links: a rewritten one stays; one whose blob stays stays unless pruning takes it.
  const referencedNow = (l: PlannedLayerLink) => {
    const id = ctx.ids.find(l.digest);
    return changed.has(l.repository) && id !== undefined && marking.referencedBy.get(l.repository)?.has(id) === true;
  };
  for (const l of items.layerLinks) {
    if (rewritten.has('layerLinks', l)) spare('layerLinks', l, 'changed', `it was ${WRITTEN}`);
    else if (referencedNow(l) || (!plan.options.pruneLayerLinks && l.reason === 'blob-deleted' && sparedBlobs.has(l.digest))) {
      spare('layerLinks', l, 'no-longer-unreferenced', KINDS.layerLinks.keptBecause);
    }
  }

  // Tag history: a rewritten entry stays, and so does one that names a revision (or the tag's target) again.
  for (const e of items.tagHistory) {
    const scan = rescanned.get(e.repository);
    const tag = scan?.tags.find((t) => t.name === e.tag);
    if (rewritten.has('tagHistory', e)) spare('tagHistory', e, 'changed', `it was ${WRITTEN}`);
    else if (scan !== undefined && (scan.revisions.includes(e.digest) || scan.pinned.includes(e.digest) || tag?.current === e.digest)) {
      spare('tagHistory', e, 'no-longer-unreferenced', KINDS.tagHistory.keptBecause);
    }
  }
  for (const u of items.uploads) if (rewritten.has('uploads', u)) spare('uploads', u, 'changed', `it was ${WRITTEN}`);

  // A changed repository planned as empty is emptied only if nothing but planned items is in it:
  // a layer link written since (a mount, an upload: a push in progress) keeps it too.
  const present = new Set(changes.repositories);
  for (const r of items.repositories) {
    if (!present.has(r.repository)) {
      spare('repositories', r, 'gone', 'already gone (no repository there any more)');
      continue;
    }
    const scan = rescanned.get(r.repository);
    if (scan === undefined) continue;
    const pushedInto = [...scan.layers].some((id) => {
      const link = { repository: r.repository, digest: ctx.ids.digest(id) };
      return !plannedLinks.has('layerLinks', link) || rewritten.has('layerLinks', link);
    });
    if (pushedInto) {
      spare('repositories', r, 'changed', `a layer link in it was ${WRITTEN}`);
      continue;
    }
    const doomed = new Set(doomedManifests.get(r.repository) ?? []);
    const uploadsGo = scan.uploads.every((id) => items.uploads.some((u) => u.repository === r.repository && u.id === id && !spared.has('uploads', u)));
    if (scan.tags.length > 0 || scan.pinned.length > 0 || !scan.revisions.every((d) => doomed.has(d)) || !uploadsGo) {
      spare('repositories', r, 'no-longer-empty', KINDS.repositories.keptBecause);
    }
  }

  const sweep = await sweepInputOf(ctx, plan, observed, { rescanned, doomedManifests, sparedBlobs, spared, marking, goingTags, inspectData });
  for (const blob of goneCandidates(sweep.blobCandidates)) spared.set('blobs', blob, { reason: 'gone', message: 'already gone (deleted meanwhile)' });
  const approved = new IdentitySet();
  for (const c of CATEGORIES) for (const item of items[c] as readonly ItemFields[]) if (!spared.has(c, item)) approved.add(c, item);
  return {
    approved,
    spared,
    decision: {
      seen: {
        repositories: changes.repositories.length,
        tags: plan.scanned.tags,
        revisions: plan.scanned.manifests,
        blobs: plan.scanned.blobs,
        marked: plan.scanned.markedDigests,
      },
      manifestsKeptForAge: keptForAge,
      sweep,
      knownLinks: changes.knownLinks,
    },
  };
}

interface Decided {
  readonly rescanned: ReadonlyMap<string, ScannedRepository>;
  readonly doomedManifests: ReadonlyMap<string, readonly Digest[]>;
  readonly sparedBlobs: ReadonlySet<Digest>;
  readonly spared: IdentityMap<Spared>;
  readonly marking: MarkResult;
  /** The planned tags that go, as `repository:tag`. */
  readonly goingTags: ReadonlySet<string>;
  /** How the planned blobs' `data` is inspected (asked for early: early-inspection.ts); else the storage's. */
  readonly inspectData: InspectData | undefined;
}

/** Blob prefix folders holding `digests`, as the blob listing would give them. */
function prefixesOf(ids: DigestIds, digests: Iterable<Digest>): BlobPrefix[] {
  const byPrefix = new Map<string, Digest[]>();
  for (const digest of digests) {
    const key = digest.slice(0, digest.indexOf(':') + 3);
    addTo(byPrefix, key, digest);
  }
  return [...byPrefix].map(([key, list]) => {
    const [algorithm, hex] = key.split(':') as [BlobPrefix['algorithm'], string];
    return { algorithm, prefix: hex, entries: list.length, ids: idList(ids, list) };
  });
}

/** The sweep's input: per repository only the planned items to delete, and what they must be judged with. */
async function sweepInputOf(ctx: RunContext, plan: Plan, observed: PlanObservation, d: Decided): Promise<Decision['sweep']> {
  const { layout, opts, findings, age } = ctx;
  const { items } = plan;
  const going = <T extends ItemFields>(category: Category, list: readonly T[]) => list.filter((item) => !d.spared.has(category, item));
  const names = new Set<string>([...d.rescanned.keys()]);
  for (const c of ['tags', 'manifests', 'layerLinks', 'tagHistory', 'uploads', 'repositories'] as const) for (const item of items[c]) names.add(item.repository);

  // Each list grouped once by repository: a plan has items of thousands of repositories.
  const byRepository = <T extends { repository: string }, V>(list: readonly T[], value: (item: T, index: number) => V) => {
    const groups = new Map<string, V[]>();
    list.forEach((item, i) => addTo(groups, item.repository, value(item, i)));
    return (name: string): V[] => groups.get(name) ?? [];
  };
  const linksGoing = going('layerLinks', items.layerLinks);
  const layersOf = byRepository(linksGoing, (l) => l.digest);
  const uploadsOf = byRepository(going('uploads', items.uploads), (u) => u.id);
  const manifestsOf = byRepository(items.manifests, (m, i) => ({ digest: m.digest, tags: observed.manifests[i]!.tags }));
  const entriesOf = byRepository(going('tagHistory', items.tagHistory), (e) => e);

  const scans: ScannedRepository[] = [];
  for (const name of names) {
    const layers = idList(ctx.ids, layersOf(name));
    const uploads = uploadsOf(name);
    const real = d.rescanned.get(name);
    if (real !== undefined) {
      scans.push({ ...real, unlinkedRevisions: [], layers, uploads });
      continue;
    }
    // Unchanged since the plan: its planned manifests as its revisions, each tag with the history that goes.
    const history = new Map<string, Set<Digest>>();
    const add = (tag: string, digest: Digest) => history.set(tag, (history.get(tag) ?? new Set()).add(digest));
    for (const m of manifestsOf(name)) for (const tag of m.tags) if (!d.goingTags.has(tagKey(name, tag))) add(tag, m.digest);
    for (const e of entriesOf(name)) add(e.tag, e.digest);
    const tags: TagScan[] = [...history].map(([tag, digests]) => ({ name: tag, current: undefined, history: [...digests] }));
    const revisions = manifestsOf(name).map((m) => m.digest);
    scans.push({ name, revisions, pinned: [], unlinkedRevisions: [], tags, tagTargetsUncertain: false, layers, uploads });
  }

  // A spared blob is as good as marked: it stays.
  const sparedBits = new DigestBits();
  for (const digest of d.sparedBlobs) sparedBits.add(ctx.ids.id(digest));
  const plannedPrefixes = prefixesOf(ctx.ids, items.blobs.map((b) => b.digest));
  const blobCandidates = await inspectBlobCandidates(layout, opts.storage, age, findings, plannedPrefixes, ctx.ids, sparedBits, d.inspectData);
  failOnProblems(findings, 'a planned blob could not be deleted safely');
  // What the layer-link phase counts as still there: the planned blobs (those not deleted stay) but those
  // already gone (an apply killed half-way moved them: their links must go now), and the kept blobs of links that go.
  const goneBlobs = new Set(goneCandidates(blobCandidates).map((blob) => blob.digest));
  const linkBlobs = [...new Set(linksGoing.filter((l) => l.reason !== 'blob-deleted').map((l) => l.digest))];
  const present = (await opts.storage.inspect(linkBlobs.map((digest) => layout.blobData(digest)))).map((o) => o.ok);
  const listed = new Set([...items.blobs.map((b) => b.digest).filter((digest) => !goneBlobs.has(digest)), ...linkBlobs.filter((_, i) => present[i])]);

  let referencedBy: Map<string, Set<DigestId>> | undefined;
  if (plan.options.pruneLayerLinks) {
    referencedBy = new Map([...names].map((name) => [name, new Set(d.marking.referencedBy.get(name) ?? [])]));
    // A spared link is as good as referenced: its repository keeps it.
    for (const l of items.layerLinks) if (d.spared.has('layerLinks', l)) referencedBy.get(l.repository)?.add(ctx.ids.id(l.digest));
  }
  return {
    scans,
    ids: ctx.ids,
    tags: going('tags', items.tags).map(({ repository, tag, digest, rule }) => ({ repository, tag, digest, rule })),
    untagged: d.doomedManifests,
    referencedBy,
    blobs: prefixesOf(ctx.ids, listed),
    blobCandidates,
    staleUploadsBefore: plan.options.keepUploads ? undefined : opts.now.getTime() - plan.options.uploadAge,
    removeEmptyRepositories: plan.options.removeEmptyRepositories,
  };
}
