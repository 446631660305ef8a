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
import type { Plan, PlannedTag, PlanObservation } from './types.js';
import { ABSENT, unchanged, versionsOf } from './versions.js';

/** Why a planned tag whose current link changed since the plan stays: incremental and full re-checks say it alike. */
export const TAG_PUSHED_AGAIN = 'its current link was written since the plan, or while it was made (pushed again or moved): it stays';

/** What became of each planned tag's current link since the plan recorded its version (`recorded`, in the order of `tags`). */
export async function tagLinkStates(
  storage: Storage,
  layout: RegistryLayout,
  tags: readonly PlannedTag[],
  recorded: readonly string[] | undefined,
): Promise<Array<'unchanged' | 'gone' | 'rewritten'>> {
  const now = await versionsOf(storage, tags.map((t) => layout.tagCurrentLink(t.repository, t.tag)));
  // Racy and the same is no proof either: a push during the plan, after its read, looks like that.
  return tags.map((_, i) => (unchanged(recorded?.[i], now[i]!) ? 'unchanged' : now[i] === ABSENT ? 'gone' : 'rewritten'));
}

/** The full re-check's gate: why each planned tag that may not go stays (or is not there to go), by identity. */
export type TagGate = ReadonlyMap<string, { readonly reason: 'gone' | 'changed'; readonly message: string }>;

export async function gateTags(plan: Plan, observed: PlanObservation | undefined, storage: Storage, layout: RegistryLayout): Promise<TagGate> {
  const kept = new Map<string, { reason: 'gone' | 'changed'; message: string }>();
  const tags = plan.items.tags;
  if (tags.length === 0) return kept;
  const recorded = observed?.plannedTags;
  if (recorded === undefined || storage.versions === undefined) {
    const why = storage.versions === undefined ? 'this storage gives no entry versions' : 'the plan records no (or a damaged) observation of its tags';
    for (const tag of tags) kept.set(identity('tags', tag), { reason: 'changed', message: `${why}: whether it was pushed again since the plan cannot be told, so it stays` });
    return kept;
  }
  const states = await tagLinkStates(storage, layout, tags, recorded);
  tags.forEach((tag, i) => {
    if (states[i] === 'gone') kept.set(identity('tags', tag), { reason: 'gone', message: 'already gone (deleted meanwhile)' });
    else if (states[i] === 'rewritten') kept.set(identity('tags', tag), { reason: 'changed', message: TAG_PUSHED_AGAIN });
  });
  return kept;
}
