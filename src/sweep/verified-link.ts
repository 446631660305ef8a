/**
 * A link is read again before its folder goes (by itself, or with the
 * others of its batch, at most a batch ahead: sweep/context.ts): only a link that
 * holds exactly its folder's digest (or an empty folder) is deleted.
 * Anything else is reported and left, because it is not what the registry
 * wrote.
 */
import type { Digest } from '../registry/digest.js';
import type { LinkRead } from '../registry/links.js';
import { remove, removeIfEmpty, type SweepContext } from './context.js';

/** Deletes the folder of a link that was verified (`link`: what it held, read right before or with its batch); false when it must stay. */
export async function removeVerifiedLink(ctx: SweepContext, dir: string, linkFile: string, digest: Digest, link: LinkRead): Promise<boolean> {
  if (link.state === 'ok' && link.digest === digest) return remove(ctx, dir, linkFile);
  if (link.state === 'missing') {
    // An empty folder is dead weight; a folder holding something else is not ours to judge.
    if (ctx.dryRun || (await removeIfEmpty(ctx, dir))) return true;
    ctx.findings.warn('unexpected_entry', dir, 'link folder without a link but with other content; left alone');
    return false;
  }
  if (link.state === 'ok') ctx.findings.warn('link_mismatch', linkFile, `link names ${link.digest}, not its folder's digest; left alone`);
  else if (link.state === 'invalid') ctx.findings.warn('bad_link', linkFile, `link does not hold a digest: ${JSON.stringify(link.content.slice(0, 80))}; left alone`);
  else if (link.state === 'symlink') ctx.findings.warn('symlink', linkFile, 'link file is a symbolic link; left alone');
  else ctx.findings.warn('unreadable', linkFile, `cannot read link: ${link.message}; left alone`);
  return false;
}
