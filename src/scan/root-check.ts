/**
 * Checks made before anything is read: the root holds a registry, and
 * nothing on the way to a folder the collector lists is a symbolic link
 * (listing a folder through a link would follow it).
 */
import path from 'node:path';
import { RegistryGcError } from '../report/errors.js';
import { errorCode } from '../storage/errno.js';
import { RegistryLayout, V2_FOLDERS } from '../registry/layout.js';
import type { ScanContext } from './listing.js';

/**
 * Why the root is no registry root, in the words of the mistake: a path that
 * does not exist, or a folder inside a registry (its `docker/registry/v2`,
 * `docker/registry` or `docker`) named instead of the root above it.
 */
function notARegistry(ctx: ScanContext, missing: string): RegistryGcError {
  const { root } = ctx.layout;
  const exists = (dir: string) => {
    try {
      return ctx.reader.entry(dir).type === 'dir';
    } catch {
      return false;
    }
  };
  if (!exists(root)) return new RegistryGcError('E_NOT_A_REGISTRY', `${root} does not exist`);
  const meant = [3, 2, 1].map((up) => path.resolve(root, ...Array<string>(up).fill('..'))).find((above) => new RegistryLayout(above).v2 === root || new RegistryLayout(above).v2Ancestry().includes(root));
  if (meant !== undefined && exists(new RegistryLayout(meant).v2)) {
    return new RegistryGcError('E_NOT_A_REGISTRY', `${root} is inside a registry: its root (the rootdirectory, which holds docker/registry/v2) is ${meant}`);
  }
  return new RegistryGcError('E_NOT_A_REGISTRY', `${root} is not a registry root: ${missing} does not exist (point at the folder that holds docker/registry/v2)`);
}

/** `<root>/docker/registry/v2` must exist, and nothing on the way to it may be a link. */
export function checkRegistryRoot(ctx: ScanContext): void {
  for (const dir of ctx.layout.v2Ancestry()) {
    let type: string;
    try {
      type = ctx.reader.entry(dir).type;
    } catch (error) {
      if (errorCode(error) === 'ENOENT') throw notARegistry(ctx, dir);
      throw new RegistryGcError('E_IO', `cannot read ${dir}: ${(error as Error).message}`, [], { cause: error });
    }
    if (type === 'symlink') {
      throw new RegistryGcError('E_SYMLINK', `${dir} is a symbolic link; point the collector at the real registry root`, [
        { code: 'symlink', path: ctx.layout.relative(dir), message: 'symbolic link on the way to docker/registry/v2' },
      ]);
    }
    if (type !== 'dir') throw new RegistryGcError('E_NOT_A_REGISTRY', `${dir} is not a directory`);
  }
  // blobs/ and repositories/ are listed through: a link there stops the run now, before
  // anything is read through it (a link to / would otherwise walk the whole machine).
  let entries;
  try {
    entries = ctx.reader.list(ctx.layout.v2);
  } catch (error) {
    throw new RegistryGcError('E_MARK_INCOMPLETE', `cannot list ${ctx.layout.v2}: ${(error as Error).message}; nothing was deleted`, [
      { code: 'unreadable', path: ctx.layout.relative(ctx.layout.v2), message: `cannot list: ${(error as Error).message}` },
    ], { cause: error });
  }
  const links = entries.filter((e) => e.type === 'symlink' && (V2_FOLDERS as readonly string[]).includes(e.name));
  if (links.length > 0) {
    throw new RegistryGcError(
      'E_SYMLINK',
      `${links.map((e) => `${ctx.layout.v2}/${e.name}`).join(', ')}: symbolic link; the collector does not follow links, nothing was read through it or deleted`,
      links.map((e) => ({ code: 'symlink', path: ctx.layout.relative(`${ctx.layout.v2}/${e.name}`), message: 'symbolic link in the registry tree; the collector does not follow links' })),
    );
  }
  for (const entry of entries) {
    if (entry.type === 'symlink') ctx.findings.fail('symlink', `${ctx.layout.v2}/${entry.name}`, 'symbolic link in the registry tree; the collector does not follow links');
  }
}

/** Every folder from `repositories/` down to the repository must be a real folder. */
export function checkRepositoryPath(ctx: ScanContext, name: string): void {
  let dir = ctx.layout.repositoriesDir;
  for (const component of name.split('/')) {
    dir = path.join(dir, component);
    let type: string;
    try {
      type = ctx.reader.entry(dir).type;
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return;
      throw error;
    }
    if (type === 'symlink') ctx.findings.fail('symlink', dir, 'symbolic link in the registry tree; the collector does not follow links');
    if (type !== 'dir') return;
  }
}
