/**
 * Repository discovery: walks `repositories/` with plain directory listings
 * (the layout is fixed, so no glob is needed). A folder is a repository when
 * it holds `_manifests`, `_layers` or `_uploads`; folders starting with `_`
 * are never name components. Repositories nest, so the walk goes on below a
 * repository.
 *
 * A folder that holds repository data under a name the collector does not
 * accept (an upper-case letter, a character outside the grammar, a name too
 * long, a `_` component) is a *stray*: someone put it there (a rename gone
 * wrong, a restore, another tool). It is left alone, and left alone means
 * whole: nothing in it is deleted, and its manifests are roots, so every
 * blob they reference is kept (the walk goes on below such names to find
 * them).
 */
import { REPOSITORY_MARKERS } from '../registry/layout.js';
import { isRepositoryComponent, isRepositoryName, MAX_REPOSITORY_NAME_LENGTH } from '../registry/names.js';
import { listOrReport, type ScanContext } from './listing.js';

const isMarker = (name: string) => (REPOSITORY_MARKERS as readonly string[]).includes(name);

const KEPT = 'left alone: nothing in it is deleted, and its manifests and every blob they reference are kept';

export interface Discovered {
  /** Repositories, sorted. */
  readonly repositories: string[];
  /** Strays, sorted: admitted to the layout (RegistryLayout.admitStray), so they can be scanned, never swept. */
  readonly strays: string[];
}

/** Finds every repository below `repositories/`, nested ones included, and every stray. */
export function discoverFolders(ctx: ScanContext): Discovered {
  const found: string[] = [];
  const strays: string[] = [];
  // `why`: what is wrong with this folder's own name, when it is the first wrong one on the way down.
  const walk = (dir: string, components: string[], stray: boolean, why?: string): void => {
    const entries = listOrReport(ctx, dir);
    const holdsData = components.length > 0 && entries.some((e) => isMarker(e.name));
    const name = components.join('/');
    if (holdsData && !stray && isRepositoryName(name)) found.push(name);
    else if (holdsData) {
      ctx.layout.admitStray(name, components);
      strays.push(name);
      ctx.findings.warn('repository_name_invalid', dir, `${why ?? `"${name}" is not a valid repository name`}; ${KEPT}`);
    } else if (why !== undefined) ctx.findings.warn('repository_name_invalid', dir, `${why}; left alone`);
    for (const entry of entries) {
      const full = `${dir}/${entry.name}`;
      if (components.length > 0 && isMarker(entry.name)) continue;
      if (entry.type === 'symlink') {
        ctx.findings.fail('symlink', full, 'symbolic link in the registry tree; the collector does not follow links');
      } else if (entry.type !== 'dir') {
        ctx.findings.warn('unexpected_entry', full, `unexpected ${entry.type} among repositories, left alone`);
      } else {
        // A name the registry cannot serve is walked all the same, as a stray: what it holds is kept.
        const wrong = stray ? undefined : invalidComponent(entry.name, components);
        walk(full, [...components, entry.name], stray || wrong !== undefined, wrong);
      }
    }
  };
  walk(ctx.layout.repositoriesDir, [], false);
  return { repositories: found.sort(), strays: strays.sort() };
}

/** Why `name` cannot be the next component after `components`; undefined when it can. */
function invalidComponent(name: string, components: readonly string[]): string | undefined {
  // The markers belong to the repository above; any other `_name` is no repository component.
  if (name.startsWith('_')) return `"${name}" cannot be a repository name component`;
  if (!isRepositoryComponent(name)) return `"${name}" is not a valid repository name component`;
  if (components.join('/').length + name.length + 1 > MAX_REPOSITORY_NAME_LENGTH + 1) return 'repository name longer than 255 characters';
  return undefined;
}

/** The repositories only (see discoverFolders). */
export function discoverRepositories(ctx: ScanContext): string[] {
  return discoverFolders(ctx).repositories;
}
