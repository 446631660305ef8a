/**
 * Tags (spec §9), first of all: retention's and orphaned referrer tags,
 * each its whole `_manifests/tags/<tag>` folder (what the registry's own
 * tag deletion removes), history included. First, because marking counted
 * on them being gone: while a deleted tag's folder exists, its manifest
 * must too.
 *
 * Before each goes, its current link is read again (with its batch, at most
 * a batch ahead: sweep/context.ts): a tag that points elsewhere now (or
 * cannot be read) stays. Decisions were made with
 * the `allow` hook already (retention/decide-tags.ts).
 */
import type { DeletedTag } from '../report/report.js';
import type { TagDeletion } from '../retention/select.js';
import type { LinkRead } from '../registry/links.js';
import { exists } from '../storage/exists.js';
import type { Intent } from '../trash/disposal.js';
import { areRealFolders, deleteEach, readLinksOf, remove, type SweepContext } from './context.js';

export async function sweepTags(ctx: SweepContext, decided: readonly TagDeletion[], deleted: DeletedTag[]): Promise<void> {
  const { layout } = ctx;
  const links = new Map<TagDeletion, LinkRead>();
  const beforeBatch = async (batch: readonly TagDeletion[]) => {
    const reads = await readLinksOf(ctx, 'tags', batch, batch.map((t) => layout.tagCurrentLink(t.repository, t.tag)));
    batch.forEach((t, i) => links.set(t, reads[i]!));
  };
  const work = async (tag: TagDeletion, [folder]: readonly Intent[]) => {
    const { repository, digest } = tag;
    const link = links.get(tag)!;
    links.delete(tag);
    const linkFile = layout.tagCurrentLink(repository, tag.tag);
    if (link.state === 'missing' && !(await exists(ctx.storage, layout.tagDir(repository, tag.tag)))) {
      // Already gone: what marking counted on holds.
      deleted.push(tag);
      return;
    }
    if (link.state !== 'ok' || link.digest !== digest) {
      const now = link.state === 'ok' ? `points at ${link.digest} now` : link.state === 'missing' ? 'has no current link now' : 'cannot be read now';
      ctx.findings.warn('tag_moved', linkFile, `${repository}:${tag.tag} ${now}, not at ${digest} as decided; kept`);
      return;
    }
    if (!(await areRealFolders(ctx, [layout.tagsDir(repository)]))) return;
    if (await remove(ctx, folder!.target)) deleted.push(tag);
  };
  await deleteEach(ctx, 'tags', decided, work, { beforeBatch, intents: (t) => [{ target: layout.tagDir(t.repository, t.tag) }] });
}
