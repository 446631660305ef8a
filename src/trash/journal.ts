/**
 * The journal of a trash run: one JSON object per line, appended as the run
 * goes, so that every entry can be put back exactly where it came from.
 *
 *   {"op":"run","format":"registry-gc-trash","version":2,"run":…,"root":…,"startedAt":…}
 *   {"op":"move","seq":0,"from":"docker/registry/v2/blobs/sha256/ab/ab…","file":"data"}
 *   {"op":"rmdir","seq":1,"from":"docker/registry/v2/blobs/sha256/ab"}
 *   {"op":"in-place","seq":2}        the move of entry 2 could not be made: deleted in place
 *   {"op":"gone","seq":3}            entry 3 was not there to move (already gone)
 *   {"op":"done","moved":1,"at":…}   every move of the run is done: the offline window ended
 *   {"op":"purge"}                   freeing began: an entry no longer here was freed
 *
 * A line is written before what it records is done (a move, a removal of an
 * emptied folder), so a crash can leave a line whose move never happened
 * (its origin is still in place), never a moved entry without its line.
 * Paths are relative to the registry root. A torn line (the last of a killed
 * run, or one an append could not finish) is ignored: the next append starts
 * on a line of its own (storage's openAppend).
 */
export const TRASH_FORMAT = 'registry-gc-trash';
/** 2: entries 64 to a shard folder, in order (1, a development build's: seq mod 256). */
export const TRASH_VERSION = 2;

export type JournalRecord =
  | { readonly op: 'run'; readonly format: typeof TRASH_FORMAT; readonly version: number; readonly run: string; readonly root: string; readonly startedAt: string }
  /** `file`: the one file the registry keeps in that folder (`data`, `link`), a hint for freeing it. */
  | { readonly op: 'move'; readonly seq: number; readonly from: string; readonly file?: string | undefined }
  | { readonly op: 'rmdir'; readonly seq: number; readonly from: string }
  | { readonly op: 'in-place'; readonly seq: number }
  | { readonly op: 'gone'; readonly seq: number }
  | { readonly op: 'done'; readonly moved: number; readonly at: string }
  | { readonly op: 'purge' };

export interface Journal {
  readonly header: Extract<JournalRecord, { op: 'run' }> | undefined;
  readonly records: readonly JournalRecord[];
  /** The `done` line is there: every move of the run was made. */
  readonly complete: boolean;
}

export function journalLine(record: JournalRecord): string {
  return `${JSON.stringify(record)}\n`;
}

const isPath = (value: unknown): value is string =>
  typeof value === 'string' && value !== '' && !value.startsWith('/') && !value.split('/').some((part) => part === '' || part === '.' || part === '..') && !value.includes('\0');
const isSeq = (value: unknown): value is number => typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;

/** The records of a journal's text; lines that are not a record this version writes are left out (a torn line). */
export function parseJournal(text: string): Journal {
  const records: JournalRecord[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    let value: Record<string, unknown>;
    try {
      value = JSON.parse(line) as Record<string, unknown>;
    } catch {
      continue;
    }
    const record = recordOf(value);
    if (record) records.push(record);
  }
  const header = records[0]?.op === 'run' ? records[0] : undefined;
  return { header, records, complete: records.some((r) => r.op === 'done') };
}

function recordOf(v: Record<string, unknown>): JournalRecord | undefined {
  switch (v['op']) {
    case 'run':
      return v['format'] === TRASH_FORMAT && typeof v['run'] === 'string' && typeof v['root'] === 'string' && typeof v['startedAt'] === 'string'
        ? (v as unknown as JournalRecord)
        : undefined;
    case 'move':
      return isSeq(v['seq']) && isPath(v['from']) && (v['file'] === undefined || v['file'] === 'data' || v['file'] === 'link')
        ? { op: 'move', seq: v['seq'], from: v['from'], file: v['file'] }
        : undefined;
    case 'rmdir':
      return isSeq(v['seq']) && isPath(v['from']) ? { op: 'rmdir', seq: v['seq'], from: v['from'] } : undefined;
    case 'in-place':
      return isSeq(v['seq']) ? { op: 'in-place', seq: v['seq'] } : undefined;
    case 'gone':
      return isSeq(v['seq']) ? { op: 'gone', seq: v['seq'] } : undefined;
    case 'purge':
      return { op: 'purge' };
    case 'done':
      return typeof v['moved'] === 'number' && typeof v['at'] === 'string' ? { op: 'done', moved: v['moved'], at: v['at'] } : undefined;
    default:
      return undefined;
  }
}
