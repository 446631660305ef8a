/**
 * Which planned tags apply may delete: only a tag whose current link is the
 * very file the plan saw. The registry rewrites that link on every push of
 * the tag, even to the same digest, and a tag pushed again since the plan is
 * in use: it stays (and so does what it points at). A tag moved to another
 * digest is another item already (kinds.ts: its identity has the digest).
 *
 * Where that cannot be told (no trusted observation, a storage without
 * versions, a link written while the plan was made) the tag stays: a
 * re-check that is not conclusive keeps the item.
 */
import type { RegistryLayout } from '../registry/layout.js';
import { identity } from '../report/kinds.js';
import type { Storage } from '../storage/storage.js';
import type { Plan, PlanObservation } from './types.js';
import { ABSENT, unchanged, versionsOf } from './versions.js';

export interface TagGate {
  /** Identities of the planned tags that may go. */
  readonly unmoved: ReadonlySet<string>;
  /** Why each other planned tag stays (or is not there to go), by identity. */
  readonly kept: ReadonlyMap<string, { readonly reason: 'gone' | 'changed'; readonly message: string }>;
}

export async function gateTags(plan: Plan, observed: PlanObservation | undefined, storage: Storage, layout: RegistryLayout): Promise<TagGate> {
  const unmoved = new Set<string>();
  const kept = new Map<string, { reason: 'gone' | 'changed'; message: string }>();
  const tags = plan.items.tags;
  if (tags.length === 0) return { unmoved, kept };
  const recorded = observed?.plannedTags;
  if (recorded === undefined || storage.versions === undefined) {
    const why = storage.versions === undefined ? 'this storage gives no entry versions' : 'the plan records no (or a damaged) observation of its tags';
    for (const tag of tags) kept.set(identity('tags', tag), { reason: 'changed', message: `${why}: whether it was pushed again since the plan cannot be told, so it stays` });
    return { unmoved, kept };
  }
  const now = await versionsOf(storage, tags.map((t) => layout.tagCurrentLink(t.repository, t.tag)));
  tags.forEach((tag, i) => {
    const key = identity('tags', tag);
    if (unchanged(recorded[i], now[i]!)) unmoved.add(key);
    else if (now[i] === ABSENT) kept.set(key, { reason: 'gone', message: 'already gone (deleted meanwhile)' });
    else kept.set(key, { reason: 'changed', message: 'pushed again (or rewritten) since the plan, or written while the plan was made: it stays' });
  });
  return { unmoved, kept };
}
