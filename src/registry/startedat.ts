/**
 * An upload's `startedat`: the RFC 3339 time the registry wrote when the
 * upload began (`2026-11-28T23:28:51Z`, with room for nanoseconds and an
 * offset). One reading for the upload sweep and the activity check: a file
 * that is missing, unreadable or not such a time says nothing about the
 * upload's age, so it is kept, and reported.
 */
import { errorCode } from '../storage/errno.js';
import type { Outcome } from '../storage/storage.js';

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$/;
/** A timestamp, with room for nanoseconds and an offset. */
export const MAX_STARTED_AT_BYTES = 64;

export type StartedAt = { readonly time: number; readonly text: string } | { readonly problem: string; readonly code: 'upload_startedat_missing' | 'upload_startedat_invalid' };

/** What a read of a `startedat` file says. */
export function startedAtOf(read: Outcome<Buffer>): StartedAt {
  if (!read.ok) {
    if (errorCode(read.error) === 'ENOENT') return { code: 'upload_startedat_missing', problem: 'upload has no startedat' };
    return { code: 'upload_startedat_invalid', problem: `cannot read startedat: ${(read.error as Error).message}` };
  }
  const text = read.value.toString('utf8');
  const trimmed = text.trim();
  const time = RFC3339.test(trimmed) ? Date.parse(trimmed) : Number.NaN;
  if (Number.isNaN(time)) return { code: 'upload_startedat_invalid', problem: `startedat is not an RFC 3339 time: ${JSON.stringify(text.slice(0, 40))}` };
  return { time, text: trimmed };
}
