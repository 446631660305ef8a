/**
 * The scan's listings: what a folder holds, with what it should not hold
 * reported. Symbolic links anywhere in the walk are problems (the run must
 * not decide through them); unexpected names are warnings and are left alone.
 */
import type { DigestInterner } from '../registry/digest-interner.js';
import { isAlgorithm, isValidHex, type Algorithm, type Digest } from '../registry/digest.js';
import type { RegistryLayout } from '../registry/layout.js';
import type { Findings } from '../report/findings.js';
import { errorCode } from '../storage/errno.js';
import type { DirEntry, TreeReader } from '../storage/storage.js';

export interface ScanContext {
  readonly layout: RegistryLayout;
  /** The storage's synchronous reader (storage.ts). */
  readonly reader: TreeReader;
  readonly findings: Findings;
  /** Every digest the scan keeps goes through it: one string per digest. */
  readonly digests: DigestInterner;
}

/** Lists a directory; a missing one is empty, any other error is a problem (and empty). */
export function listOrReport(ctx: ScanContext, dir: string): DirEntry[] {
  try {
    return ctx.reader.list(dir);
  } catch (error) {
    const code = errorCode(error);
    if (code === 'ENOENT') return [];
    if (code === 'ENOTDIR') {
      ctx.findings.fail('not_a_directory', dir, 'expected a directory, found a file');
    } else {
      ctx.findings.fail('unreadable', dir, `cannot list: ${(error as Error).message}`);
    }
    return [];
  }
}

/**
 * Keeps the entries that are real directories; reports links (problems) and
 * strays. `strict` where a stray hides what marking needs (revisions, tags):
 * there a file in place of a folder is a problem too, since the collector
 * cannot know what it stands for.
 */
export function directories(ctx: ScanContext, dir: string, entries: DirEntry[], strict = false): DirEntry[] {
  const result: DirEntry[] = [];
  for (const entry of entries) {
    if (entry.type === 'dir') result.push(entry);
    else if (entry.type === 'symlink') ctx.findings.fail('symlink', `${dir}/${entry.name}`, 'symbolic link in the registry tree; the collector does not follow links');
    else if (strict) ctx.findings.fail('not_a_directory', `${dir}/${entry.name}`, `a ${entry.type} where marking expects a folder`);
    else ctx.findings.warn('unexpected_entry', `${dir}/${entry.name}`, `unexpected ${entry.type}, left alone`);
  }
  return result;
}

export interface DigestFolderOptions {
  /** Non-folders among them are problems, not warnings (directories()). */
  readonly strict?: boolean;
  /**
   * Collects the folders left alone because their name is no digest (an
   * unknown algorithm, a bad name), so that what they hold can be kept (scanRevisions).
   */
  readonly odd?: string[];
  /**
   * Each digest as the run's one string for it (ctx.digests), for digests a
   * run keeps as strings (the default). Layer links become ids right after
   * the scan (pool.ts): sharing them would only keep a million strings alive
   * until marking.
   */
  readonly shared?: boolean;
}

/** Lists `<dir>/<alg>/<hex>` folders (revisions, layer links, tag history). */
export function listDigestFolders(ctx: ScanContext, dir: string, { strict = false, odd, shared = true }: DigestFolderOptions = {}): Digest[] {
  const digests: Digest[] = [];
  for (const alg of directories(ctx, dir, listOrReport(ctx, dir), strict)) {
    const algDir = `${dir}/${alg.name}`;
    if (!isAlgorithm(alg.name)) {
      ctx.findings.warn('unknown_algorithm', algDir, `unknown digest algorithm "${alg.name}", left alone`);
      if (odd !== undefined) for (const entry of directories(ctx, algDir, listOrReport(ctx, algDir), strict)) odd.push(`${algDir}/${entry.name}`);
      continue;
    }
    const algorithm: Algorithm = alg.name;
    for (const entry of directories(ctx, algDir, listOrReport(ctx, algDir), strict)) {
      if (isValidHex(algorithm, entry.name)) {
        const digest = `${algorithm}:${entry.name}` as Digest;
        digests.push(shared ? ctx.digests.intern(digest) : digest);
      } else {
        ctx.findings.warn('bad_digest_name', `${algDir}/${entry.name}`, `not a ${algorithm} digest, left alone`);
        odd?.push(`${algDir}/${entry.name}`);
      }
    }
  }
  return digests;
}

