/**
 * A small model of the registry (manifests, revisions, tags, links, uploads)
 * for the properties of apply's incremental re-check
 * (test/plan/recheck.property.test.ts). It says, independently of src/, what
 * a plan must list and what apply must keep and delete after the registry's
 * writes: every revision that the plan does not list, or that a write
 * touched, is a root of its repository, with its children and referrers; a
 * planned blob stays when such a root reaches it or a write linked it.
 *
 * It is kept simple (whole sets, a fixpoint by repetition) so that it can be
 * read against docs/recheck.md on its own: it shares nothing with src/ but
 * types and the list of plan categories, so a mistake in src/ is not copied.
 */
import type { CollectOptions } from '../../src/collect/options.js';
import { PLAN_CATEGORIES, type Plan, type PlanCategory, type PlanItems, type PlannedItem } from '../../src/plan/plan.js';
import type { Digest } from '../../src/registry/digest.js';
import type { Descriptor } from '../../harness/tree.js';
import type { Effects } from './recheck-writes.js';

export interface Facts {
  readonly blobs: readonly Digest[];
  readonly children: readonly Digest[];
  readonly subject: Digest | undefined;
}

interface RepoFacts {
  readonly revisions: Set<Digest>;
  readonly tags: Map<string, Digest>;
  readonly links: Set<Digest>;
  readonly uploads: Set<string>;
}

export class Model {
  readonly manifests = new Map<Digest, Facts>();
  readonly descriptors = new Map<Digest, Descriptor>();
  readonly repos = new Map<string, RepoFacts>();
  /** Every blob whose data was written. */
  readonly blobs = new Set<Digest>();
  /** Manifests deleted through the API (revision gone, blobs and links left). */
  readonly deleted: { repo: string; digest: Digest }[] = [];

  repo(name: string): RepoFacts {
    let facts = this.repos.get(name);
    if (!facts) {
      facts = { revisions: new Set(), tags: new Map(), links: new Set(), uploads: new Set() };
      this.repos.set(name, facts);
    }
    return facts;
  }

  record(name: string, manifest: Descriptor, facts: Facts, tagName: string | undefined): void {
    this.manifests.set(manifest.digest, facts);
    this.descriptors.set(manifest.digest, manifest);
    this.blobs.add(manifest.digest);
    for (const b of facts.blobs) this.blobs.add(b);
    const r = this.repo(name);
    r.revisions.add(manifest.digest);
    if (facts.children.length === 0) for (const b of facts.blobs) r.links.add(b);
    if (tagName !== undefined) r.tags.set(tagName, manifest.digest);
  }

  /** Spec §3 under -m, per repository: the roots, their children, and referrers of what is kept, to a fixpoint. */
  kept(name: string, roots: Iterable<Digest>): Set<Digest> {
    const r = this.repo(name);
    const kept = new Set<Digest>();
    const keep = (d: Digest): void => {
      if (kept.has(d)) return;
      kept.add(d);
      for (const c of this.manifests.get(d)?.children ?? []) keep(c);
    };
    for (const d of roots) keep(d);
    for (let changed = true; changed; ) {
      changed = false;
      for (const d of r.revisions) {
        const subject = this.manifests.get(d)?.subject;
        if (!kept.has(d) && subject !== undefined && kept.has(subject)) {
          keep(d);
          changed = true;
        }
      }
    }
    return kept;
  }

  /** Digests a repository's kept manifests reference (themselves included), as a mark's `referencedBy`. */
  referenced(kept: Iterable<Digest>): Set<Digest> {
    const out = new Set<Digest>();
    for (const d of kept) {
      out.add(d);
      for (const b of this.manifests.get(d)?.blobs ?? []) out.add(b);
    }
    return out;
  }
}

/** `repository@digest` (or `repository@upload-id`): one thing in one repository, as a set key. */
export const at = (repository: string, digest: string) => `${repository}@${digest}`;

/** `category item-identity`, the way plan.test.ts names an item. */
export function keyOf(category: PlanCategory, item: PlannedItem | Record<string, unknown>): string {
  const i = item as Record<string, unknown>;
  const parts = [i['repository'], i['tag'], i['id'], i['digest']].filter((p) => p !== undefined);
  return `${category} ${parts.join(' ')}`;
}

/** Every item of a plan (or of a report's list), named by `keyOf`, sorted: comparable with `toEqual`. */
export function keys(items: PlanItems): string[] {
  return PLAN_CATEGORIES.flatMap((c) => items[c].map((item) => keyOf(c, item))).sort();
}

/** What the plan must list, from the model alone: roots are the tags. */
export function plannedByModel(model: Model): { manifests: string[]; blobs: Digest[] } {
  const marked = new Set<Digest>();
  const manifests: string[] = [];
  for (const [name, r] of model.repos) {
    const kept = model.kept(name, r.tags.values());
    for (const d of model.referenced(kept)) marked.add(d);
    for (const d of r.revisions) if (!kept.has(d)) manifests.push(`manifests ${name} ${d}`);
  }
  return { manifests: manifests.sort(), blobs: [...model.blobs].filter((d) => !marked.has(d)).sort() };
}

interface Expected {
  /** Per repository, the manifests apply must keep. */
  readonly kept: Map<string, Set<Digest>>;
  /** Every blob apply must keep because of a kept manifest or a write. */
  readonly needed: Set<Digest>;
  /** The planned items apply must delete. */
  readonly deleted: string[];
}

/**
 * What the incremental apply must do after the writes, from the model: in
 * every repository each revision that the plan does not list, or that a
 * write touched, is a root (with the tags); a planned blob stays when a kept
 * manifest references it or a write linked it.
 */
export function expectedAfterWrites(model: Model, plan: Plan, effects: Effects, options: CollectOptions): Expected {
  const planned = new Set(plan.items.manifests.map((m) => at(m.repository, m.digest)));
  const kept = new Map<string, Set<Digest>>();
  const referenced = new Map<string, Set<Digest>>();
  const needed = new Set<Digest>();
  for (const [name, r] of model.repos) {
    const roots = [...r.tags.values(), ...[...r.revisions].filter((d) => !planned.has(at(name, d)) || effects.touchedManifests.has(at(name, d)))];
    const k = model.kept(name, roots);
    kept.set(name, k);
    const refs = model.referenced(k);
    referenced.set(name, refs);
    for (const d of refs) needed.add(d);
  }
  for (const { digest } of effects.mounted) needed.add(digest);

  const deleted: string[] = [];
  const manifestGoes = (name: string, d: Digest) => planned.has(at(name, d)) && !kept.get(name)!.has(d);
  for (const m of plan.items.manifests) if (manifestGoes(m.repository, m.digest)) deleted.push(keyOf('manifests', m));
  for (const b of plan.items.blobs) if (!needed.has(b.digest)) deleted.push(keyOf('blobs', b));
  for (const l of plan.items.layerLinks) {
    if (effects.rewrittenLinks.has(at(l.repository, l.digest))) continue;
    const goes = options.pruneLayerLinks ? !referenced.get(l.repository)!.has(l.digest) : l.reason !== 'blob-deleted' || !needed.has(l.digest);
    if (goes) deleted.push(keyOf('layerLinks', l));
  }
  // A history entry stays when a write made its digest a revision again (or the tag's target).
  for (const e of plan.items.tagHistory) {
    const r = model.repo(e.repository);
    if (!(effects.touched.has(e.repository) && (r.revisions.has(e.digest) || r.tags.get(e.tag) === e.digest))) deleted.push(keyOf('tagHistory', e));
  }
  const uploadGoes = (name: string, id: string) => plan.items.uploads.some((u) => u.repository === name && u.id === id) && !effects.resumed.has(at(name, id));
  for (const u of plan.items.uploads) if (uploadGoes(u.repository, u.id)) deleted.push(keyOf('uploads', u));
  for (const r of plan.items.repositories) {
    const facts = model.repo(r.repository);
    const empty = facts.tags.size === 0 && [...facts.revisions].every((d) => manifestGoes(r.repository, d)) && [...facts.uploads].every((id) => uploadGoes(r.repository, id));
    // A mount uses the repository again (docs/recheck.md, 3 and 5): it must stay.
    const mounted = effects.mounted.some((m) => m.repo === r.repository);
    if (empty && !mounted) deleted.push(keyOf('repositories', r));
  }
  return { kept, needed, deleted: deleted.sort() };
}
