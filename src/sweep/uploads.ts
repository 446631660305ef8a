/**
 * Stale uploads (spec §4 step 4): `_uploads/<id>` whose `startedat` is older
 * than the upload age, the same rule as the registry's own uploadpurging. An
 * upload without a readable RFC 3339 `startedat` is kept and reported: its
 * age is unknown, and it may be a push in progress.
 */
import { UPLOAD_STARTED_AT } from '../registry/layout.js';
import { MAX_STARTED_AT_BYTES, startedAtOf } from '../registry/startedat.js';
import type { DeletedUpload } from '../report/report.js';
import type { RepositoryScan } from '../scan/repository.js';
import type { Storage } from '../storage/storage.js';
import { deleteEach, remove, type SweepContext } from './context.js';

export interface UploadInput {
  readonly scans: readonly RepositoryScan<unknown>[];
  /** Uploads started before this (ms since the epoch) are stale; undefined leaves every upload alone. */
  readonly staleBefore: number | undefined;
}

/** Bytes of every file below `dir`, links counted as themselves, never followed. */
async function folderSize(storage: Storage, dir: string): Promise<number> {
  let total = 0;
  const entries = await storage.list(dir);
  const files = entries.filter((e) => e.type !== 'dir').map((e) => `${dir}/${e.name}`);
  for (const outcome of await storage.inspect(files)) {
    if (!outcome.ok) throw outcome.error;
    total += outcome.value.size;
  }
  for (const e of entries) if (e.type === 'dir') total += await folderSize(storage, `${dir}/${e.name}`);
  return total;
}

/**
 * `startedat` goes last: a run killed half-way through must leave an upload
 * that the next run still recognises as stale, not one without a start time
 * (which would be kept, and warned about, forever).
 */
async function removeUpload(ctx: SweepContext, dir: string): Promise<boolean> {
  if (!ctx.dryRun) {
    let entries: string[] = [];
    try {
      entries = (await ctx.storage.list(dir)).map((e) => e.name);
    } catch {
      // The whole-folder removal below reports what matters.
    }
    for (const name of entries) if (name !== UPLOAD_STARTED_AT && !(await remove(ctx, `${dir}/${name}`))) return false;
  }
  return remove(ctx, dir);
}

export async function sweepUploads(ctx: SweepContext, { scans, staleBefore }: UploadInput, deleted: DeletedUpload[], keptForAge: DeletedUpload[]): Promise<void> {
  const doomed: DeletedUpload[] = [];
  const all = staleBefore === undefined ? [] : scans.flatMap((scan) => scan.uploads.map((id) => ({ repository: scan.name, id })));
  // Every start time in one call: many reads in flight where a read is a request.
  const reads = all.length === 0 ? [] : await ctx.storage.readFiles(all.map(({ repository, id }) => ctx.layout.uploadStartedAt(repository, id)), MAX_STARTED_AT_BYTES);
  for (const [i, { repository, id }] of all.entries()) {
    ctx.signal?.throwIfAborted();
    const dir = ctx.layout.uploadDir(repository, id);
    const started = startedAtOf(reads[i]!);
    if ('problem' in started) {
      ctx.findings.warn(started.code, dir, `${started.problem}; kept`);
      continue;
    }
    if (started.time >= staleBefore!) continue;
    let size = 0;
    try {
      size = await folderSize(ctx.storage, dir);
    } catch (error) {
      ctx.findings.warn('size_unknown', dir, `cannot measure: ${(error as Error).message}`);
    }
    const upload = { repository, id, size, startedAt: started.text };
    if (ctx.age.isYoungTime(started.time)) keptForAge.push(upload);
    else doomed.push(upload);
  }
  const work = async (upload: DeletedUpload) => {
    if (await removeUpload(ctx, ctx.layout.uploadDir(upload.repository, upload.id))) deleted.push(upload);
  };
  const candidate = ({ repository, id, startedAt }: DeletedUpload) => ({ kind: 'upload' as const, repository, id, startedAt });
  await deleteEach(ctx, 'uploads', doomed, work, { candidate });
}
