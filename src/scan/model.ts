/**
 * Read-only views of a registry for tools that build on the model rather
 * than the verb: list repositories, read one repository's tags and
 * revisions. Anything these cannot read safely is thrown as a RegistryGcError
 * with every problem named; warnings are returned.
 */
import { DigestInterner } from '../registry/digest-interner.js';
import { RegistryGcError, type Problem } from '../report/errors.js';
import type { FileSystem } from '../storage/file-system.js';
import { nodeFileSystem } from '../storage/node-file-system.js';
import { Findings } from '../report/findings.js';
import { RegistryLayout } from '../registry/layout.js';
import { isRepositoryName } from '../registry/names.js';
import { byName } from '../report/order.js';
import { checkRegistryRoot, checkRepositoryPath } from './root-check.js';
import { discoverRepositories } from './discover.js';
import type { ScanContext } from './listing.js';
import { scanRepository, type RepositoryScan, type TagScan } from './repository.js';

function context(root: string, fs: FileSystem): ScanContext {
  const layout = new RegistryLayout(root);
  const ctx = { layout, reader: fs, findings: new Findings(layout), digests: new DigestInterner() };
  checkRegistryRoot(ctx);
  return ctx;
}

function done<T>(ctx: ScanContext, value: T): { value: T; warnings: Problem[] } {
  if (ctx.findings.problems.length > 0) {
    throw new RegistryGcError('E_MARK_INCOMPLETE', `cannot read ${ctx.layout.root} safely`, ctx.findings.problems);
  }
  return { value, warnings: ctx.findings.warnings };
}

/** Every repository name below `<root>/docker/registry/v2/repositories`, sorted. */
export function listRepositories(root: string, fs: FileSystem = nodeFileSystem): { value: string[]; warnings: Problem[] } {
  const ctx = context(root, fs);
  return done(ctx, discoverRepositories(ctx));
}

/** One repository's revisions, tags (with their current target and history), layer links and uploads. */
export function readRepository(root: string, name: string, fs: FileSystem = nodeFileSystem): { value: RepositoryScan; warnings: Problem[] } {
  if (!isRepositoryName(name)) throw new RegistryGcError('E_INVALID_OPTION', `not a repository name: ${JSON.stringify(name)}`);
  const ctx = context(root, fs);
  checkRepositoryPath(ctx, name);
  // Scanning through a linked repository folder would read outside the tree.
  if (ctx.findings.problems.length > 0) return done(ctx, emptyScan(name));
  return done(ctx, scanRepository(ctx, name));
}

/** One repository's tags, sorted by name. */
export function listTags(root: string, name: string, fs: FileSystem = nodeFileSystem): { value: TagScan[]; warnings: Problem[] } {
  const { value, warnings } = readRepository(root, name, fs);
  return { value: [...value.tags].sort(byName), warnings };
}

function emptyScan(name: string): RepositoryScan {
  return { name, revisions: [], pinned: [], unlinkedRevisions: [], tags: [], tagTargetsUncertain: false, layers: [], uploads: [] };
}
