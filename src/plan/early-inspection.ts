/**
 * Apply's inspection of the planned blobs, started early. Every planned
 * blob's `data` is inspected before any move (docs/recheck.md, step 5), and
 * which blobs those are is known from the plan alone. So apply asks for all
 * of them as soon as it holds the lock, on another thread (Storage.inspect
 * `aside`), and compares the plan's versions on this one meanwhile; the
 * sweep's input is then built from these answers. The registry is stopped
 * and nothing is moved before they are used, so they are what an inspection
 * at that later moment would find (a registry still writing is warned of by
 * the versions compared again right before the first move).
 */
import type { Digest } from '../registry/digest.js';
import type { RegistryLayout } from '../registry/layout.js';
import type { EntryInfo, Outcome, Storage } from '../storage/storage.js';

export type InspectData = (targets: readonly string[]) => Promise<Outcome<EntryInfo>[]>;

/** Asks for every `digests` blob's `data` now; the function answers from those that were there, and asks the storage for any other path. */
export function inspectEarly(storage: Storage, layout: RegistryLayout, digests: readonly Digest[]): InspectData {
  const paths = digests.map((digest) => layout.blobData(digest));
  const asked = storage.inspect(paths, { aside: true });
  // Awaited by whoever inspects; a run that stops before that leaves no rejection unheard.
  asked.catch(() => {});
  // Built once, on first use: the caller asks a prefix folder at a time.
  let answers: Promise<Map<string, Outcome<EntryInfo>>> | undefined;
  return async (targets) => {
    answers ??= asked.then((outcomes) => new Map(paths.map((p, i) => [p, outcomes[i]!])));
    const early = await answers;
    // What was not there (or not readable) at the early look is looked at again now: a blob uploaded
    // meanwhile (a registry still running) must be judged by its data now, its age kept for minAge.
    const rest = targets.filter((t) => early.get(t)?.ok !== true);
    const late = rest.length === 0 ? new Map<string, Outcome<EntryInfo>>() : new Map((await storage.inspect(rest)).map((o, i) => [rest[i]!, o]));
    return targets.map((t) => late.get(t) ?? early.get(t)!);
  };
}
