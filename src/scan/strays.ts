/**
 * Strays (scan/discover.ts) are scanned like repositories, on this thread,
 * and the manifests they name are read here: marking keeps all of it, and a
 * stray whose links or manifests cannot be read fails the run closed, as a
 * repository would.
 */
import type { ManifestStore } from './manifest-store.js';
import type { ScanContext } from './listing.js';
import { scanRepository, type RepositoryScan } from './repository.js';

export function scanStrays(ctx: ScanContext, store: ManifestStore, strays: readonly string[]): RepositoryScan[] {
  return strays.map((name) => {
    const scan: RepositoryScan = { ...scanRepository(ctx, name), leftAlone: true };
    const named = [...scan.revisions, ...scan.pinned, ...scan.tags.flatMap((t) => [...(t.current === undefined ? [] : [t.current]), ...t.history])];
    for (const digest of named) store.read(ctx.reader, digest);
    return scan;
  });
}
