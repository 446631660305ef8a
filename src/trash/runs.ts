/**
 * The runs in the trash, and what each one's journal says. A run's folder
 * is named after its start (sortable) and pid; anything else in the trash
 * folder is not the collector's and is left alone.
 */
import type { RegistryLayout } from '../registry/layout.js';
import { isTrashRun } from '../registry/names.js';
import { RegistryGcError } from '../report/errors.js';
import type { Findings } from '../report/findings.js';
import { errorCode } from '../storage/errno.js';
import type { Storage } from '../storage/storage.js';
import { parseJournal, TRASH_VERSION, type Journal } from './journal.js';

/**
 * Throws E_SYMLINK when the trash folder (or a run's folder) is a symbolic
 * link or no folder: purging or restoring through it would act outside the
 * root. Absent is fine.
 */
export async function assertRealTrash(layout: RegistryLayout, storage: Storage, run?: string): Promise<void> {
  for (const dir of run === undefined ? [layout.trashDir] : [layout.trashDir, layout.trashRunDir(run), layout.trashEntriesDir(run)]) {
    const [outcome] = await storage.inspect([dir]);
    if (!outcome!.ok) {
      if (errorCode(outcome!.error) === 'ENOENT') return;
      throw outcome!.error;
    }
    if (outcome!.value.type !== 'dir') {
      throw new RegistryGcError('E_SYMLINK', `${dir} is a ${outcome!.value.type === 'symlink' ? 'symbolic link' : outcome!.value.type}, not a folder: the trash is not used through it`, [
        { code: 'symlink', path: layout.relative(dir), message: 'the trash must be a real folder' },
      ]);
    }
  }
}

/**
 * Whether the shard folder of entry `seq` is a real folder (or absent):
 * nothing below a shard that is a link is freed or put back. Checked once
 * per shard and run (`checked`).
 */
export async function shardIsReal(layout: RegistryLayout, storage: Storage, run: string, seq: number, checked: Map<string, boolean>): Promise<boolean> {
  const dir = layout.trashShardDir(run, seq);
  let real = checked.get(dir);
  if (real === undefined) {
    const [outcome] = await storage.inspect([dir]);
    real = outcome!.ok ? outcome!.value.type === 'dir' : errorCode(outcome!.error) === 'ENOENT';
    checked.set(dir, real);
  }
  return real;
}

/** The runs in the trash, oldest first. */
export async function listTrashRuns(layout: RegistryLayout, storage: Storage, findings: Findings): Promise<string[]> {
  await assertRealTrash(layout, storage);
  let entries;
  try {
    entries = await storage.list(layout.trashDir);
  } catch (error) {
    const code = errorCode(error);
    if (code === 'ENOENT') return [];
    throw error;
  }
  const runs: string[] = [];
  for (const entry of entries) {
    if (entry.type === 'dir' && isTrashRun(entry.name)) runs.push(entry.name);
    else findings.warn('unexpected_entry', `${layout.trashDir}/${entry.name}`, 'not a run of the trash; left alone');
  }
  return runs.sort();
}

/** A run's journal; an unreadable or absent one is empty (the run's entries cannot be put back). */
export async function readJournal(layout: RegistryLayout, storage: Storage, run: string): Promise<Journal> {
  try {
    return parseJournal(await storage.ownFiles.read(layout.trashJournal(run)));
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return parseJournal('');
    throw error;
  }
}

/**
 * Why this build cannot read the run's trash (its journal says another
 * format: its entries live elsewhere), or undefined. Such a run is left
 * whole rather than guessed at.
 */
export function foreignFormat(journal: Journal): string | undefined {
  const version = journal.header?.version;
  if (version === undefined || version === TRASH_VERSION) return undefined;
  return `this run's trash has format ${version}, this build reads format ${TRASH_VERSION}: it is left whole (a build of that format can purge or restore it, or remove it by hand)`;
}

/** When a run started: from its journal, else from its name. */
export function runStartedAt(run: string, journal: Journal): Date {
  const fromJournal = journal.header ? Date.parse(journal.header.startedAt) : Number.NaN;
  if (!Number.isNaN(fromJournal)) return new Date(fromJournal);
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})\.(\d{3})Z/.exec(run)!;
  return new Date(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}.${m[7]}Z`);
}

/** Removes a folder of the trash if it is empty; true when it is gone. */
export async function removeIfEmpty(layout: RegistryLayout, storage: Storage, dir: string): Promise<boolean> {
  layout.assertInTrash(dir);
  try {
    await storage.removeEmptyDir(dir);
    return true;
  } catch (error) {
    const code = errorCode(error);
    if (code === 'ENOENT') return true;
    if (code === 'ENOTEMPTY' || code === 'EEXIST') return false;
    throw error;
  }
}

/**
 * The name entry `seq` takes while a purge frees it (purge.ts): freeing a
 * folder is many calls (its files, then the folder), so the purge first
 * renames the entry aside, in one atomic step, and frees it there. An entry
 * found at its own name is therefore whole; what is left under this name was
 * being freed, and never comes back (restore.ts).
 */
export function freeingEntry(layout: RegistryLayout, run: string, seq: number): string {
  return `${layout.trashEntry(run, seq)}${FREEING}`;
}

const FREEING = '.freeing';
const ENTRY_NAME = /^(\d{1,15})(\.freeing)?$/;

/**
 * What the child `name` of the shard folder `dir` of run `run` is: an entry
 * (`freeing`: one a purge began to free), or undefined for anything that is
 * not this run's where it lives.
 */
export function entryNamed(layout: RegistryLayout, run: string, dir: string, name: string): { seq: number; freeing: boolean } | undefined {
  const m = ENTRY_NAME.exec(name);
  if (m === null) return undefined;
  const seq = Number(m[1]);
  const freeing = m[2] !== undefined;
  const expected = freeing ? freeingEntry(layout, run, seq) : layout.trashEntry(run, seq);
  return expected === `${dir}/${name}` ? { seq, freeing } : undefined;
}
