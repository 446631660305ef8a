/**
 * Repository discovery: walks `repositories/` with plain directory listings
 * (the layout is fixed, so no glob is needed). A folder is a repository when
 * it holds `_manifests`, `_layers` or `_uploads`; folders starting with `_`
 * are never name components. Repositories nest, so the walk goes on below a
 * repository.
 */
import { REPOSITORY_MARKERS } from '../registry/layout.js';
import { isRepositoryComponent, isRepositoryName, MAX_REPOSITORY_NAME_LENGTH } from '../registry/names.js';
import { listOrReport, type ScanContext } from './listing.js';

const isMarker = (name: string) => (REPOSITORY_MARKERS as readonly string[]).includes(name);

/** Finds every repository below `repositories/`, nested ones included. */
export function discoverRepositories(ctx: ScanContext): string[] {
  const found: string[] = [];
  const walk = (dir: string, components: string[]): void => {
    const entries = listOrReport(ctx, dir);
    if (components.length > 0 && entries.some((e) => isMarker(e.name))) {
      const name = components.join('/');
      if (isRepositoryName(name)) found.push(name);
      else ctx.findings.warn('repository_name_invalid', dir, `"${name}" is not a valid repository name; left alone`);
    }
    for (const entry of entries) {
      const full = `${dir}/${entry.name}`;
      if (entry.name.startsWith('_')) {
        // The markers belong to the repository above; any other `_name` is no repository component.
        if (components.length === 0 || !isMarker(entry.name)) {
          ctx.findings.warn('repository_name_invalid', full, `"${entry.name}" cannot be a repository name component; left alone`);
        }
        continue;
      }
      if (entry.type === 'symlink') {
        ctx.findings.fail('symlink', full, 'symbolic link in the registry tree; the collector does not follow links');
      } else if (entry.type !== 'dir') {
        ctx.findings.warn('unexpected_entry', full, `unexpected ${entry.type} among repositories, left alone`);
      } else if (!isRepositoryComponent(entry.name)) {
        ctx.findings.warn('repository_name_invalid', full, `"${entry.name}" is not a valid repository name component; left alone`);
      } else if (components.join('/').length + entry.name.length + 1 <= MAX_REPOSITORY_NAME_LENGTH + 1) {
        walk(full, [...components, entry.name]);
      } else {
        ctx.findings.warn('repository_name_invalid', full, 'repository name longer than 255 characters; left alone');
      }
    }
  };
  walk(ctx.layout.repositoriesDir, []);
  return found.sort();
}

