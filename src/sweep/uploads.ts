/**
 * Stale uploads (spec §4 step 4): `_uploads/<id>` whose `startedat` is older
 * than the upload age, the same rule as the registry's own uploadpurging. An
 * upload without a readable RFC 3339 `startedat` is kept and reported: its
 * age is unknown, and it may be a push in progress.
 */
import path from 'node:path';
import { errorCode } from '../report/errors.js';
import type { FileSystem } from '../storage/file-system.js';
import type { DeletedUpload } from '../report/report.js';
import type { RepositoryScan } from '../scan/repository.js';
import { checkpoint, remove, type SweepContext } from './sweep.js';

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$/;
/** A timestamp, with room for nanoseconds and an offset. */
const MAX_STARTEDAT_BYTES = 64;

type StartedAt = { readonly time: number; readonly text: string } | { readonly problem: string; readonly code: string };

function readStartedAt(ctx: SweepContext, file: string): StartedAt {
  let text: string;
  try {
    text = ctx.fs.read(file, MAX_STARTEDAT_BYTES).toString('utf8');
  } catch (error) {
    const code = errorCode(error);
    if (code === 'ENOENT') return { code: 'upload_startedat_missing', problem: 'upload has no startedat' };
    return { code: 'upload_startedat_invalid', problem: `cannot read startedat: ${(error as Error).message}` };
  }
  const trimmed = text.trim();
  const time = RFC3339.test(trimmed) ? Date.parse(trimmed) : Number.NaN;
  if (Number.isNaN(time)) return { code: 'upload_startedat_invalid', problem: `startedat is not an RFC 3339 time: ${JSON.stringify(text.slice(0, 40))}` };
  return { time, text: trimmed };
}

/** Bytes of every file below `dir`, links counted as themselves, never followed. */
export function directorySize(fs: FileSystem, dir: string): number {
  let total = 0;
  for (const entry of fs.list(dir)) {
    const full = path.join(dir, entry.name);
    total += entry.type === 'dir' ? directorySize(fs, full) : fs.entry(full).size;
  }
  return total;
}

/**
 * `startedat` goes last: a run killed half-way through must leave an upload
 * that the next run still recognises as stale, not one without a start time
 * (which would be kept, and warned about, forever).
 */
function removeUpload(ctx: SweepContext, dir: string): boolean {
  if (!ctx.options.dryRun) {
    let entries: string[] = [];
    try {
      entries = ctx.fs.list(dir).map((e) => e.name);
    } catch {
      // The whole-folder removal below reports what matters.
    }
    for (const name of entries) if (name !== 'startedat' && !remove(ctx, `${dir}/${name}`)) return false;
  }
  return remove(ctx, dir);
}

export async function sweepUploads(
  ctx: SweepContext,
  scans: readonly RepositoryScan[],
  deleted: DeletedUpload[],
  keptForAge: DeletedUpload[],
): Promise<void> {
  if (ctx.options.keepUploads) {
    // Every phase reports, even one switched off: a progress display sees it end.
    ctx.options.onProgress({ phase: 'sweep-uploads', done: 0, total: 0 });
    return;
  }
  const cutoff = ctx.options.now.getTime() - ctx.options.uploadAge;
  const all = scans.flatMap((scan) => scan.uploads.map((id) => ({ repository: scan.name, id })));
  let done = 0;
  for (const { repository, id } of all) {
    await checkpoint(ctx, 'sweep-uploads', done++, all.length);
    const dir = ctx.layout.uploadDir(repository, id);
    const started = readStartedAt(ctx, ctx.layout.uploadStartedAt(repository, id));
    if ('problem' in started) {
      ctx.findings.warn(started.code, dir, `${started.problem}; kept`);
      continue;
    }
    if (started.time >= cutoff) continue;
    let size = 0;
    try {
      size = directorySize(ctx.fs, dir);
    } catch (error) {
      ctx.findings.warn('size_unknown', dir, `cannot measure: ${(error as Error).message}`);
    }
    const upload = { repository, id, size, startedAt: started.text };
    if (ctx.age.isYoungTime(started.time)) keptForAge.push(upload);
    else if (ctx.options.allow?.({ kind: 'upload', repository, id, startedAt: started.text }) !== false && removeUpload(ctx, dir)) deleted.push(upload);
  }
  ctx.options.onProgress({ phase: 'sweep-uploads', done, total: all.length });
}
